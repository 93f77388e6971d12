import { idctIslow8x8, idctIslowDcOnly } from './s16-idct-islow-8x8-simd128';

/**
 * A component's coefficient blocks (64 i16 each, zigzag order; `blockRows`
 * rows of `blocksPerRow`), put in natural order (`natural`: 64 u8, the
 * natural index of each zigzag one), dequantized by `quant` (64 i16, natural
 * order) and inverse transformed as libjpeg's islow IDCT does into the
 * component's plane of 8-bit samples (rows `stride` bytes apart): a
 * progressive JPEG's output, once its scans are in. A block with no AC
 * coefficient takes the DC-only path, which gives what the whole transform
 * would. `scratch`: 640 bytes, 16-aligned.
 */
export function s16_idct_islow_blocks__simd128(
  coefs: usize,
  natural: usize,
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
      if (v128.any_true(v128.or(first, rest))) {
        const ordered = scratch + 512;
        for (let k: usize = 0; k < 64; k++) store<i16>(ordered + (<usize>load<u8>(natural + k) << 1), load<i16>(block + (k << 1)));
        idctIslow8x8(ordered, quant, dst, rowBytes, scratch);
      } else {
        idctIslowDcOnly(<i32>load<i16>(block), <i32>load<i16>(quant), dst, rowBytes);
      }
    }
  }
}
