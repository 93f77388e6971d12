import { f32x4_muladd, f32x4_relu_if, f32x4_store_first } from './f32-vector';

/**
 * The output transform of a Winograd convolution of alpha x alpha tiles
 * (alpha 6: F(2x2, 5x5) or F(4x4, 3x3), outputTile 2 or 4; alpha 8: F(4x4,
 * 5x5) or F(6x6, 3x3), outputTile 4 or 6; alpha 10: F(6x6, 5x5), outputTile
 * 6) into an NHWC tensor, vectorized over channels. Tile t's alpha x
 * alpha transform-domain products are row t of alpha² matrices (position ξ
 * = alpha*i + j at m + ξ*mMatrixBytes, rows of `channels` rounded up to 4
 * floats); per channel it computes the outputTile² outputs Y = Aᵀ M A, Aᵀ
 * the first outputTile rows of (the points 0, ±1, ±2, for alpha 8 ±½, and ∞)
 *
 *   alpha 6: | 1  1  1  1  1  0 |    alpha 8: | 1  1  1  1  1  1    1    0 |
 *            | 0  1 -1  2 -2  0 |             | 0  1 -1  2 -2  1/2 -1/2  0 |
 *            | 0  1  1  4  4  0 |             | 0  1  1  4  4  1/4  1/4  0 |
 *            | 0  1 -1  8 -8  0 |             | 0  1 -1  8 -8  1/8 -1/8  0 |
 *                                               | 0  1  1 16 16  1/16 1/16 0 |
 *                                               | 0  1 -1 32 -32 1/32 -1/32 0 |
 *
 * and for alpha 10 (the points 0, ±½, ±¾, ±5/4, ±5/2 and ∞) row k is p^k
 * at the point p's column (1 at 0's for k = 0),
 * with a 1 in the last column of the last row taken; then adds the bias
 * (after the sum, as a direct convolution that sums its products before
 * adding the bias rounds it) and ReLU if asked. Tile t covers outputs from
 * (outputTile*ty, outputTile*tx) of its sample; those past the bottom or
 * right edge are not stored. M A is written over M's rows of the tile (the
 * alpha * outputTile vectors would not fit in registers), then read back
 * column by column. `bias` holds `channels` rounded up to 4 floats.
 *
 * Work: tiles [tileStart, tileEnd), counted over all samples, tilesY*tilesX per sample.
 */
export function f32_winograd_output_nhwc__simd128(
  alpha: i32, outputTile: i32, m: usize, mMatrixBytes: usize, bias: usize, channels: i32, height: i32, width: i32,
  tilesY: i32, tilesX: i32, y: usize, relu: bool,
  tileStart: i32, tileEnd: i32,
): void {
  // Each tile size compiled on its own: the loops over its rows and columns unroll.
  if (alpha == 10) {
    outputTransform(10, 6, m, mMatrixBytes, bias, channels, height, width, tilesY, tilesX, y, relu, tileStart, tileEnd);
  } else if (alpha == 8 && outputTile == 6) {
    outputTransform(8, 6, m, mMatrixBytes, bias, channels, height, width, tilesY, tilesX, y, relu, tileStart, tileEnd);
  } else if (alpha == 8) {
    outputTransform(8, 4, m, mMatrixBytes, bias, channels, height, width, tilesY, tilesX, y, relu, tileStart, tileEnd);
  } else if (outputTile == 4) {
    outputTransform(6, 4, m, mMatrixBytes, bias, channels, height, width, tilesY, tilesX, y, relu, tileStart, tileEnd);
  } else {
    outputTransform(6, 2, m, mMatrixBytes, bias, channels, height, width, tilesY, tilesX, y, relu, tileStart, tileEnd);
  }
}

// @ts-ignore: decorator
@inline function outputTransform(
  alpha: i32, size: i32, m: usize, mMatrixBytes: usize, bias: usize, channels: i32, height: i32, width: i32,
  tilesY: i32, tilesX: i32, y: usize, relu: bool,
  tileStart: i32, tileEnd: i32,
): void {
  const pixelBytes = <usize>channels << 2;
  const rowBytes = <usize>((channels + 3) & ~3) << 2;
  const wholeBytes = <usize>(channels & ~3) << 2;
  const tailLanes = channels & 3;
  const plane = tilesY * tilesX;
  const outRowBytes = <usize>width * pixelBytes;
  const positionRowBytes = <usize>alpha * mMatrixBytes;
  for (let t = tileStart; t < tileEnd; t++) {
    const sample = t / plane;
    const q = t - sample * plane;
    const ty = q / tilesX;
    const oy = size * ty;
    const ox = size * (q - ty * tilesX);
    const rows = min(size, height - oy);
    const columns = min(size, width - ox);
    const out = y + <usize>((sample * height + oy) * width + ox) * pixelBytes;
    const tile = m + <usize>t * rowBytes;
    // P = M A, row by row, in place: row i's `size` values at positions alpha*i .. alpha*i + size - 1.
    for (let i = 0; i < alpha; i++) {
      const row = tile + <usize>i * positionRowBytes;
      for (let c: usize = 0; c < rowBytes; c += 16) {
        const p = row + c;
        storeRowsAt(alpha, size, p, mMatrixBytes, p, mMatrixBytes, size, 4, f32x4.splat(0), false, false);
      }
    }
    // Y = Aᵀ P, column by column, plus the bias, into the output's pixels: whole vectors of channels, then the last
    // channels. The addresses advance in loop-carried pointers: V8 would otherwise recompute `out` at each store.
    let column = tile, pixel = out;
    for (let j = 0; j < columns; j++) {
      let from = column, to = pixel, b = bias;
      for (let c: usize = 0; c < wholeBytes; c += 16) {
        storeRowsAt(alpha, size, from, positionRowBytes, to, outRowBytes, rows, 4, v128.load(b), true, relu);
        from += 16;
        to += 16;
        b += 16;
      }
      if (tailLanes > 0) storeRowsAt(alpha, size, from, positionRowBytes, to, outRowBytes, rows, tailLanes, v128.load(b), true, relu);
      column += mMatrixBytes;
      pixel += pixelBytes;
    }
  }
}

/**
 * Aᵀ's first `rows` rows times the alpha values at `from` + k * fromStride,
 * plus the bias `b` if `addBias` and ReLU if asked, their first `lanes` stored
 * at `to` + k * toStride.
 */
// @ts-ignore: decorator
@inline function storeRowsAt(
  alpha: i32, size: i32, from: usize, fromStride: usize, to: usize, toStride: usize, rows: i32, lanes: i32,
  b: v128, addBias: bool, relu: bool,
): void {
  const m0 = v128.load(from), m1 = v128.load(from + fromStride), m2 = v128.load(from + 2 * fromStride);
  const m3 = v128.load(from + 3 * fromStride), m4 = v128.load(from + 4 * fromStride), m5 = v128.load(from + 5 * fromStride);
  const m6 = alpha > 6 ? v128.load(from + 6 * fromStride) : m0;
  const m7 = alpha > 6 ? v128.load(from + 7 * fromStride) : m0;
  const m8 = alpha > 8 ? v128.load(from + 8 * fromStride) : m0;
  const last = alpha > 8 ? v128.load(from + 9 * fromStride) : alpha > 6 ? m7 : m5;
  const s1 = f32x4.add(m1, m2), d1 = f32x4.sub(m1, m2), s2 = f32x4.add(m3, m4), d2 = f32x4.sub(m3, m4);
  const s3 = f32x4.add(m5, m6), d3 = f32x4.sub(m5, m6), s4 = f32x4.add(m7, m8), d4 = f32x4.sub(m7, m8);
  f32x4_store_first(to, finish(aRow(alpha, size, 0, m0, s1, d1, s2, d2, s3, d3, s4, d4, last), b, addBias, relu), lanes);
  if (rows < 2) return;
  f32x4_store_first(to + toStride, finish(aRow(alpha, size, 1, m0, s1, d1, s2, d2, s3, d3, s4, d4, last), b, addBias, relu), lanes);
  if (size == 2 || rows < 3) return;
  f32x4_store_first(to + 2 * toStride, finish(aRow(alpha, size, 2, m0, s1, d1, s2, d2, s3, d3, s4, d4, last), b, addBias, relu), lanes);
  if (rows < 4) return;
  f32x4_store_first(to + 3 * toStride, finish(aRow(alpha, size, 3, m0, s1, d1, s2, d2, s3, d3, s4, d4, last), b, addBias, relu), lanes);
  if (size == 4 || rows < 5) return;
  f32x4_store_first(to + 4 * toStride, finish(aRow(alpha, size, 4, m0, s1, d1, s2, d2, s3, d3, s4, d4, last), b, addBias, relu), lanes);
  if (rows < 6) return;
  f32x4_store_first(to + 5 * toStride, finish(aRow(alpha, size, 5, m0, s1, d1, s2, d2, s3, d3, s4, d4, last), b, addBias, relu), lanes);
}

/** An output value: plus the bias if `addBias`, then ReLU if asked. */
// @ts-ignore: decorator
@inline function finish(v: v128, b: v128, addBias: bool, relu: bool): v128 {
  return f32x4_relu_if(addBias ? f32x4.add(v, b) : v, relu);
}

/**
 * Row k of Aᵀ in terms of s1 = m1 + m2, d1 = m1 - m2 (the points ±1), s2,
 * d2 (±2) and, for alpha 8, s3, d3 (±½): row 0 m0 + s1 + s2 (+ s3), an even
 * row s1 + 2^k s2 (+ 2^-k s3), an odd one d1 + 2^k d2 (+ 2^-k d3); plus the
 * last value (the point ∞) in the last row. Multiplying by powers of two is
 * exact, so the sums' order alone sets the rounding (fused or not). For alpha 10 the pairs
 * s1 .. s4, d1 .. d4 are the points ±½, ±¾, ±5/4, ±5/2, each weighted by p^k
 * (multiply-adds: the powers of ¾ and 5/4 round anyway).
 */
// @ts-ignore: decorator
@inline function aRow(
  alpha: i32, size: i32, k: i32, m0: v128, s1: v128, d1: v128, s2: v128, d2: v128, s3: v128, d3: v128, s4: v128, d4: v128, last: v128,
): v128 {
  let sum: v128;
  if (alpha == 10) {
    const odd = (k & 1) != 0;
    if (k == 0) {
      sum = f32x4.add(f32x4.add(f32x4.add(f32x4.add(m0, s1), s2), s3), s4);
    } else {
      sum = f32x4.mul(f32x4.splat(power(1.0 / 2, k)), odd ? d1 : s1);
      sum = f32x4_muladd(f32x4.splat(power(3.0 / 4, k)), odd ? d2 : s2, sum);
      sum = f32x4_muladd(f32x4.splat(power(5.0 / 4, k)), odd ? d3 : s3, sum);
      sum = f32x4_muladd(f32x4.splat(power(5.0 / 2, k)), odd ? d4 : s4, sum);
    }
    return k == size - 1 ? f32x4.add(sum, last) : sum;
  }
  const up = f32x4.splat(<f32>(1 << k));
  const down = f32x4.splat(<f32>1 / <f32>(1 << k));
  if (k == 0) {
    sum = f32x4.add(f32x4.add(m0, s1), s2);
    if (alpha == 8) sum = f32x4.add(sum, s3);
  } else if (k & 1) {
    sum = f32x4_muladd(up, d2, d1);
    if (alpha == 8) sum = f32x4_muladd(down, d3, sum);
  } else {
    sum = f32x4_muladd(up, s2, s1);
    if (alpha == 8) sum = f32x4_muladd(down, s3, sum);
  }
  return k == size - 1 ? f32x4.add(sum, last) : sum;
}

/** p^k for k = 1 .. 5 (exact in float for the points used). */
// @ts-ignore: decorator
@inline function power(p: f32, k: i32): f32 {
  return k == 1 ? p : k == 2 ? p * p : k == 3 ? p * p * p : k == 4 ? p * p * p * p : p * p * p * p * p;
}
