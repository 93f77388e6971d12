/**
 * 2-D cross-correlation of an f32 image with a `tapRows` x `tapCols` filter
 * (row-major taps), added to dst or written over it:
 * dst[r][c] = sum over m, n of src[r - anchorRow + m][c - anchorCol + n] * taps[m][n]
 * (+ dst[r][c], added last), for c in [columnStart, columnEnd).
 *
 * It sums in one of two fixed orders, so that results can match another
 * implementation's bit for bit. Columns below `threeWayEnd`: three partial
 * sums, going through the filter row by row and, within a row, taking taps
 * n, n+1, n+2 in turn while a whole triple is left, the row's remaining taps
 * going to the first; the result is s0 + (s1 + s2). Columns from
 * `threeWayEnd` on: one sum, taps in row-major order.
 *
 * `threeWayEnd - columnStart` is a multiple of 8. Images are `stride` floats
 * a row; 32 bytes past each row read must be readable.
 *
 * Work: rows [rowStart, rowEnd).
 */
export function f32_correlate_2d__simd128(
  src: usize, dst: usize, stride: i32, taps: usize, tapRows: i32, tapCols: i32, anchorRow: i32, anchorCol: i32,
  accumulate: bool, columnStart: i32, threeWayEnd: i32, columnEnd: i32, rowStart: i32, rowEnd: i32,
): void {
  const rowBytes = <usize>stride << 2;
  const tapRowBytes = <usize>tapCols << 2;
  for (let r = rowStart; r < rowEnd; r++) {
    const s = src + <usize>(r - anchorRow) * rowBytes - (<usize>anchorCol << 2);
    const d = dst + <usize>r * rowBytes;
    let c = columnStart;
    for (; c < threeWayEnd; c += 8) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0);
      for (let m = 0; m < tapRows; m++) {
        const p = s + <usize>m * rowBytes + (<usize>c << 2);
        const t = taps + <usize>m * tapRowBytes;
        let n = 0;
        for (; n < tapCols - 2; n += 3) {
          const q = p + (<usize>n << 2);
          const f0 = v128.load32_splat(t + (<usize>n << 2));
          const f1 = v128.load32_splat(t + (<usize>n << 2), 4);
          const f2 = v128.load32_splat(t + (<usize>n << 2), 8);
          a0 = f32x4.add(a0, f32x4.mul(v128.load(q), f0));
          b0 = f32x4.add(b0, f32x4.mul(v128.load(q, 16), f0));
          a1 = f32x4.add(a1, f32x4.mul(v128.load(q, 4), f1));
          b1 = f32x4.add(b1, f32x4.mul(v128.load(q, 20), f1));
          a2 = f32x4.add(a2, f32x4.mul(v128.load(q, 8), f2));
          b2 = f32x4.add(b2, f32x4.mul(v128.load(q, 24), f2));
        }
        for (; n < tapCols; n++) {
          const q = p + (<usize>n << 2);
          const f = v128.load32_splat(t + (<usize>n << 2));
          a0 = f32x4.add(a0, f32x4.mul(v128.load(q), f));
          b0 = f32x4.add(b0, f32x4.mul(v128.load(q, 16), f));
        }
      }
      let lo = f32x4.add(a0, f32x4.add(a1, a2));
      let hi = f32x4.add(b0, f32x4.add(b1, b2));
      const o = d + (<usize>c << 2);
      if (accumulate) {
        lo = f32x4.add(lo, v128.load(o));
        hi = f32x4.add(hi, v128.load(o, 16));
      }
      v128.store(o, lo);
      v128.store(o, hi, 16);
    }
    for (; c < columnEnd; c++) {
      let sum: f32 = 0;
      for (let m = 0; m < tapRows; m++) {
        const p = s + <usize>m * rowBytes + (<usize>c << 2);
        const t = taps + <usize>m * tapRowBytes;
        for (let n = 0; n < tapCols; n++) sum += load<f32>(p + (<usize>n << 2)) * load<f32>(t + (<usize>n << 2));
      }
      const o = d + (<usize>c << 2);
      store<f32>(o, accumulate ? load<f32>(o) + sum : sum);
    }
  }
}
