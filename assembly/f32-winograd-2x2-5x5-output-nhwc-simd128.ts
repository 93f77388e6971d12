import { f32x4_relu_if, f32x4_store_first } from './f32-vector';

/**
 * The output transform of a Winograd F(2x2, 5x5) convolution into an NHWC
 * tensor, vectorized over channels. Tile t's 6x6 transform-domain products
 * are row t of 36 matrices (position ξ = 6*i + j at m + ξ*mMatrixBytes, rows
 * of `channels` rounded up to 4 floats); per channel it computes the 2x2
 * outputs Y = Aᵀ M A with
 *
 *   Aᵀ = | 1  1  1  1  1  0 |
 *        | 0  1 -1  2 -2  1 |
 *
 * then adds the bias (after the sum, as a direct convolution that sums its
 * products before adding the bias rounds it) and ReLU if asked. Tile t
 * covers outputs (2*ty .. 2*ty + 1, 2*tx .. 2*tx + 1) of its sample; those
 * past the bottom or right edge are not stored. `bias` holds `channels`
 * rounded up to 4 floats.
 *
 * Work: tiles [tileStart, tileEnd), counted over all samples, tilesY*tilesX per sample.
 */
export function f32_winograd_2x2_5x5_output_nhwc__simd128(
  m: usize, mMatrixBytes: usize, bias: usize, channels: i32, height: i32, width: i32,
  tilesY: i32, tilesX: i32, y: usize, relu: bool,
  tileStart: i32, tileEnd: i32,
): void {
  const pixelBytes = <usize>channels << 2;
  const rowBytes = <usize>((channels + 3) & ~3) << 2;
  const plane = tilesY * tilesX;
  const positionRowBytes = <usize>6 * mMatrixBytes;
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
      // P = M A, row by row: P[i] = (Aᵀ row 0, Aᵀ row 1) times M[i][0..5].
      const r0 = row + c, r1 = r0 + positionRowBytes, r2 = r1 + positionRowBytes;
      const r3 = r2 + positionRowBytes, r4 = r3 + positionRowBytes, r5 = r4 + positionRowBytes;
      const p00 = a0(r0, mMatrixBytes), p01 = a1(r0, mMatrixBytes);
      const p10 = a0(r1, mMatrixBytes), p11 = a1(r1, mMatrixBytes);
      const p20 = a0(r2, mMatrixBytes), p21 = a1(r2, mMatrixBytes);
      const p30 = a0(r3, mMatrixBytes), p31 = a1(r3, mMatrixBytes);
      const p40 = a0(r4, mMatrixBytes), p41 = a1(r4, mMatrixBytes);
      const p50 = a0(r5, mMatrixBytes), p51 = a1(r5, mMatrixBytes);
      // Y = Aᵀ P.
      const two = f32x4.splat(2);
      const y00 = f32x4.add(f32x4.add(f32x4.add(p00, p10), f32x4.add(p20, p30)), p40);
      const y01 = f32x4.add(f32x4.add(f32x4.add(p01, p11), f32x4.add(p21, p31)), p41);
      const y10 = f32x4.add(f32x4.add(f32x4.sub(p10, p20), f32x4.mul(two, f32x4.sub(p30, p40))), p50);
      const y11 = f32x4.add(f32x4.add(f32x4.sub(p11, p21), f32x4.mul(two, f32x4.sub(p31, p41))), p51);
      const b = v128.load(bias + c);
      const lanes = min(4, channels - <i32>(c >> 2));
      f32x4_store_first(out + c, f32x4_relu_if(f32x4.add(y00, b), relu), lanes);
      if (right) f32x4_store_first(out + pixelBytes + c, f32x4_relu_if(f32x4.add(y01, b), relu), lanes);
      if (bottom) {
        f32x4_store_first(outBelow + c, f32x4_relu_if(f32x4.add(y10, b), relu), lanes);
        if (right) f32x4_store_first(outBelow + pixelBytes + c, f32x4_relu_if(f32x4.add(y11, b), relu), lanes);
      }
    }
  }
}

/** Aᵀ's first row times the 6 values at `ptr` + k * stride: their sum but the last. */
// @ts-ignore: decorator
@inline function a0(ptr: usize, stride: usize): v128 {
  const m0 = v128.load(ptr), m1 = v128.load(ptr + stride), m2 = v128.load(ptr + 2 * stride);
  const m3 = v128.load(ptr + 3 * stride), m4 = v128.load(ptr + 4 * stride);
  return f32x4.add(f32x4.add(f32x4.add(m0, m1), f32x4.add(m2, m3)), m4);
}

/** Aᵀ's second row times the 6 values at `ptr` + k * stride: m1 - m2 + 2 (m3 - m4) + m5. */
// @ts-ignore: decorator
@inline function a1(ptr: usize, stride: usize): v128 {
  const m1 = v128.load(ptr + stride), m2 = v128.load(ptr + 2 * stride), m3 = v128.load(ptr + 3 * stride);
  const m4 = v128.load(ptr + 4 * stride), m5 = v128.load(ptr + 5 * stride);
  return f32x4.add(f32x4.add(f32x4.sub(m1, m2), f32x4.mul(f32x4.splat(2), f32x4.sub(m3, m4))), m5);
}
