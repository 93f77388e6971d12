import { bits, extend, readerPosition, segmentEnd, startBits, status, STATUS_BAD_CODE, symbol, takeRestart } from './jpeg-bit-reader';

// One scan of a progressive JPEG (Huffman, 8-bit), decoded as libjpeg-turbo's
// jdphuff.c decodes it into the components' coefficient blocks: a DC scan
// (first, or a refinement of one more bit) of one or more components, or an
// AC scan of one component's band Ss..Se (first, or a refinement). The
// blocks are inverse transformed once every scan is in
// (s16_idct_islow_blocks__simd128). What libjpeg would warn about stops the
// decode with a nonzero status (jpeg-bit-reader.ts), as in u8_jpeg_decode_scan.
//
// The scan descriptor (i32 fields, written by the caller):
//   0 data (the bytes that follow the file must be a marker, as there),
//   4 mcusX, 8 mcusY (a single component's scan: its blocks), 12 restart
//   interval (0: none), 16 components (1..3), 20 status (out), 24 end (out:
//   the address of the marker that ends the scan), 28 Ss, 32 Se, 36 Ah, 40 Al
//   44 + 24 * c, component c: h, v (blocks per MCU: 1 and 1 in a single
//     component's scan), coefficients (block (0, 0): 64 i16 a block, in
//     zigzag order, as the scans send them: a band's are contiguous), blocks
//     per row of them, dc table, ac table.
// Huffman tables as jpeg-bit-reader.ts reads them (the fast AC entries unused).

const COMPONENT_FIELDS: usize = 24;
const BLOCK_BYTES: usize = 128;

/** A correction bit for a nonzero coefficient: its magnitude gains bit `p1`, away from zero, unless it has it. */
// @ts-ignore: decorator
@inline
function refine(at: usize, p1: i32): void {
  if (bits(1) == 0) return;
  const coef = <i32>load<i16>(at);
  if ((coef & p1) == 0) store<i16>(at, <i16>(coef >= 0 ? coef + p1 : coef - p1));
}

/** A bit for each of a block's 64 coefficients (zigzag order) that is not zero. */
// @ts-ignore: decorator
@inline
function nonzeroCoefficients(block: usize): u64 {
  let nonzero: u64 = 0;
  for (let v: usize = 0; v < 8; v++) {
    const zero = i16x8.eq(v128.load(block + (v << 4)), i16x8.splat(0));
    nonzero |= <u64>(~i16x8.bitmask(zero) & 0xff) << (v << 3);
  }
  return nonzero;
}

/** The bits of coefficients `first` to `last` (0 <= first <= last <= 63). */
// @ts-ignore: decorator
@inline
function coefficientRange(first: i32, last: i32): u64 {
  return (<u64>-1 << <u64>first) & (<u64>-1 >> <u64>(63 - last));
}

/** A correction bit for each coefficient of `coefficients` (bits, in zigzag order), in order. */
function refineEach(block: usize, coefficients: u64, p1: i32): void {
  while (coefficients != 0) {
    refine(block + (<usize>ctz(coefficients) << 1), p1);
    coefficients &= coefficients - 1;
  }
}

/** HUFF_EXTEND of the next `s` bits (0 to 15). */
// @ts-ignore: decorator
@inline
function extendedBits(s: i32): i32 {
  return s == 0 ? 0 : extend(bits(s), s);
}

export function s16_jpeg_decode_progressive_scan(scan: usize): void {
  const mcusX = load<i32>(scan, 4);
  const mcusY = load<i32>(scan, 8);
  const restartInterval = load<i32>(scan, 12);
  const components = <usize>load<i32>(scan, 16);
  const ss = load<i32>(scan, 28);
  const se = load<i32>(scan, 32);
  const ah = load<i32>(scan, 36);
  const al = load<i32>(scan, 40);
  const p1 = 1 << al;
  // What libjpeg would stop or warn at that the reader does not see: a refinement symbol of more than one bit, a DC past its range.
  let failure = 0;
  startBits(<usize>load<i32>(scan, 0));
  let dc0 = 0, dc1 = 0, dc2 = 0;
  let eobrun = 0;
  let restartsToGo = restartInterval;
  for (let my = 0; my < mcusY; my++) {
    for (let mx = 0; mx < mcusX; mx++) {
      if (restartInterval != 0) {
        if (restartsToGo == 0) {
          const taken = takeRestart();
          if (taken != 0) {
            store<i32>(scan, taken, 20);
            return;
          }
          dc0 = 0;
          dc1 = 0;
          dc2 = 0;
          eobrun = 0;
          restartsToGo = restartInterval;
        }
        restartsToGo--;
      }
      for (let c: usize = 0; c < components; c++) {
        const component = scan + 44 + c * COMPONENT_FIELDS;
        const h = load<i32>(component);
        const v = load<i32>(component, 4);
        const coefs = <usize>load<i32>(component, 8);
        const blocksPerRow = load<i32>(component, 12);
        const dcTable = <usize>load<i32>(component, 16);
        const acTable = <usize>load<i32>(component, 20);
        for (let by = 0; by < v; by++) {
          for (let bx = 0; bx < h; bx++) {
            const block = coefs + <usize>((my * v + by) * blocksPerRow + mx * h + bx) * BLOCK_BYTES;
            if (ss == 0) {
              if (ah == 0) {
                // The DC's difference from the component's last, scaled by 2^Al.
                const diff = extendedBits(symbol(dcTable));
                let dc = 0;
                if (c == 0) dc = dc0 = dc0 + diff;
                else if (c == 1) dc = dc1 = dc1 + diff;
                else dc = dc2 = dc2 + diff;
                // libjpeg stops at a predictor past an int's range; no file of sound data comes near it.
                if (dc > 0x3fffffff || dc < -0x3fffffff) failure = STATUS_BAD_CODE;
                store<i16>(block, <i16>(dc * p1));
              } else if (bits(1) != 0) {
                store<i16>(block, <i16>(<i32>load<i16>(block) | p1));
              }
            } else if (ah == 0) {
              if (eobrun > 0) {
                eobrun--;
              } else {
                for (let k = ss; k <= se; k++) {
                  const rs = symbol(acTable);
                  const r = rs >> 4;
                  const s = rs & 15;
                  if (s != 0) {
                    k += r;
                    // A run past the band's end lands on coefficient 63, as libjpeg's natural order's extra entries make it.
                    store<i16>(block + (<usize>min(k, 63) << 1), <i16>(extendedBits(s) * p1));
                  } else if (r == 15) {
                    k += 15;
                  } else {
                    eobrun = (1 << r) + bits(r) - 1;
                    break;
                  }
                  if (status != 0) break;
                }
              }
            } else {
              let k = ss;
              if (eobrun == 0) {
                for (; k <= se; k++) {
                  const rs = symbol(acTable);
                  let r = rs >> 4;
                  const s = rs & 15;
                  let value = 0;
                  if (s != 0) {
                    // A newly nonzero coefficient is +-1 at this bit.
                    if (s != 1) failure = STATUS_BAD_CODE;
                    value = bits(1) != 0 ? p1 : -p1;
                  } else if (r != 15) {
                    eobrun = (1 << r) + bits(r);
                    break;
                  }
                  // Past the nonzero coefficients (each takes a correction bit) and r zero ones, to the next zero one.
                  while (k <= se) {
                    const at = block + (<usize>k << 1);
                    if (load<i16>(at) != 0) refine(at, p1);
                    else if (--r < 0) break;
                    k++;
                  }
                  // A run past the band's end lands on the coefficient after it, or on 63, as in libjpeg's natural order.
                  if (value != 0) store<i16>(block + (<usize>min(k, 63) << 1), <i16>value);
                  if (status != 0) break;
                }
              }
              if (eobrun > 0) {
                // The band's end in this block: a correction bit for each nonzero coefficient left, found eight at a
                // time (zigzag order keeps a band's coefficients together; most blocks of a refinement scan are here).
                if (k <= se) refineEach(block, nonzeroCoefficients(block) & coefficientRange(k, se), p1);
                eobrun--;
              }
            }
            if (status != 0 || failure != 0) {
              store<i32>(scan, status != 0 ? status : failure, 20);
              return;
            }
          }
        }
      }
    }
  }
  store<i32>(scan, segmentEnd(), 20);
  store<i32>(scan, <i32>readerPosition(), 24);
}
