import { idctIslow8x8, idctIslowDcOnly } from './s16-idct-islow-8x8-simd128';

/**
 * A component's coefficient blocks (64 i16 each, natural order; `blockRows`
 * rows of `blocksPerRow`), dequantized by `quant` (64 i16, natural order) and
 * inverse transformed as libjpeg's islow IDCT does into the component's
 * plane of 8-bit samples (rows `stride` bytes apart): a progressive JPEG's
 * output, once its scans are in. A block with no AC coefficient takes the
 * DC-only path, which gives what the whole transform would. `scratch`: 512
 * bytes, 16-aligned.
 */
export function s16_idct_islow_blocks__simd128(
  coefs: usize,
  blocksPerRow: i32,
  blockRows: i32,
  quant: usize,
  plane: usize,
  stride: i32,
  scratch: usize,
): void {
  const rowBytes = <usize>stride;
  for (let by = 0; by < blockRows; by++) {
    for (let bx = 0; bx < blocksPerRow; bx++) {
      const block = coefs + (<usize>(by * blocksPerRow + bx) << 7);
      const dst = plane + <usize>(by * 8) * rowBytes + <usize>(bx * 8);
      // The DC's lane cleared: any other lane nonzero is an AC coefficient.
      const first = i16x8.replace_lane(v128.load(block), 0, 0);
      const rest = v128.or(
        v128.or(v128.or(v128.load(block, 16), v128.load(block, 32)), v128.or(v128.load(block, 48), v128.load(block, 64))),
        v128.or(v128.or(v128.load(block, 80), v128.load(block, 96)), v128.load(block, 112)),
      );
      if (v128.any_true(v128.or(first, rest))) idctIslow8x8(block, quant, dst, rowBytes, scratch);
      else idctIslowDcOnly(<i32>load<i16>(block), <i32>load<i16>(quant), dst, rowBytes);
    }
  }
}
