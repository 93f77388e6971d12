import { f32x4_relu_if, f32x4_store_first } from './f32-vector';

/**
 * The output transform of a Winograd F(2x2, 5x5) or F(4x4, 3x3) convolution
 * (outputTile 2 or 4) into an NHWC tensor, vectorized over channels. Tile
 * t's 6x6 transform-domain products are row t of 36 matrices (position ξ =
 * 6*i + j at m + ξ*mMatrixBytes, rows of `channels` rounded up to 4 floats);
 * per channel it computes the outputTile² outputs Y = Aᵀ M A, Aᵀ the first
 * outputTile rows of (the points 0, ±1, ±2 and ∞)
 *
 *   | 1  1  1  1  1  0 |
 *   | 0  1 -1  2 -2  0 |
 *   | 0  1  1  4  4  0 |
 *   | 0  1 -1  8 -8  0 |
 *
 * with a 1 in the last column of the last row taken; then adds the bias
 * (after the sum, as a direct convolution that sums its products before
 * adding the bias rounds it) and ReLU if asked. Tile t covers outputs from
 * (outputTile*ty, outputTile*tx) of its sample; those past the bottom or
 * right edge are not stored. M A is written over M's rows of the tile (the
 * 24 vectors of a 4x4 tile's would not fit in registers), then read back
 * column by column. `bias` holds `channels` rounded up to 4 floats.
 *
 * Work: tiles [tileStart, tileEnd), counted over all samples, tilesY*tilesX per sample.
 */
export function f32_winograd_6x6_output_nhwc__simd128(
  outputTile: i32, m: usize, mMatrixBytes: usize, bias: usize, channels: i32, height: i32, width: i32,
  tilesY: i32, tilesX: i32, y: usize, relu: bool,
  tileStart: i32, tileEnd: i32,
): void {
  // Each tile size compiled on its own: the loops over its rows and columns unroll.
  if (outputTile == 4) {
    outputTransform(4, m, mMatrixBytes, bias, channels, height, width, tilesY, tilesX, y, relu, tileStart, tileEnd);
  } else {
    outputTransform(2, m, mMatrixBytes, bias, channels, height, width, tilesY, tilesX, y, relu, tileStart, tileEnd);
  }
}

// @ts-ignore: decorator
@inline function outputTransform(
  size: i32, m: usize, mMatrixBytes: usize, bias: usize, channels: i32, height: i32, width: i32,
  tilesY: i32, tilesX: i32, y: usize, relu: bool,
  tileStart: i32, tileEnd: i32,
): void {
  const pixelBytes = <usize>channels << 2;
  const rowBytes = <usize>((channels + 3) & ~3) << 2;
  const plane = tilesY * tilesX;
  const outRowBytes = <usize>width * pixelBytes;
  const positionRowBytes = <usize>6 * mMatrixBytes;
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
    // P = M A, row by row, in place: row i's `size` values at positions 6i .. 6i + size - 1.
    for (let i = 0; i < 6; i++) {
      const row = tile + <usize>i * positionRowBytes;
      for (let c: usize = 0; c < rowBytes; c += 16) {
        const p = row + c;
        storeAt(
          size, v128.load(p), v128.load(p + mMatrixBytes), v128.load(p + 2 * mMatrixBytes),
          v128.load(p + 3 * mMatrixBytes), v128.load(p + 4 * mMatrixBytes), v128.load(p + 5 * mMatrixBytes),
          p, mMatrixBytes,
        );
      }
    }
    // Y = Aᵀ P, column by column, plus the bias, into the output's pixels.
    for (let j = 0; j < columns; j++) {
      const column = tile + <usize>j * mMatrixBytes;
      const pixel = out + <usize>j * pixelBytes;
      for (let c: usize = 0; c < rowBytes; c += 16) {
        const p = column + c;
        const m0 = v128.load(p), m1 = v128.load(p + positionRowBytes), m2 = v128.load(p + 2 * positionRowBytes);
        const m3 = v128.load(p + 3 * positionRowBytes), m4 = v128.load(p + 4 * positionRowBytes);
        const m5 = v128.load(p + 5 * positionRowBytes);
        const b = v128.load(bias + c);
        const lanes = min(4, channels - <i32>(c >> 2));
        const at = pixel + c;
        const s1 = f32x4.add(m1, m2), d1 = f32x4.sub(m1, m2), s2 = f32x4.add(m3, m4), d2 = f32x4.sub(m3, m4);
        f32x4_store_first(at, f32x4_relu_if(f32x4.add(row0(m0, s1, s2), b), relu), lanes);
        if (rows < 2) continue;
        f32x4_store_first(at + outRowBytes, f32x4_relu_if(f32x4.add(row1(size, d1, d2, m5), b), relu), lanes);
        if (size == 2 || rows < 3) continue;
        f32x4_store_first(at + 2 * outRowBytes, f32x4_relu_if(f32x4.add(row2(s1, s2), b), relu), lanes);
        if (rows < 4) continue;
        f32x4_store_first(at + 3 * outRowBytes, f32x4_relu_if(f32x4.add(row3(d1, d2, m5), b), relu), lanes);
      }
    }
  }
}

/** Aᵀ's `size` rows times (m0 .. m5), stored at `ptr` + k * stride. */
// @ts-ignore: decorator
@inline function storeAt(
  size: i32, m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, ptr: usize, stride: usize,
): void {
  const s1 = f32x4.add(m1, m2), d1 = f32x4.sub(m1, m2), s2 = f32x4.add(m3, m4), d2 = f32x4.sub(m3, m4);
  v128.store(ptr, row0(m0, s1, s2));
  v128.store(ptr + stride, row1(size, d1, d2, m5));
  if (size == 2) return;
  v128.store(ptr + 2 * stride, row2(s1, s2));
  v128.store(ptr + 3 * stride, row3(d1, d2, m5));
}

// Aᵀ's rows in terms of s1 = m1 + m2, d1 = m1 - m2, s2 = m3 + m4, d2 = m3 - m4 (the points ±1 and ±2).

// @ts-ignore: decorator
@inline function row0(m0: v128, s1: v128, s2: v128): v128 {
  return f32x4.add(f32x4.add(m0, s1), s2);
}

/** Row 1: d1 + 2 d2, plus m5 where it is the last row. */
// @ts-ignore: decorator
@inline function row1(size: i32, d1: v128, d2: v128, m5: v128): v128 {
  const sum = f32x4.add(d1, f32x4.mul(f32x4.splat(2), d2));
  return size == 2 ? f32x4.add(sum, m5) : sum;
}

// @ts-ignore: decorator
@inline function row2(s1: v128, s2: v128): v128 {
  return f32x4.add(s1, f32x4.mul(f32x4.splat(4), s2));
}

// @ts-ignore: decorator
@inline function row3(d1: v128, d2: v128, m5: v128): v128 {
  return f32x4.add(f32x4.add(d1, f32x4.mul(f32x4.splat(8), d2)), m5);
}
