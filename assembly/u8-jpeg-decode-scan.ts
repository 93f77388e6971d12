import { idctIslow8x8, idctIslowDcOnly } from './s16-idct-islow-8x8-simd128';

// A baseline JPEG scan (sequential, Huffman, 8-bit), every component in
// one interleaved scan, decoded as libjpeg-turbo's jdhuff.c decodes it and
// inverse transformed into one plane of 8-bit samples per component.
// What libjpeg would warn about (a bad code, data that runs into a marker,
// bytes left over before a marker, a restart marker out of sequence) stops
// the decode with a nonzero status instead: the caller then leaves the file
// to libjpeg itself.
//
// The scan descriptor (i32 fields, written by the caller):
//   0 data: first byte of entropy-coded data. The bytes that follow the
//     file in memory must be a marker (0xFF 0xD9), so reading stops there.
//   4 mcusX, 8 mcusY, 12 restartInterval (0: none), 16 components (1..3)
//   20 status (out: 0 decoded, else why not), 24 end (out: the address of
//     the marker that ends the scan)
//   28 natural order: 80 u8, jpeg_natural_order with libjpeg's 16 extra
//     entries of 63 (a run past the block's end lands on coefficient 63)
//   32 scratch: 640 bytes, 16-aligned (coefficients, IDCT workspace)
//   36 + 32 * c, component c: h, v (blocks per MCU), plane, stride (bytes),
//     quant (64 i16, natural order), dc table, ac table.
// A Huffman table (built by the caller, as jdhuff.c's derived table):
//   0 lookahead: 512 u16, (length << 8) | symbol for the codes of up to
//     9 bits, indexed by the next 9 bits; 0 for a longer code
//   1024 maxcode: 18 i32, the largest code of each length (-1: none)
//   1096 valoffset: 17 i32; 1168 values: 256 u8
//   1424 fast: 512 i32, (value << 16) | (run << 8) | bits for an AC code
//     and its value bits together of up to 9 bits; 0 for others (and all 0
//     in a DC table)

const LOOKAHEAD = 9;

export const STATUS_BAD_CODE = 1;
export const STATUS_HIT_MARKER = 2;
export const STATUS_LEFTOVER_DATA = 3;
export const STATUS_BAD_RESTART = 4;

/**
 * A code longer than the lookahead: (length << 8) | symbol for the 16 bits
 * `code16` begin with, or -1 for a code the table does not have.
 */
function decodeLongCode(table: usize, code16: i32): i32 {
  for (let length = LOOKAHEAD + 1; length <= 16; length++) {
    const code = code16 >> (16 - length);
    if (code <= load<i32>(table + 1024 + (<usize>length << 2))) {
      return (length << 8) | <i32>load<u8>(table + 1168 + <usize>(code + load<i32>(table + 1096 + (<usize>length << 2))));
    }
  }
  return -1;
}

/** Whether a marker (0xFF, any more 0xFF fill, then not 0) starts at `at`. */
function markerAt(at: usize): bool {
  if (load<u8>(at) != 0xff) return false;
  let next = at + 1;
  while (load<u8>(next) == 0xff) next++;
  return load<u8>(next) != 0;
}

/**
 * Whether the reader stopped where a data segment ends cleanly: no made-up
 * bits used, fewer than 8 real bits left (the padding of the last byte),
 * and a marker next. Otherwise the status says what libjpeg would warn of.
 */
// @ts-ignore: decorator
@inline
function segmentEndStatus(count: i32, padding: i32, pos: usize): i32 {
  const real = count - padding;
  if (real < 0) return STATUS_HIT_MARKER;
  return real >= 8 || !markerAt(pos) ? STATUS_LEFTOVER_DATA : 0;
}

/**
 * Decodes the scan that `scan` describes (see above) into its components'
 * planes. The bit reader (bits MSB-first in `acc`; `padding` of its `count`
 * bits are zeros made up past a marker) lives in locals, for speed.
 */
export function u8_jpeg_decode_scan(scan: usize): void {
  const mcusX = load<i32>(scan, 4);
  const mcusY = load<i32>(scan, 8);
  const restartInterval = load<i32>(scan, 12);
  const components = <usize>load<i32>(scan, 16);
  const natural = <usize>load<i32>(scan, 28);
  const coefs = <usize>load<i32>(scan, 32);
  const idctScratch = coefs + 128;
  let acc: u64 = 0;
  let count = 0;
  let padding = 0;
  let pos = <usize>load<i32>(scan, 0);
  let dc0 = 0, dc1 = 0, dc2 = 0;
  let restartsToGo = restartInterval;
  let nextRestart = 0;
  for (let i: usize = 0; i < 128; i += 16) v128.store(coefs + i, i16x8.splat(0));
  for (let my = 0; my < mcusY; my++) {
    for (let mx = 0; mx < mcusX; mx++) {
      if (restartInterval != 0) {
        if (restartsToGo == 0) {
          const end = segmentEndStatus(count, padding, pos);
          if (end != 0) {
            store<i32>(scan, end, 20);
            return;
          }
          while (load<u8>(pos) == 0xff) pos++;
          if (<i32>load<u8>(pos) != 0xd0 + nextRestart) {
            store<i32>(scan, STATUS_BAD_RESTART, 20);
            return;
          }
          pos++;
          nextRestart = (nextRestart + 1) & 7;
          acc = 0;
          count = 0;
          padding = 0;
          dc0 = 0;
          dc1 = 0;
          dc2 = 0;
          restartsToGo = restartInterval;
        }
        restartsToGo--;
      }
      for (let c: usize = 0; c < components; c++) {
        const component = scan + 36 + c * 32;
        const h = load<i32>(component);
        const v = load<i32>(component, 4);
        const plane = <usize>load<i32>(component, 8);
        const stride = <usize>load<i32>(component, 12);
        const quant = <usize>load<i32>(component, 16);
        const dcTable = <usize>load<i32>(component, 20);
        const acTable = <usize>load<i32>(component, 24);
        for (let by = 0; by < v; by++) {
          for (let bx = 0; bx < h; bx++) {
            // Coefficient k: the DC (k = 0) from the DC table, then the AC run/size symbols.
            let k = 0;
            let table = dcTable;
            let dc = 0;
            let anyAc = false;
            while (k < 64) {
              if (count < 32) {
                // At least 57 bits: 8 bytes at once where none is 0xFF, else byte by byte (unstuffing 0xFF 0x00; at a marker, zeros).
                const word = bswap<u64>(load<u64>(pos));
                if (((~word - 0x0101010101010101) & word & 0x8080808080808080) == 0) {
                  const bytes = (63 - count) >> 3;
                  acc |= (word & ~(<u64>-1 >> <u64>(bytes << 3))) >> <u64>count;
                  pos += <usize>bytes;
                  count += bytes << 3;
                } else {
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
                        if (count < padding) {
                          store<i32>(scan, STATUS_HIT_MARKER, 20);
                          return;
                        }
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
              }
              const peek = <usize>(acc >> (64 - LOOKAHEAD));
              // A short AC code and its value bits, decoded at once (a DC table's are all 0).
              const fast = load<i32>(table + 1424 + (peek << 2));
              if (fast != 0) {
                const bits = fast & 0xff;
                acc <<= <u64>bits;
                count -= bits;
                k += (fast >> 8) & 0xff;
                store<i16>(coefs + (<usize>load<u8>(natural + <usize>k) << 1), <i16>(fast >> 16));
                anyAc = true;
                k++;
                continue;
              }
              let entry = <i32>load<u16>(table + (peek << 1));
              if (entry == 0) {
                entry = decodeLongCode(table, <i32>(acc >> 48));
                if (entry < 0) {
                  store<i32>(scan, STATUS_BAD_CODE, 20);
                  return;
                }
              }
              const length = entry >> 8;
              acc <<= <u64>length;
              count -= length;
              const symbol = entry & 0xff;
              // HUFF_EXTEND: the next s bits are a value of magnitude category s.
              const s = k == 0 ? symbol : symbol & 15;
              let value = 0;
              if (s != 0) {
                value = <i32>(acc >> <u64>(64 - s));
                acc <<= <u64>s;
                count -= s;
                if (value < 1 << (s - 1)) value += 1 - (1 << s);
              }
              if (k == 0) {
                if (c == 0) dc = dc0 = dc0 + value;
                else if (c == 1) dc = dc1 = dc1 + value;
                else dc = dc2 = dc2 + value;
                table = acTable;
                k = 1;
                continue;
              }
              const r = symbol >> 4;
              if (s != 0) {
                k += r;
                store<i16>(coefs + (<usize>load<u8>(natural + <usize>k) << 1), <i16>value);
                anyAc = true;
              } else {
                if (r != 15) break;
                k += 15;
              }
              k++;
            }
            const dst = plane + (<usize>((my * v + by) * 8)) * stride + <usize>((mx * h + bx) * 8);
            // libjpeg keeps the DC as a JCOEF (16 bits); its predictor stays an int.
            const dc16 = <i32>(<i16>dc);
            if (anyAc) {
              store<i16>(coefs, <i16>dc16);
              idctIslow8x8(coefs, quant, dst, stride, idctScratch);
              for (let i: usize = 0; i < 128; i += 16) v128.store(coefs + i, i16x8.splat(0));
            } else {
              idctIslowDcOnly(dc16, <i32>load<i16>(quant), dst, stride);
            }
          }
        }
      }
    }
  }
  store<i32>(scan, segmentEndStatus(count, padding, pos), 20);
  // The marker that ends the scan: its first 0xFF.
  store<i32>(scan, <i32>pos, 24);
}
