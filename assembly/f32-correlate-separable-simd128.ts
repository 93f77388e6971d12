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
// a row; 64 bytes past each row read must be readable.
//
// Ten taps (the filters of dlib's usual 80x80 HOG window) take an unrolled
// path that holds the taps in registers and reuses each loaded vector for
// every output it feeds: four outputs share 22 loads (rows) or 13 (columns)
// instead of 40. It sums in exactly the same order.

// @ts-ignore: decorator
@inline function mac(acc: v128, v: v128, f: v128): v128 {
  return f32x4.add(acc, f32x4.mul(v, f));
}

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
    if (tapCount == 10) c = rowTenTaps(s, d, taps, c, threeWayEnd);
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
        a0 = mac(a0, v128.load(q), f0);
        b0 = mac(b0, v128.load(q, 16), f0);
        a1 = mac(a1, v128.load(q, 4), f1);
        b1 = mac(b1, v128.load(q, 20), f1);
        a2 = mac(a2, v128.load(q, 8), f2);
        b2 = mac(b2, v128.load(q, 24), f2);
      }
      for (; n < tapCount; n++) {
        const q = p + (<usize>n << 2);
        const f = v128.load32_splat(taps + (<usize>n << 2));
        a0 = mac(a0, v128.load(q), f);
        b0 = mac(b0, v128.load(q, 16), f);
      }
      v128.store(d + (<usize>c << 2), f32x4.add(a0, f32x4.add(a1, a2)));
      v128.store(d + (<usize>c << 2), f32x4.add(b0, f32x4.add(b1, b2)), 16);
    }
    // In order, four columns a vector: each lane sums its column's taps in turn.
    for (; c < columnEnd; c += 4) {
      const p = s + (<usize>c << 2);
      let sum = f32x4.splat(0);
      for (let n = 0; n < tapCount; n++) sum = mac(sum, v128.load(p + (<usize>n << 2)), v128.load32_splat(taps + (<usize>n << 2)));
      storeLanes(d + (<usize>c << 2), sum, columnEnd - c);
    }
  }
}

/** The first min(count, 4) lanes of v at o: columns past the range stay untouched. */
// @ts-ignore: decorator
@inline function storeLanes(o: usize, v: v128, count: i32): void {
  if (count >= 4) {
    v128.store(o, v);
    return;
  }
  v128.store32_lane(o, v, 0);
  if (count > 1) v128.store32_lane(o, v, 1, 4);
  if (count > 2) v128.store32_lane(o, v, 2, 8);
}

/**
 * The three-way sums of one row with ten taps, 16 columns at a time from c;
 * returns the first column not done. Vector j's tap n is loaded at 4j + n:
 * each load serves every (j, n) it can, in increasing n for each sum.
 */
// @ts-ignore: decorator
@inline function rowTenTaps(s: usize, d: usize, taps: usize, c: i32, end: i32): i32 {
  const f0 = v128.load32_splat(taps), f1 = v128.load32_splat(taps, 4), f2 = v128.load32_splat(taps, 8);
  const f3 = v128.load32_splat(taps, 12), f4 = v128.load32_splat(taps, 16), f5 = v128.load32_splat(taps, 20);
  const f6 = v128.load32_splat(taps, 24), f7 = v128.load32_splat(taps, 28), f8 = v128.load32_splat(taps, 32);
  const f9 = v128.load32_splat(taps, 36);
  for (; c + 16 <= end; c += 16) {
    const p = s + (<usize>c << 2);
    const o = d + (<usize>c << 2);
    // aJK: output vector J's partial sum K.
    let v = v128.load(p);
    let a00 = f32x4.mul(v, f0);
    v = v128.load(p, 4); let a01 = f32x4.mul(v, f1);
    v = v128.load(p, 8); let a02 = f32x4.mul(v, f2);
    v = v128.load(p, 12); a00 = mac(a00, v, f3);
    v = v128.load(p, 16); a01 = mac(a01, v, f4); let a10 = f32x4.mul(v, f0);
    v = v128.load(p, 20); a02 = mac(a02, v, f5); let a11 = f32x4.mul(v, f1);
    v = v128.load(p, 24); a00 = mac(a00, v, f6); let a12 = f32x4.mul(v, f2);
    v = v128.load(p, 28); a01 = mac(a01, v, f7); a10 = mac(a10, v, f3);
    v = v128.load(p, 32); a02 = mac(a02, v, f8); a11 = mac(a11, v, f4); let a20 = f32x4.mul(v, f0);
    v = v128.load(p, 36); a00 = mac(a00, v, f9); a12 = mac(a12, v, f5); let a21 = f32x4.mul(v, f1);
    v128.store(o, f32x4.add(a00, f32x4.add(a01, a02)));
    v = v128.load(p, 40); a10 = mac(a10, v, f6); let a22 = f32x4.mul(v, f2);
    v = v128.load(p, 44); a11 = mac(a11, v, f7); a20 = mac(a20, v, f3);
    v = v128.load(p, 48); a12 = mac(a12, v, f8); a21 = mac(a21, v, f4); let a30 = f32x4.mul(v, f0);
    v = v128.load(p, 52); a10 = mac(a10, v, f9); a22 = mac(a22, v, f5); let a31 = f32x4.mul(v, f1);
    v128.store(o, f32x4.add(a10, f32x4.add(a11, a12)), 16);
    v = v128.load(p, 56); a20 = mac(a20, v, f6); let a32 = f32x4.mul(v, f2);
    v = v128.load(p, 60); a21 = mac(a21, v, f7); a30 = mac(a30, v, f3);
    v = v128.load(p, 64); a22 = mac(a22, v, f8); a31 = mac(a31, v, f4);
    v = v128.load(p, 68); a20 = mac(a20, v, f9); a32 = mac(a32, v, f5);
    v128.store(o, f32x4.add(a20, f32x4.add(a21, a22)), 32);
    v = v128.load(p, 72); a30 = mac(a30, v, f6);
    v = v128.load(p, 76); a31 = mac(a31, v, f7);
    v = v128.load(p, 80); a32 = mac(a32, v, f8);
    v = v128.load(p, 84); a30 = mac(a30, v, f9);
    v128.store(o, f32x4.add(a30, f32x4.add(a31, a32)), 48);
  }
  return c;
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
  let r = rowStart;
  if (tapCount == 10) {
    for (; r + 4 <= rowEnd; r += 4) {
      columnsTenTaps(src + <usize>(r - anchor) * rowBytes, dst + <usize>r * rowBytes, rowBytes, taps, accumulate, columnStart, threeWayEnd);
      for (let k = 0; k < 4; k++) columnsInOrder(src, dst, rowBytes, taps, tapCount, anchor, accumulate, threeWayEnd, columnEnd, r + k);
    }
  }
  for (; r < rowEnd; r++) {
    const s = src + <usize>(r - anchor) * rowBytes;
    const d = dst + <usize>r * rowBytes;
    for (let c = columnStart; c < threeWayEnd; c += 8) {
      const p = s + (<usize>c << 2);
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0);
      let m = 0;
      for (; m < tapCount - 2; m += 3) {
        const q = p + <usize>m * rowBytes;
        const f0 = v128.load32_splat(taps + (<usize>m << 2));
        const f1 = v128.load32_splat(taps + (<usize>m << 2), 4);
        const f2 = v128.load32_splat(taps + (<usize>m << 2), 8);
        a0 = mac(a0, v128.load(q), f0);
        b0 = mac(b0, v128.load(q, 16), f0);
        a1 = mac(a1, v128.load(q + rowBytes), f1);
        b1 = mac(b1, v128.load(q + rowBytes, 16), f1);
        a2 = mac(a2, v128.load(q + 2 * rowBytes), f2);
        b2 = mac(b2, v128.load(q + 2 * rowBytes, 16), f2);
      }
      for (; m < tapCount; m++) {
        const q = p + <usize>m * rowBytes;
        const f = v128.load32_splat(taps + (<usize>m << 2));
        a0 = mac(a0, v128.load(q), f);
        b0 = mac(b0, v128.load(q, 16), f);
      }
      const o = d + (<usize>c << 2);
      store2(o, f32x4.add(a0, f32x4.add(a1, a2)), f32x4.add(b0, f32x4.add(b1, b2)), accumulate);
    }
    columnsInOrder(src, dst, rowBytes, taps, tapCount, anchor, accumulate, threeWayEnd, columnEnd, r);
  }
}

// @ts-ignore: decorator
@inline function store2(o: usize, lo: v128, hi: v128, accumulate: bool): void {
  if (accumulate) {
    lo = f32x4.add(lo, v128.load(o));
    hi = f32x4.add(hi, v128.load(o, 16));
  }
  v128.store(o, lo);
  v128.store(o, hi, 16);
}

// @ts-ignore: decorator
@inline function store1(o: usize, v: v128, accumulate: bool): void {
  v128.store(o, accumulate ? f32x4.add(v, v128.load(o)) : v);
}

/** The in-order sums of row r's columns [c0, c1), four columns a vector. */
// @ts-ignore: decorator
@inline function columnsInOrder(
  src: usize, dst: usize, rowBytes: usize, taps: usize, tapCount: i32, anchor: i32, accumulate: bool, c0: i32, c1: i32, r: i32,
): void {
  const s = src + <usize>(r - anchor) * rowBytes;
  const d = dst + <usize>r * rowBytes;
  for (let c = c0; c < c1; c += 4) {
    const p = s + (<usize>c << 2);
    let sum = f32x4.splat(0);
    for (let m = 0; m < tapCount; m++) sum = mac(sum, v128.load(p + <usize>m * rowBytes), v128.load32_splat(taps + (<usize>m << 2)));
    const o = d + (<usize>c << 2);
    storeLanes(o, accumulate ? f32x4.add(v128.load(o), sum) : sum, c1 - c);
  }
}

/**
 * The three-way sums of four rows with ten taps, 4 columns at a time over
 * [c0, c1): s is the first source row the top output row reads. Output row
 * j's tap m is source row j + m: each loaded row serves every (j, m) it can,
 * in increasing m for each sum.
 */
// @ts-ignore: decorator
@inline function columnsTenTaps(s: usize, d: usize, rowBytes: usize, taps: usize, accumulate: bool, c0: i32, c1: i32): void {
  const f0 = v128.load32_splat(taps), f1 = v128.load32_splat(taps, 4), f2 = v128.load32_splat(taps, 8);
  const f3 = v128.load32_splat(taps, 12), f4 = v128.load32_splat(taps, 16), f5 = v128.load32_splat(taps, 20);
  const f6 = v128.load32_splat(taps, 24), f7 = v128.load32_splat(taps, 28), f8 = v128.load32_splat(taps, 32);
  const f9 = v128.load32_splat(taps, 36);
  for (let c = c0; c < c1; c += 4) {
    let p = s + (<usize>c << 2);
    const o = d + (<usize>c << 2);
    // aJK: output row J's partial sum K.
    let v = v128.load(p);
    let a00 = f32x4.mul(v, f0);
    v = v128.load(p += rowBytes); let a01 = f32x4.mul(v, f1); let a10 = f32x4.mul(v, f0);
    v = v128.load(p += rowBytes); let a02 = f32x4.mul(v, f2); let a11 = f32x4.mul(v, f1); let a20 = f32x4.mul(v, f0);
    v = v128.load(p += rowBytes); a00 = mac(a00, v, f3); let a12 = f32x4.mul(v, f2); let a21 = f32x4.mul(v, f1); let a30 = f32x4.mul(v, f0);
    v = v128.load(p += rowBytes); a01 = mac(a01, v, f4); a10 = mac(a10, v, f3); let a22 = f32x4.mul(v, f2); let a31 = f32x4.mul(v, f1);
    v = v128.load(p += rowBytes); a02 = mac(a02, v, f5); a11 = mac(a11, v, f4); a20 = mac(a20, v, f3); let a32 = f32x4.mul(v, f2);
    v = v128.load(p += rowBytes); a00 = mac(a00, v, f6); a12 = mac(a12, v, f5); a21 = mac(a21, v, f4); a30 = mac(a30, v, f3);
    v = v128.load(p += rowBytes); a01 = mac(a01, v, f7); a10 = mac(a10, v, f6); a22 = mac(a22, v, f5); a31 = mac(a31, v, f4);
    v = v128.load(p += rowBytes); a02 = mac(a02, v, f8); a11 = mac(a11, v, f7); a20 = mac(a20, v, f6); a32 = mac(a32, v, f5);
    v = v128.load(p += rowBytes); a00 = mac(a00, v, f9); a12 = mac(a12, v, f8); a21 = mac(a21, v, f7); a30 = mac(a30, v, f6);
    store1(o, f32x4.add(a00, f32x4.add(a01, a02)), accumulate);
    v = v128.load(p += rowBytes); a10 = mac(a10, v, f9); a22 = mac(a22, v, f8); a31 = mac(a31, v, f7);
    store1(o + rowBytes, f32x4.add(a10, f32x4.add(a11, a12)), accumulate);
    v = v128.load(p += rowBytes); a20 = mac(a20, v, f9); a32 = mac(a32, v, f8);
    store1(o + 2 * rowBytes, f32x4.add(a20, f32x4.add(a21, a22)), accumulate);
    v = v128.load(p += rowBytes); a30 = mac(a30, v, f9);
    store1(o + 3 * rowBytes, f32x4.add(a30, f32x4.add(a31, a32)), accumulate);
  }
}
