import { f32x4_muladd, f32x4x3_store_first, f32x4x4_store_first } from './f32-vector';

// The two passes of a separable 2-D cross-correlation of f32 images, 16
// output columns (four vectors) at a time. Each output sums its taps in
// order with a multiply-add a tap (fused in the relaxed-SIMD build), the same
// way whichever path computes it; the old dst value, when accumulating, is
// added to the sum last (adding each product to a large running total would
// round each of them at the total's scale).
//
// V8 loads every vector a loop iteration needs before its first
// multiply-add, and holds each in a register of its own: sums, taps and
// loaded vectors must fit in x64's 15 free vector registers, or it spills a
// sum to the stack at every iteration. So an iteration takes one tap (or two)
// and loads each vector once for two sums: the rows pass computes two rank-1
// terms of the same source at once (eight sums: two taps, four loads), the
// columns pass two output rows at once (eight sums: each source row feeds
// tap m of one and tap m - 1 of the other). Eight independent sums also cover
// a multiply-add's latency on both pipes; four do not; but an iteration then
// lasts just that latency, so that any stall idles the pipes. With fused
// multiply-adds, each load feeds three sums instead (THREE_WAY): nine sums of
// 12 columns (three vectors), three taps, the loads taken one by one; the
// bank's rows pass of three terms of one source, the columns pass three rows.
// Whichever path computes an output, it sums the same way.
//
// A row's last block computes 16 (or 12) columns and stores those before
// columnEnd: 64 bytes past what each row needs (rows: past column
// columnEnd - anchor + tapCount - 2; columns: past columnEnd - 1) must be
// readable. Images are `stride` floats a row.

/**
 * Whether loads feed three sums (three rows, or three terms) rather than two:
 * nine sums of three vectors cover a fused multiply-add's latency better
 * than eight of four. Not with a separate multiply and add, whose product
 * needs a register of its own: there threes ran slower than twos (bench/RESULTS.md, session hogcorr).
 */
export const THREE_WAY: bool = ASC_FEATURE_RELAXED_SIMD;

/**
 * Rows: dst[r][c] = sum over n of src[r][c - anchor + n] * taps[n], for c in
 * [columnStart, columnEnd).
 *
 * Work: rows [rowStart, rowEnd).
 */
export function f32_correlate_rows__simd128(
  src: usize, dst: usize, stride: i32, taps: usize, tapCount: i32, anchor: i32,
  columnStart: i32, columnEnd: i32, rowStart: i32, rowEnd: i32,
): void {
  correlateRows(src, dst, dst, stride, taps, taps, tapCount, anchor, columnStart, columnEnd, rowStart, rowEnd, false);
}

/**
 * The rows pass of one term, or of two of the same source (`pair`: taps
 * `tapsB` into `dstB` as well), each output summed as the single pass sums it.
 */
// @ts-ignore: decorator
@inline export function correlateRows(
  src: usize, dstA: usize, dstB: usize, stride: i32, tapsA: usize, tapsB: usize, tapCount: i32, anchor: i32,
  columnStart: i32, columnEnd: i32, rowStart: i32, rowEnd: i32, pair: bool,
): void {
  const rowBytes = <usize>stride << 2;
  // Whole groups of 16 columns in a loop of their own, compiled for them; then the last, partial one.
  const whole = columnEnd - ((columnEnd - columnStart) & 15);
  for (let r = rowStart; r < rowEnd; r++) {
    const s = src + <usize>r * rowBytes - (<usize>anchor << 2);
    const row = <usize>r * rowBytes;
    let c = columnStart;
    for (; c < whole; c += 16) rowColumns(s, row, dstA, dstB, tapsA, tapsB, tapCount, pair, c, 16);
    if (c < columnEnd) rowColumns(s, row, dstA, dstB, tapsA, tapsB, tapCount, pair, c, columnEnd - c);
  }
}

/**
 * The rows pass of three terms of the same source (taps `tapsA`, `tapsB`,
 * `tapsC` into `dstA`, `dstB`, `dstC`), 12 columns at a time, each output
 * summed as the single pass sums it.
 */
// @ts-ignore: decorator
@inline export function correlateRowsThree(
  src: usize, dstA: usize, dstB: usize, dstC: usize, stride: i32, tapsA: usize, tapsB: usize, tapsC: usize, tapCount: i32, anchor: i32,
  columnStart: i32, columnEnd: i32, rowStart: i32, rowEnd: i32,
): void {
  const rowBytes = <usize>stride << 2;
  const whole = columnEnd - (columnEnd - columnStart) % 12;
  for (let r = rowStart; r < rowEnd; r++) {
    const s = src + <usize>r * rowBytes - (<usize>anchor << 2);
    const row = <usize>r * rowBytes;
    let c = columnStart;
    for (; c < whole; c += 12) rowColumnsThree(s, row, dstA, dstB, dstC, tapsA, tapsB, tapsC, tapCount, c, 12);
    if (c < columnEnd) rowColumnsThree(s, row, dstA, dstB, dstC, tapsA, tapsB, tapsC, tapCount, c, columnEnd - c);
  }
}

/** Columns c to c + min(count, 12) - 1 of correlateRowsThree's row at `row` bytes, from the source at s. */
// @ts-ignore: decorator
@inline function rowColumnsThree(
  s: usize, row: usize, dstA: usize, dstB: usize, dstC: usize, tapsA: usize, tapsB: usize, tapsC: usize, tapCount: i32, c: i32, count: i32,
): void {
  let q = s + (<usize>c << 2);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0);
  let e0 = f32x4.splat(0), e1 = f32x4.splat(0), e2 = f32x4.splat(0);
  for (let n = 0; n < tapCount; n++, q += 4) {
    const tap = <usize>n << 2;
    const f = v128.load32_splat(tapsA + tap), g = v128.load32_splat(tapsB + tap), h = v128.load32_splat(tapsC + tap);
    const v0 = v128.load(q);
    a0 = f32x4_muladd(v0, f, a0); b0 = f32x4_muladd(v0, g, b0); e0 = f32x4_muladd(v0, h, e0);
    const v1 = v128.load(q, 16);
    a1 = f32x4_muladd(v1, f, a1); b1 = f32x4_muladd(v1, g, b1); e1 = f32x4_muladd(v1, h, e1);
    const v2 = v128.load(q, 32);
    a2 = f32x4_muladd(v2, f, a2); b2 = f32x4_muladd(v2, g, b2); e2 = f32x4_muladd(v2, h, e2);
  }
  const at = row + (<usize>c << 2);
  f32x4x3_store_first(dstA + at, a0, a1, a2, count);
  f32x4x3_store_first(dstB + at, b0, b1, b2, count);
  f32x4x3_store_first(dstC + at, e0, e1, e2, count);
}

/** Columns c to c + count - 1 (count <= 16) of correlateRows's row at `row` bytes, from the source at s. */
// @ts-ignore: decorator
@inline function rowColumns(
  s: usize, row: usize, dstA: usize, dstB: usize, tapsA: usize, tapsB: usize, tapCount: i32, pair: bool, c: i32, count: i32,
): void {
  let q = s + (<usize>c << 2);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  for (let n = 0; n < tapCount; n++, q += 4) {
    const tap = <usize>n << 2;
    const v0 = v128.load(q), v1 = v128.load(q, 16), v2 = v128.load(q, 32), v3 = v128.load(q, 48);
    const f = v128.load32_splat(tapsA + tap);
    a0 = f32x4_muladd(v0, f, a0); a1 = f32x4_muladd(v1, f, a1); a2 = f32x4_muladd(v2, f, a2); a3 = f32x4_muladd(v3, f, a3);
    if (pair) {
      const g = v128.load32_splat(tapsB + tap);
      b0 = f32x4_muladd(v0, g, b0); b1 = f32x4_muladd(v1, g, b1); b2 = f32x4_muladd(v2, g, b2); b3 = f32x4_muladd(v3, g, b3);
    }
  }
  const at = row + (<usize>c << 2);
  f32x4x4_store_first(dstA + at, a0, a1, a2, a3, count);
  if (pair) f32x4x4_store_first(dstB + at, b0, b1, b2, b3, count);
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
  columnStart: i32, columnEnd: i32, rowStart: i32, rowEnd: i32,
): void {
  // A copy compiled for each, rather than the choice made at every store.
  if (accumulate) correlateColumns(src, dst, stride, taps, tapCount, anchor, true, columnStart, columnEnd, rowStart, rowEnd);
  else correlateColumns(src, dst, stride, taps, tapCount, anchor, false, columnStart, columnEnd, rowStart, rowEnd);
}

/** f32_correlate_columns__simd128, inlined where `accumulate` is a constant. */
// @ts-ignore: decorator
@inline function correlateColumns(
  src: usize, dst: usize, stride: i32, taps: usize, tapCount: i32, anchor: i32, accumulate: bool,
  columnStart: i32, columnEnd: i32, rowStart: i32, rowEnd: i32,
): void {
  const rowBytes = <usize>stride << 2;
  let r = rowStart;
  if (THREE_WAY && tapCount >= 3) {
    // Three rows at a time, 12 columns at a time: whole blocks in a loop of their own, then the last, partial one.
    const whole12 = columnEnd - (columnEnd - columnStart) % 12;
    for (; r + 3 <= rowEnd; r += 3) {
      const s = src + <usize>(r - anchor) * rowBytes;
      const d = dst + <usize>r * rowBytes;
      let c = columnStart;
      for (; c < whole12; c += 12) columnsThreeRows(s, d, rowBytes, taps, tapCount, accumulate, c, 12);
      if (c < columnEnd) columnsThreeRows(s, d, rowBytes, taps, tapCount, accumulate, c, columnEnd - c);
    }
  }
  // Whole groups of 16 columns in a loop of their own, compiled for them; then the last, partial one.
  const whole = columnEnd - ((columnEnd - columnStart) & 15);
  for (; r + 2 <= rowEnd; r += 2) {
    const s = src + <usize>(r - anchor) * rowBytes;
    const d = dst + <usize>r * rowBytes;
    let c = columnStart;
    for (; c < whole; c += 16) columnsTwoRows(s, d, rowBytes, taps, tapCount, accumulate, c, 16);
    if (c < columnEnd) columnsTwoRows(s, d, rowBytes, taps, tapCount, accumulate, c, columnEnd - c);
  }
  if (r < rowEnd) {
    const s = src + <usize>(r - anchor) * rowBytes;
    const d = dst + <usize>r * rowBytes;
    let c = columnStart;
    for (; c < whole; c += 16) columnsOneRow(s, d, rowBytes, taps, tapCount, accumulate, c, 16);
    if (c < columnEnd) columnsOneRow(s, d, rowBytes, taps, tapCount, accumulate, c, columnEnd - c);
  }
}

/** Columns c to c + count - 1 (count <= 16) of two output rows, from the source rows at s (the first row's first). */
// @ts-ignore: decorator
@inline function columnsTwoRows(s: usize, d: usize, rowBytes: usize, taps: usize, tapCount: i32, accumulate: bool, c: i32, count: i32): void {
  const oa = d + (<usize>c << 2);
  const ob = oa + rowBytes;
  // Source row m feeds the top row's tap m and the bottom row's tap m - 1.
  let q = s + (<usize>c << 2);
  let f = v128.load32_splat(taps);
  let a0 = f32x4.mul(v128.load(q), f), a1 = f32x4.mul(v128.load(q, 16), f);
  let a2 = f32x4.mul(v128.load(q, 32), f), a3 = f32x4.mul(v128.load(q, 48), f);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  let t = taps;
  for (let m = 1; m < tapCount; m++, t += 4) {
    q += rowBytes;
    const v0 = v128.load(q), v1 = v128.load(q, 16), v2 = v128.load(q, 32), v3 = v128.load(q, 48);
    // The top row's last tap is the bottom row's now.
    const g = f;
    f = v128.load32_splat(t, 4);
    a0 = f32x4_muladd(v0, f, a0); a1 = f32x4_muladd(v1, f, a1); a2 = f32x4_muladd(v2, f, a2); a3 = f32x4_muladd(v3, f, a3);
    b0 = f32x4_muladd(v0, g, b0); b1 = f32x4_muladd(v1, g, b1); b2 = f32x4_muladd(v2, g, b2); b3 = f32x4_muladd(v3, g, b3);
  }
  storeSums(oa, a0, a1, a2, a3, count, accumulate);
  q += rowBytes;
  b0 = f32x4_muladd(v128.load(q), f, b0); b1 = f32x4_muladd(v128.load(q, 16), f, b1);
  b2 = f32x4_muladd(v128.load(q, 32), f, b2); b3 = f32x4_muladd(v128.load(q, 48), f, b3);
  storeSums(ob, b0, b1, b2, b3, count, accumulate);
}

/** Columns c to c + min(count, 12) - 1 of three output rows, from the source rows at s (the first row's first); tapCount >= 3. */
// @ts-ignore: decorator
@inline function columnsThreeRows(s: usize, d: usize, rowBytes: usize, taps: usize, tapCount: i32, accumulate: bool, c: i32, count: i32): void {
  const oa = d + (<usize>c << 2);
  // Source row m feeds the top row's tap m, the middle row's m - 1 and the bottom row's m - 2.
  let q = s + (<usize>c << 2);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0);
  let e0 = f32x4.splat(0), e1 = f32x4.splat(0), e2 = f32x4.splat(0);
  let f = v128.load32_splat(taps);
  a0 = f32x4_muladd(v128.load(q), f, a0); a1 = f32x4_muladd(v128.load(q, 16), f, a1); a2 = f32x4_muladd(v128.load(q, 32), f, a2);
  q += rowBytes;
  let g = f;
  f = v128.load32_splat(taps, 4);
  let v0 = v128.load(q), v1 = v128.load(q, 16), v2 = v128.load(q, 32);
  a0 = f32x4_muladd(v0, f, a0); a1 = f32x4_muladd(v1, f, a1); a2 = f32x4_muladd(v2, f, a2);
  b0 = f32x4_muladd(v0, g, b0); b1 = f32x4_muladd(v1, g, b1); b2 = f32x4_muladd(v2, g, b2);
  // Each tap serves three source rows in turn: one new one a row.
  let h = g;
  g = f;
  let t = taps;
  for (let m = 2; m < tapCount; m++, t += 4) {
    q += rowBytes;
    const w0 = v128.load(q);
    f = v128.load32_splat(t, 8);
    a0 = f32x4_muladd(w0, f, a0); b0 = f32x4_muladd(w0, g, b0); e0 = f32x4_muladd(w0, h, e0);
    const w1 = v128.load(q, 16);
    a1 = f32x4_muladd(w1, f, a1); b1 = f32x4_muladd(w1, g, b1); e1 = f32x4_muladd(w1, h, e1);
    const w2 = v128.load(q, 32);
    a2 = f32x4_muladd(w2, f, a2); b2 = f32x4_muladd(w2, g, b2); e2 = f32x4_muladd(w2, h, e2);
    h = g;
    g = f;
  }
  storeSums3(oa, a0, a1, a2, count, accumulate);
  q += rowBytes;
  v0 = v128.load(q); v1 = v128.load(q, 16); v2 = v128.load(q, 32);
  b0 = f32x4_muladd(v0, g, b0); b1 = f32x4_muladd(v1, g, b1); b2 = f32x4_muladd(v2, g, b2);
  e0 = f32x4_muladd(v0, h, e0); e1 = f32x4_muladd(v1, h, e1); e2 = f32x4_muladd(v2, h, e2);
  storeSums3(oa + rowBytes, b0, b1, b2, count, accumulate);
  q += rowBytes;
  e0 = f32x4_muladd(v128.load(q), g, e0); e1 = f32x4_muladd(v128.load(q, 16), g, e1); e2 = f32x4_muladd(v128.load(q, 32), g, e2);
  storeSums3(oa + (rowBytes << 1), e0, e1, e2, count, accumulate);
}

/** Three sums from o on (the first `count` floats, all when count >= 12), added to the old values when accumulating. */
// @ts-ignore: decorator
@inline function storeSums3(o: usize, a0: v128, a1: v128, a2: v128, count: i32, accumulate: bool): void {
  if (accumulate) {
    a0 = f32x4.add(v128.load(o), a0);
    a1 = f32x4.add(v128.load(o, 16), a1);
    a2 = f32x4.add(v128.load(o, 32), a2);
  }
  f32x4x3_store_first(o, a0, a1, a2, count);
}

/** Columns c to c + count - 1 (count <= 16) of one output row, from the source rows at s. */
// @ts-ignore: decorator
@inline function columnsOneRow(s: usize, d: usize, rowBytes: usize, taps: usize, tapCount: i32, accumulate: bool, c: i32, count: i32): void {
  const o = d + (<usize>c << 2);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let q = s + (<usize>c << 2);
  for (let m = 0; m < tapCount; m++, q += rowBytes) {
    const f = v128.load32_splat(taps + (<usize>m << 2));
    a0 = f32x4_muladd(v128.load(q), f, a0); a1 = f32x4_muladd(v128.load(q, 16), f, a1);
    a2 = f32x4_muladd(v128.load(q, 32), f, a2); a3 = f32x4_muladd(v128.load(q, 48), f, a3);
  }
  storeSums(o, a0, a1, a2, a3, count, accumulate);
}

/** Four sums from o on (the first `count` floats), added to the old values when accumulating. */
// @ts-ignore: decorator
@inline export function storeSums(o: usize, a0: v128, a1: v128, a2: v128, a3: v128, count: i32, accumulate: bool): void {
  if (accumulate) {
    a0 = f32x4.add(v128.load(o), a0);
    a1 = f32x4.add(v128.load(o, 16), a1);
    a2 = f32x4.add(v128.load(o, 32), a2);
    a3 = f32x4.add(v128.load(o, 48), a3);
  }
  f32x4x4_store_first(o, a0, a1, a2, a3, count);
}
