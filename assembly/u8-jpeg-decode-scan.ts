import {
  decodeLongCode,
  LOOKAHEAD,
  readerPosition,
  segmentEnd,
  setBitState,
  STATUS_BAD_CODE,
  STATUS_HIT_MARKER,
  startBits,
  status,
  takeRestart,
} from './jpeg-bit-reader';
import { idctIslow8x8, idctIslowDcOnly } from './s16-idct-islow-8x8-simd128';

// A baseline JPEG scan (sequential, Huffman, 8-bit), every component in
// one interleaved scan, decoded as libjpeg-turbo's jdhuff.c decodes it and
// inverse transformed into one plane of 8-bit samples per component.
// What libjpeg would warn about (a bad code, data that runs into a marker,
// bytes left over before a marker, a restart marker out of sequence) stops
// the decode with a nonzero status instead (jpeg-bit-reader.ts's): the
// caller then leaves the file to libjpeg itself.
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
//     quant (64 i16, natural order), dc table, ac table (Huffman tables as
//     jpeg-bit-reader.ts reads them).

/**
 * Decodes the scan that `scan` describes (see above) into its components'
 * planes. The bit reader's state (jpeg-bit-reader.ts's) lives in locals,
 * and its fill is inlined here (fillBits's, byte for byte): as calls to the
 * reader, even the fill's rarely taken byte-by-byte path, the decode took
 * 18-38% longer. A restart and the scan's end go through the reader.
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
  startBits(pos);
  let dc0 = 0, dc1 = 0, dc2 = 0;
  let restartsToGo = restartInterval;
  for (let i: usize = 0; i < 128; i += 16) v128.store(coefs + i, i16x8.splat(0));
  for (let my = 0; my < mcusY; my++) {
    for (let mx = 0; mx < mcusX; mx++) {
      if (restartInterval != 0) {
        if (restartsToGo == 0) {
          setBitState(acc, count, padding, pos);
          const taken = takeRestart();
          if (taken != 0) {
            store<i32>(scan, taken, 20);
            return;
          }
          acc = 0;
          count = 0;
          padding = 0;
          pos = readerPosition();
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
  setBitState(acc, count, padding, pos);
  store<i32>(scan, segmentEnd(), 20);
  // The marker that ends the scan: its first 0xFF.
  store<i32>(scan, <i32>pos, 24);
}
