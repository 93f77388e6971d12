// The entropy-coded data's bit reader of the JPEG kernels, as libjpeg-turbo's
// jdhuff.c reads them: bits MSB-first in `acc`, of which `padding` of `count`
// are zeros made up past a marker (where libjpeg would warn once made-up bits
// are used). What libjpeg would warn about sets `status`: the kernels then
// stop with it, and the caller leaves the file to libjpeg itself.
//
// A Huffman table (built by the caller, as jdhuff.c's derived table):
//   0 lookahead: 512 u16, (length << 8) | symbol for the codes of up to
//     9 bits, indexed by the next 9 bits; 0 for a longer code
//   1024 maxcode: 18 i32, the largest code of each length (-1: none)
//   1096 valoffset: 17 i32; 1168 values: 256 u8
//   1424 fast: 512 i32, (value << 16) | (run << 8) | bits for an AC code
//     and its value bits together of up to 9 bits; 0 for others (and all 0
//     in a DC table)

export const LOOKAHEAD = 9;

export const STATUS_BAD_CODE = 1;
export const STATUS_HIT_MARKER = 2;
export const STATUS_LEFTOVER_DATA = 3;
export const STATUS_BAD_RESTART = 4;

let acc: u64 = 0;
let count = 0;
let padding = 0;
let pos: usize = 0;
export let status = 0;
let nextRestart = 0;

/** Starts reading entropy-coded data at `at` (the bytes after the file must be a marker, so that reading stops there). */
export function startBits(at: usize): void {
  acc = 0;
  count = 0;
  padding = 0;
  pos = at;
  status = 0;
  nextRestart = 0;
}

/** At least 57 bits in `acc`: 8 bytes at once where none is 0xFF, else byte by byte (unstuffing 0xFF 0x00; at a marker, zeros). */
export function fillBits(): void {
  const word = bswap<u64>(load<u64>(pos));
  if (((~word - 0x0101010101010101) & word & 0x8080808080808080) == 0) {
    const bytes = (63 - count) >> 3;
    acc |= (word & ~(<u64>-1 >> <u64>(bytes << 3))) >> <u64>count;
    pos += <usize>bytes;
    count += bytes << 3;
    return;
  }
  while (count <= 56) {
    let byte = <u64>load<u8>(pos);
    if (byte == 0xff) {
      // As jdhuff.c: 0xFF, any more 0xFF fill, then 0 is a data byte 0xFF; anything else is a marker.
      let next = pos + 1;
      while (load<u8>(next) == 0xff) next++;
      if (load<u8>(next) == 0) {
        pos = next + 1;
      } else {
        // Made-up bits already used: libjpeg warns, so decoding on (perhaps a whole frame from nothing) is wasted.
        if (count < padding) status = STATUS_HIT_MARKER;
        byte = 0;
        padding += 8;
      }
    } else {
      pos++;
    }
    acc |= byte << <u64>(56 - count);
    count += 8;
  }
}

/** Drops `n` bits the caller has taken from the top of `acc`. */
// @ts-ignore: decorator
@inline
function skipBits(n: i32): void {
  acc <<= <u64>n;
  count -= n;
}

/** The next `n` bits (1 to 16) as an unsigned value, `n` bits being in `acc`. */
// @ts-ignore: decorator
@inline
function bitsInHand(n: i32): i32 {
  const value = <i32>(acc >> <u64>(64 - n));
  skipBits(n);
  return value;
}

/** The next `n` bits (0 to 16) as an unsigned value. */
// @ts-ignore: decorator
@inline
export function bits(n: i32): i32 {
  if (n == 0) return 0;
  if (count < 32) fillBits();
  return bitsInHand(n);
}

/** HUFF_EXTEND: `value`, `s` bits, as a value of magnitude category `s` (1 to 15). */
// @ts-ignore: decorator
@inline
export function extend(value: i32, s: i32): i32 {
  return value < 1 << (s - 1) ? value + 1 - (1 << s) : value;
}

/**
 * A code longer than the lookahead: (length << 8) | symbol for the 16 bits
 * `code16` begin with, or -1 for a code the table does not have.
 */
export function decodeLongCode(table: usize, code16: i32): i32 {
  for (let length = LOOKAHEAD + 1; length <= 16; length++) {
    const code = code16 >> (16 - length);
    if (code <= load<i32>(table + 1024 + (<usize>length << 2))) {
      return (length << 8) | <i32>load<u8>(table + 1168 + <usize>(code + load<i32>(table + 1096 + (<usize>length << 2))));
    }
  }
  return -1;
}

/** The next Huffman symbol of `table`, at least 16 bits being in `acc` (a bad code sets the status and gives 0). */
function symbolInHand(table: usize): i32 {
  const peek = <usize>(acc >> (64 - LOOKAHEAD));
  let entry = <i32>load<u16>(table + (peek << 1));
  if (entry == 0) {
    entry = decodeLongCode(table, <i32>(acc >> 48));
    if (entry < 0) {
      status = STATUS_BAD_CODE;
      return 0;
    }
  }
  skipBits(entry >> 8);
  return entry & 0xff;
}

/** The next Huffman symbol of `table` (a bad code sets the status and gives 0). */
export function symbol(table: usize): i32 {
  if (count < 32) fillBits();
  return symbolInHand(table);
}

/** Whether a marker (0xFF, any more 0xFF fill, then not 0) starts at `at`. */
function markerAt(at: usize): bool {
  if (load<u8>(at) != 0xff) return false;
  let next = at + 1;
  while (load<u8>(next) == 0xff) next++;
  return load<u8>(next) != 0;
}

/**
 * The status where a data segment ends: 0 where the reader stopped cleanly
 * (no made-up bits used, fewer than 8 real bits left, the padding of the
 * last byte, and a marker next), else what libjpeg would warn of.
 */
export function segmentEnd(): i32 {
  const real = count - padding;
  if (real < 0) return STATUS_HIT_MARKER;
  return real >= 8 || !markerAt(pos) ? STATUS_LEFTOVER_DATA : 0;
}

/** Takes the restart marker that must end a restart interval (the next in sequence), and starts reading after it; a status. */
export function takeRestart(): i32 {
  const end = segmentEnd();
  if (end != 0) return end;
  while (load<u8>(pos) == 0xff) pos++;
  if (<i32>load<u8>(pos) != 0xd0 + nextRestart) return STATUS_BAD_RESTART;
  const restarts = (nextRestart + 1) & 7;
  startBits(pos + 1);
  nextRestart = restarts;
  return 0;
}

/** Where the reader is: after a scan, the first 0xFF of the marker that ends it. */
export function readerPosition(): usize {
  return pos;
}

/**
 * Hands the reader the state of a kernel that keeps its own in locals (the
 * baseline scan, 18-38% faster so than through these globals), before it
 * calls segmentEnd or takeRestart here; after a restart it starts reading
 * again at readerPosition.
 */
export function setBitState(bitsAcc: u64, bitsCount: i32, bitsPadding: i32, at: usize): void {
  acc = bitsAcc;
  count = bitsCount;
  padding = bitsPadding;
  pos = at;
}
