// The constants of Felzenszwalb's HOG normalization, as f32.
const EPS: f32 = 0.0001;
const NORM_SCALE: f32 = 0.2;
const TRUNCATION: f32 = 0.1;
const TEXTURE_SCALE: f32 = <f32>(2 * 0.2357);

/**
 * Felzenszwalb's 31 HOG features per cell from 18-bin cell histograms (the
 * second stage), in f32. `hist` holds 18 planes, `histPlaneBytes` apart, of
 * (cellRows + 2) x `histStride` cells with one border cell all round. Cell
 * (r, c) has energy e = sum over o < 9 of (h[o] + h[o + 9])^2, added in o
 * order; a 2x2 block of cells at (r, c) has
 * n = 0.2 * sqrt(((e(r,c) + e(r,c+1)) + e(r+1,c)) + e(r+1,c+1) + 0.0001)
 * and s = 0.1 / n. Feature cell (y, x), for y < cellRows - 2 and
 * x < cellCols - 2, is histogram cell (y + 1, x + 1) normalized by its four
 * blocks B0 = (y+1, x+1), B1 = (y, x+1), B2 = (y+1, x), B3 = (y, x): a value h
 * gives q_k = min(h, n_k) * s_k and the feature (q0 + q1) + (q2 + q3).
 * Planes 0-17 take h = h[o], planes 18-26 h = h[o] + h[o + 9], and plane
 * 27 + k is 0.4714 * (the sum of q_k over the 18 first planes, added three
 * at a time as (q(o) + q(o+1)) + q(o+2)).
 *
 * The output is 31 planes, `outPlaneBytes` apart, of `outRows` x `outCols`,
 * with feature cell (y, x) at (y + padTop, x + padLeft) and zeros all round.
 * `energy`, `blockNorm` and `blockScale` are scratch planes of
 * `scratchStride` >= cellCols + 4 floats a row and cellRows rows; all
 * buffers need 64 readable bytes after their end.
 *
 * Work: in four phases, one call each, in order (each reads the one before):
 * `phase` 0 the energies of cell rows [rowStart, rowEnd) of [0, cellRows),
 * 1 the block norms of rows of [0, cellRows - 1), 2 the features of rows of
 * [0, cellRows - 2), 3 the padding (the range unused).
 */
export function f32_fhog_features__simd128(
  hist: usize, histStride: i32, histPlaneBytes: i32, cellRows: i32, cellCols: i32,
  energy: usize, blockNorm: usize, blockScale: usize, scratchStride: i32,
  out: usize, outRows: i32, outCols: i32, outPlaneBytes: i32, padTop: i32, padLeft: i32,
  phase: i32, rowStart: i32, rowEnd: i32,
): void {
  const histPlane = <usize>histPlaneBytes;
  const histRow = <usize>histStride << 2;
  const scratchRow = <usize>scratchStride << 2;
  if (phase == FHOG_ENERGY) energyRows(hist, histRow, histPlane, cellCols, energy, scratchRow, rowStart, rowEnd);
  else if (phase == FHOG_BLOCKS) blockRows(cellCols, energy, blockNorm, blockScale, scratchRow, rowStart, rowEnd);
  else if (phase == FHOG_FEATURES) featureRows(hist, histRow, histPlane, cellCols, blockNorm, blockScale, scratchRow, out, outCols, outPlaneBytes, padTop, padLeft, rowStart, rowEnd);
  else fillPadding(cellRows, cellCols, out, outRows, outCols, outPlaneBytes, padTop, padLeft);
}

/** The four phases, each on rows [rowStart, rowEnd) of its own (none for the padding), each after the one before. */
const FHOG_ENERGY = 0;
const FHOG_BLOCKS = 1;
const FHOG_FEATURES = 2;

/** Phase 0, cell rows of [0, cellRows): each cell's energy. */
function energyRows(
  hist: usize, histRow: usize, histPlane: usize, cellCols: i32, energy: usize, scratchRow: usize, rowStart: i32, rowEnd: i32,
): void {
  for (let r = rowStart; r < rowEnd; r++) {
    const h = hist + <usize>(r + 1) * histRow + 4;
    const e = energy + <usize>r * scratchRow;
    for (let c = 0; c < cellCols; c += 4) {
      const at = <usize>c << 2;
      let sum = f32x4.splat(0);
      for (let o: usize = 0; o < 9; o++) {
        const pair = f32x4.add(v128.load(h + o * histPlane + at), v128.load(h + (o + 9) * histPlane + at));
        sum = f32x4.add(sum, f32x4.mul(pair, pair));
      }
      v128.store(e + at, sum);
    }
  }
}

/** Phase 1, block rows of [0, cellRows - 1): each 2x2 block's norm and scale. */
function blockRows(
  cellCols: i32, energy: usize, blockNorm: usize, blockScale: usize, scratchRow: usize, rowStart: i32, rowEnd: i32,
): void {
  const eps = f32x4.splat(EPS);
  for (let r = rowStart; r < rowEnd; r++) {
    const e = energy + <usize>r * scratchRow;
    for (let c = 0; c < cellCols - 1; c += 4) {
      const at = <usize>c << 2;
      const block = f32x4.add(f32x4.add(f32x4.add(f32x4.add(v128.load(e + at), v128.load(e + at + 4)),
        v128.load(e + scratchRow + at)), v128.load(e + scratchRow + at + 4)), eps);
      const n = f32x4.mul(f32x4.splat(NORM_SCALE), f32x4.sqrt(block));
      v128.store(blockNorm + <usize>r * scratchRow + at, n);
      v128.store(blockScale + <usize>r * scratchRow + at, f32x4.div(f32x4.splat(TRUNCATION), n));
    }
  }
}

/**
 * Phase 2, feature rows of [0, cellRows - 2): the 31 features of each cell,
 * plane by plane along the row (three histogram planes at a time, and with
 * the first three triples the planes 18 + o of their sums with the planes
 * o + 9), so that few memory streams are live at once; the texture sums
 * build up in their own output planes, scaled by the last triple.
 */
function featureRows(
  hist: usize, histRow: usize, histPlane: usize, cellCols: i32, blockNorm: usize, blockScale: usize, scratchRow: usize,
  out: usize, outCols: i32, outPlaneBytes: i32, padTop: i32, padLeft: i32, rowStart: i32, rowEnd: i32,
): void {
  const outPlane = <usize>outPlaneBytes;
  const outRow = <usize>outCols << 2;
  const cols = cellCols - 2;
  for (let y = rowStart; y < rowEnd; y++) {
    const n = blockNorm + <usize>y * scratchRow;
    const s = blockScale + <usize>y * scratchRow;
    const h = hist + <usize>(y + 2) * histRow + 8;
    const o = out + <usize>(y + padTop) * outRow + (<usize>padLeft << 2);
    // The triples in order: the texture sums take them one after the other.
    triple(0, TEXTURE_FIRST, true, h, histPlane, n, s, scratchRow, o, outPlane, cols);
    triple(3, TEXTURE_ADD, true, h, histPlane, n, s, scratchRow, o, outPlane, cols);
    triple(6, TEXTURE_ADD, true, h, histPlane, n, s, scratchRow, o, outPlane, cols);
    triple(9, TEXTURE_ADD, false, h, histPlane, n, s, scratchRow, o, outPlane, cols);
    triple(12, TEXTURE_ADD, false, h, histPlane, n, s, scratchRow, o, outPlane, cols);
    triple(15, TEXTURE_LAST, false, h, histPlane, n, s, scratchRow, o, outPlane, cols);
  }
}

/** What a triple does with the texture sums: start them, add to them, or add and scale them. */
const TEXTURE_FIRST = 0;
const TEXTURE_ADD = 1;
const TEXTURE_LAST = 2;

/**
 * Planes b to b + 2 of a feature row (and 18 + b to 20 + b from the planes
 * b + 9 to b + 11 when `sums`), with their part of the texture sums: t =
 * (t + (q(b) + q(b+1))) + q(b+2) per block, from zero.
 */
function triple(
  b: usize, texture: i32, sums: bool, h: usize, histPlane: usize, n: usize, s: usize, scratchRow: usize, o: usize, outPlane: usize, cols: i32,
): void {
  const scale = f32x4.splat(TEXTURE_SCALE);
  for (let x = 0; x < cols; x += 4) {
    const at = <usize>x << 2;
    // The last group of a row stores only its cells: past them may be the next row (no right
    // padding), another thread's, or past the last plane's end (no bottom padding).
    const lanes = min(cols - x, 4);
    // Lane k of each: the block Bk of four neighbouring feature cells.
    const n3 = v128.load(n + at), n1 = v128.load(n + at + 4);
    const n2 = v128.load(n + scratchRow + at), n0 = v128.load(n + scratchRow + at + 4);
    const s3 = v128.load(s + at), s1 = v128.load(s + at + 4);
    const s2 = v128.load(s + scratchRow + at), s0 = v128.load(s + scratchRow + at + 4);
    const hb = h + b * histPlane + at;
    const ob = o + b * outPlane + at;
    const u = v128.load(hb);
    const v = v128.load(hb + histPlane);
    const w = v128.load(hb + 2 * histPlane);
    const u0 = clip(u, n0, s0), u1 = clip(u, n1, s1), u2 = clip(u, n2, s2), u3 = clip(u, n3, s3);
    const v0 = clip(v, n0, s0), v1 = clip(v, n1, s1), v2 = clip(v, n2, s2), v3 = clip(v, n3, s3);
    const w0 = clip(w, n0, s0), w1 = clip(w, n1, s1), w2 = clip(w, n2, s2), w3 = clip(w, n3, s3);
    storeLanes(ob, f32x4.add(f32x4.add(u0, u1), f32x4.add(u2, u3)), lanes);
    storeLanes(ob + outPlane, f32x4.add(f32x4.add(v0, v1), f32x4.add(v2, v3)), lanes);
    storeLanes(ob + 2 * outPlane, f32x4.add(f32x4.add(w0, w1), f32x4.add(w2, w3)), lanes);
    const t = o + 27 * outPlane + at;
    textureLanes(t, texture, f32x4.add(f32x4.add(u0, v0), w0), scale, lanes);
    textureLanes(t + outPlane, texture, f32x4.add(f32x4.add(u1, v1), w1), scale, lanes);
    textureLanes(t + 2 * outPlane, texture, f32x4.add(f32x4.add(u2, v2), w2), scale, lanes);
    textureLanes(t + 3 * outPlane, texture, f32x4.add(f32x4.add(u3, v3), w3), scale, lanes);
    if (sums) {
      const sb = ob + 18 * outPlane;
      sumPlane(sb, f32x4.add(u, v128.load(hb + 9 * histPlane)), n0, n1, n2, n3, s0, s1, s2, s3, lanes);
      sumPlane(sb + outPlane, f32x4.add(v, v128.load(hb + 10 * histPlane)), n0, n1, n2, n3, s0, s1, s2, s3, lanes);
      sumPlane(sb + 2 * outPlane, f32x4.add(w, v128.load(hb + 11 * histPlane)), n0, n1, n2, n3, s0, s1, s2, s3, lanes);
    }
  }
}

/** A texture sum's lanes: q, or the sum so far plus q, or that scaled, by `texture`. */
// @ts-ignore: decorator
@inline function textureLanes(at: usize, texture: i32, q: v128, scale: v128, lanes: i32): void {
  if (texture == TEXTURE_FIRST) storeLanes(at, q, lanes);
  else if (texture == TEXTURE_ADD) storeLanes(at, f32x4.add(v128.load(at), q), lanes);
  else storeLanes(at, f32x4.mul(f32x4.add(v128.load(at), q), scale), lanes);
}

/** A plane 18 + o feature from h[o] + h[o + 9]. */
// @ts-ignore: decorator
@inline function sumPlane(at: usize, v: v128, n0: v128, n1: v128, n2: v128, n3: v128, s0: v128, s1: v128, s2: v128, s3: v128, lanes: i32): void {
  storeLanes(at, f32x4.add(f32x4.add(clip(v, n0, s0), clip(v, n1, s1)), f32x4.add(clip(v, n2, s2), clip(v, n3, s3))), lanes);
}

/** Phase 3: the zeros all round. */
function fillPadding(
  cellRows: i32, cellCols: i32, out: usize, outRows: i32, outCols: i32, outPlaneBytes: i32, padTop: i32, padLeft: i32,
): void {
  const outPlane = <usize>outPlaneBytes;
  const outRow = <usize>outCols << 2;
  const rows = cellRows - 2;
  const cols = cellCols - 2;
  for (let p: usize = 0; p < 31; p++) {
    const planeStart = out + p * outPlane;
    memory.fill(planeStart, 0, <usize>padTop * outRow);
    memory.fill(planeStart + <usize>(padTop + rows) * outRow, 0, <usize>(outRows - padTop - rows) * outRow);
    // A few floats each side of a row: stores, not a memory.fill call (engine overhead) each.
    for (let y = 0; y < rows; y++) {
      const line = planeStart + <usize>(y + padTop) * outRow;
      zeroFloats(line, padLeft);
      zeroFloats(line + (<usize>(padLeft + cols) << 2), outCols - padLeft - cols);
    }
  }
}

/** Zeros `count` floats at `at`. */
// @ts-ignore: decorator
@inline function zeroFloats(at: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(at + (<usize>i << 2), v128.splat<i32>(0));
  for (; i < count; i++) store<f32>(at + (<usize>i << 2), 0);
}

/** Stores the first `lanes` (1 to 4) floats of `v`. */
// @ts-ignore: decorator
@inline function storeLanes(at: usize, v: v128, lanes: i32): void {
  if (lanes == 4) {
    v128.store(at, v);
    return;
  }
  store<f32>(at, f32x4.extract_lane(v, 0));
  if (lanes > 1) store<f32>(at, f32x4.extract_lane(v, 1), 4);
  if (lanes > 2) store<f32>(at, f32x4.extract_lane(v, 2), 8);
}

/** A histogram value normalized by one block: min(h, n) * s. */
// @ts-ignore: decorator
@inline function clip(h: v128, n: v128, s: v128): v128 {
  return f32x4.mul(f32x4.min(h, n), s);
}
