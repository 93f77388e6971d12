import { storeSums } from './f32-correlate-separable-simd128';
import { f32x4_muladd } from './f32-vector';

/**
 * 2-D cross-correlation of an f32 image with a `tapRows` x `tapCols` filter
 * (row-major taps), added to dst or written over it:
 * dst[r][c] = sum over m, n of src[r - anchorRow + m][c - anchorCol + n] * taps[m][n]
 * (+ dst[r][c], added last), for c in [columnStart, columnEnd).
 *
 * Each output sums the taps in row-major order, a multiply-add a tap (fused
 * in the relaxed-SIMD build), then adds the old dst value if asked; 16
 * columns at a time, a row's last block storing only those before
 * columnEnd, so 64 bytes past what each row needs must be readable. Images
 * are `stride` floats a row.
 *
 * Work: rows [rowStart, rowEnd).
 */
export function f32_correlate_2d__simd128(
  src: usize, dst: usize, stride: i32, taps: usize, tapRows: i32, tapCols: i32, anchorRow: i32, anchorCol: i32,
  accumulate: bool, columnStart: i32, columnEnd: i32, rowStart: i32, rowEnd: i32,
): void {
  const rowBytes = <usize>stride << 2;
  for (let r = rowStart; r < rowEnd; r++) {
    const s = src + <usize>(r - anchorRow) * rowBytes - (<usize>anchorCol << 2);
    const d = dst + <usize>r * rowBytes;
    for (let c = columnStart; c < columnEnd; c += 16) {
      const o = d + (<usize>c << 2);
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let t = taps;
      for (let m = 0; m < tapRows; m++) {
        let q = s + <usize>m * rowBytes + (<usize>c << 2);
        for (let n = 0; n < tapCols; n++, q += 4, t += 4) {
          const f = v128.load32_splat(t);
          a0 = f32x4_muladd(v128.load(q), f, a0); a1 = f32x4_muladd(v128.load(q, 16), f, a1);
          a2 = f32x4_muladd(v128.load(q, 32), f, a2); a3 = f32x4_muladd(v128.load(q, 48), f, a3);
        }
      }
      storeSums(o, a0, a1, a2, a3, columnEnd - c, accumulate);
    }
  }
}
