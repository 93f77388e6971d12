import { f32x4_relu_if, f32x4_store_first } from './f32-vector';

/**
 * The output transform of a Winograd F(2x2, 3x3) convolution into an NHWC
 * tensor, vectorized over channels. Tile t's 4x4 transform-domain products
 * are row t of 16 matrices (position ξ = 4*i + j at m + ξ*mMatrixBytes, rows
 * of `channels` rounded up to 4 floats); per channel it computes the 2x2
 * outputs Y = Aᵀ M A with
 *
 *   Aᵀ = | 1  1  1  0 |
 *        | 0  1 -1 -1 |
 *
 * then adds the bias (after the sum, as a direct convolution that sums its
 * products before adding the bias rounds it) and ReLU if asked. Tile t
 * covers outputs (2*ty .. 2*ty + 1, 2*tx .. 2*tx + 1) of its sample; those
 * past the bottom or right edge are not stored. `bias` holds `channels`
 * rounded up to 4 floats.
 *
 * Work: tiles [tileStart, tileEnd), counted over all samples, tilesY*tilesX per sample.
 */
export function f32_winograd_2x2_3x3_output_nhwc__simd128(
  m: usize, mMatrixBytes: usize, bias: usize, channels: i32, height: i32, width: i32,
  tilesY: i32, tilesX: i32, y: usize, relu: bool,
  tileStart: i32, tileEnd: i32,
): void {
  const pixelBytes = <usize>channels << 2;
  const rowBytes = <usize>((channels + 3) & ~3) << 2;
  const plane = tilesY * tilesX;
  for (let t = tileStart; t < tileEnd; t++) {
    const sample = t / plane;
    const q = t - sample * plane;
    const ty = q / tilesX;
    const oy = 2 * ty;
    const ox = 2 * (q - ty * tilesX);
    const bottom = oy + 1 < height;
    const right = ox + 1 < width;
    const out = y + <usize>((sample * height + oy) * width + ox) * pixelBytes;
    const outBelow = out + <usize>width * pixelBytes;
    const row = m + <usize>t * rowBytes;
    for (let c: usize = 0; c < rowBytes; c += 16) {
      // P = M A, row by row: P[i] = (M[i][0] + M[i][1] + M[i][2], M[i][1] - M[i][2] - M[i][3]).
      const p = row + c;
      let m0 = v128.load(p), m1 = v128.load(p + mMatrixBytes);
      let m2 = v128.load(p + 2 * mMatrixBytes), m3 = v128.load(p + 3 * mMatrixBytes);
      const p00 = f32x4.add(f32x4.add(m0, m1), m2), p01 = f32x4.sub(f32x4.sub(m1, m2), m3);
      m0 = v128.load(p + 4 * mMatrixBytes); m1 = v128.load(p + 5 * mMatrixBytes);
      m2 = v128.load(p + 6 * mMatrixBytes); m3 = v128.load(p + 7 * mMatrixBytes);
      const p10 = f32x4.add(f32x4.add(m0, m1), m2), p11 = f32x4.sub(f32x4.sub(m1, m2), m3);
      m0 = v128.load(p + 8 * mMatrixBytes); m1 = v128.load(p + 9 * mMatrixBytes);
      m2 = v128.load(p + 10 * mMatrixBytes); m3 = v128.load(p + 11 * mMatrixBytes);
      const p20 = f32x4.add(f32x4.add(m0, m1), m2), p21 = f32x4.sub(f32x4.sub(m1, m2), m3);
      m0 = v128.load(p + 12 * mMatrixBytes); m1 = v128.load(p + 13 * mMatrixBytes);
      m2 = v128.load(p + 14 * mMatrixBytes); m3 = v128.load(p + 15 * mMatrixBytes);
      const p30 = f32x4.add(f32x4.add(m0, m1), m2), p31 = f32x4.sub(f32x4.sub(m1, m2), m3);
      // Y = Aᵀ P, plus the bias.
      const b = v128.load(bias + c);
      const lanes = min(4, channels - <i32>(c >> 2));
      const y00 = f32x4.add(f32x4.add(f32x4.add(p00, p10), p20), b);
      const y01 = f32x4.add(f32x4.add(f32x4.add(p01, p11), p21), b);
      const y10 = f32x4.add(f32x4.sub(f32x4.sub(p10, p20), p30), b);
      const y11 = f32x4.add(f32x4.sub(f32x4.sub(p11, p21), p31), b);
      f32x4_store_first(out + c, f32x4_relu_if(y00, relu), lanes);
      if (right) f32x4_store_first(out + pixelBytes + c, f32x4_relu_if(y01, relu), lanes);
      if (bottom) {
        f32x4_store_first(outBelow + c, f32x4_relu_if(y10, relu), lanes);
        if (right) f32x4_store_first(outBelow + pixelBytes + c, f32x4_relu_if(y11, relu), lanes);
      }
    }
  }
}
