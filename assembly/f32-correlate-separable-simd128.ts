// The two passes of a separable 2-D cross-correlation of f32 images, one
// filter tap vector at a time. Both sum in one of two fixed orders, so that
// results can match another implementation's bit for bit:
//
// - "three-way" (columns below `threeWayEnd`): three partial sums, taking taps
//   0, 1, 2, then 3, 4, 5 and so on in turn while a whole triple is left, the
//   remaining taps going to the first; the result is s0 + (s1 + s2);
// - "in order" (columns from `threeWayEnd` on): one sum, taps in order.
//
// `threeWayEnd - columnStart` is a multiple of 8. Images are `stride` floats
// a row; 32 bytes past each row read must be readable.

/**
 * Rows: dst[r][c] = sum over n of src[r][c - anchor + n] * taps[n], for c in
 * [columnStart, columnEnd).
 *
 * Work: rows [rowStart, rowEnd).
 */
export function f32_correlate_rows__simd128(
  src: usize, dst: usize, stride: i32, taps: usize, tapCount: i32, anchor: i32,
  columnStart: i32, threeWayEnd: i32, columnEnd: i32, rowStart: i32, rowEnd: i32,
): void {
  const rowBytes = <usize>stride << 2;
  for (let r = rowStart; r < rowEnd; r++) {
    const s = src + <usize>r * rowBytes - (<usize>anchor << 2);
    const d = dst + <usize>r * rowBytes;
    let c = columnStart;
    for (; c < threeWayEnd; c += 8) {
      const p = s + (<usize>c << 2);
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0);
      let n = 0;
      for (; n < tapCount - 2; n += 3) {
        const q = p + (<usize>n << 2);
        const f0 = v128.load32_splat(taps + (<usize>n << 2));
        const f1 = v128.load32_splat(taps + (<usize>n << 2), 4);
        const f2 = v128.load32_splat(taps + (<usize>n << 2), 8);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(q), f0));
        b0 = f32x4.add(b0, f32x4.mul(v128.load(q, 16), f0));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(q, 4), f1));
        b1 = f32x4.add(b1, f32x4.mul(v128.load(q, 20), f1));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(q, 8), f2));
        b2 = f32x4.add(b2, f32x4.mul(v128.load(q, 24), f2));
      }
      for (; n < tapCount; n++) {
        const q = p + (<usize>n << 2);
        const f = v128.load32_splat(taps + (<usize>n << 2));
        a0 = f32x4.add(a0, f32x4.mul(v128.load(q), f));
        b0 = f32x4.add(b0, f32x4.mul(v128.load(q, 16), f));
      }
      v128.store(d + (<usize>c << 2), f32x4.add(a0, f32x4.add(a1, a2)));
      v128.store(d + (<usize>c << 2), f32x4.add(b0, f32x4.add(b1, b2)), 16);
    }
    for (; c < columnEnd; c++) {
      const p = s + (<usize>c << 2);
      let sum: f32 = 0;
      for (let n = 0; n < tapCount; n++) sum += load<f32>(p + (<usize>n << 2)) * load<f32>(taps + (<usize>n << 2));
      store<f32>(d + (<usize>c << 2), sum);
    }
  }
}

/**
 * Columns, added to dst or written over it: dst[r][c] = sum over m of
 * src[r - anchor + m][c] * taps[m] (+ dst[r][c], added last), for c in
 * [columnStart, columnEnd).
 *
 * Work: rows [rowStart, rowEnd).
 */
export function f32_correlate_columns__simd128(
  src: usize, dst: usize, stride: i32, taps: usize, tapCount: i32, anchor: i32, accumulate: bool,
  columnStart: i32, threeWayEnd: i32, columnEnd: i32, rowStart: i32, rowEnd: i32,
): void {
  const rowBytes = <usize>stride << 2;
  for (let r = rowStart; r < rowEnd; r++) {
    const s = src + <usize>(r - anchor) * rowBytes;
    const d = dst + <usize>r * rowBytes;
    let c = columnStart;
    for (; c < threeWayEnd; c += 8) {
      const p = s + (<usize>c << 2);
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0);
      let m = 0;
      for (; m < tapCount - 2; m += 3) {
        const q = p + <usize>m * rowBytes;
        const f0 = v128.load32_splat(taps + (<usize>m << 2));
        const f1 = v128.load32_splat(taps + (<usize>m << 2), 4);
        const f2 = v128.load32_splat(taps + (<usize>m << 2), 8);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(q), f0));
        b0 = f32x4.add(b0, f32x4.mul(v128.load(q, 16), f0));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(q + rowBytes), f1));
        b1 = f32x4.add(b1, f32x4.mul(v128.load(q + rowBytes, 16), f1));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(q + 2 * rowBytes), f2));
        b2 = f32x4.add(b2, f32x4.mul(v128.load(q + 2 * rowBytes, 16), f2));
      }
      for (; m < tapCount; m++) {
        const q = p + <usize>m * rowBytes;
        const f = v128.load32_splat(taps + (<usize>m << 2));
        a0 = f32x4.add(a0, f32x4.mul(v128.load(q), f));
        b0 = f32x4.add(b0, f32x4.mul(v128.load(q, 16), f));
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
      const p = s + (<usize>c << 2);
      let sum: f32 = 0;
      for (let m = 0; m < tapCount; m++) sum += load<f32>(p + <usize>m * rowBytes) * load<f32>(taps + (<usize>m << 2));
      const o = d + (<usize>c << 2);
      store<f32>(o, accumulate ? load<f32>(o) + sum : sum);
    }
  }
}
