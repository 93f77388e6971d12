/**
 * The input transform of a Winograd F(2x2, 3x3) convolution (stride 1) of an
 * NHWC tensor, vectorized over channels. Tile t covers 4x4 input pixels
 * whose top left is (2*ty - padY, 2*tx - padX) of its sample; pixels outside
 * the image read as zeros from `zero` (a row of at least `channels` rounded
 * up to 4 zeros). Per channel it computes V = Bᵀ d B with
 *
 *   Bᵀ = | 1  0 -1  0 |
 *        | 0  1  1  0 |
 *        | 0 -1  1  0 |
 *        | 0  1  0 -1 |
 *
 * and writes V as 16 matrices, one per position ξ = 4*i + j of the 4x4
 * transform: element (i, j) of tile t goes to row t of matrix ξ, at
 * v + ξ*vMatrixBytes. A row holds `channels` rounded up to 4 floats (the
 * padding lanes hold whatever the loads past the last channel read).
 *
 * Work: tiles [tileStart, tileEnd), counted over all samples, tilesY*tilesX per sample.
 */
export function f32_winograd_2x2_3x3_input_nhwc__simd128(
  x: usize, zero: usize, height: i32, width: i32, channels: i32, padY: i32, padX: i32,
  tilesY: i32, tilesX: i32, v: usize, vMatrixBytes: usize,
  tileStart: i32, tileEnd: i32,
): void {
  const pixelBytes = <usize>channels << 2;
  const rowBytes = <usize>((channels + 3) & ~3) << 2;
  const plane = tilesY * tilesX;
  const rowStride = <usize>width * pixelBytes;
  for (let t = tileStart; t < tileEnd; t++) {
    const sample = t / plane;
    const q = t - sample * plane;
    const ty = q / tilesX;
    const y0 = 2 * ty - padY;
    const x0 = 2 * (q - ty * tilesX) - padX;
    const image = x + <usize>(sample * height * width) * pixelBytes;
    const p00 = pixelAt(image, y0, x0, height, width, rowStride, pixelBytes, zero);
    const p01 = pixelAt(image, y0, x0 + 1, height, width, rowStride, pixelBytes, zero);
    const p02 = pixelAt(image, y0, x0 + 2, height, width, rowStride, pixelBytes, zero);
    const p03 = pixelAt(image, y0, x0 + 3, height, width, rowStride, pixelBytes, zero);
    const p10 = pixelAt(image, y0 + 1, x0, height, width, rowStride, pixelBytes, zero);
    const p11 = pixelAt(image, y0 + 1, x0 + 1, height, width, rowStride, pixelBytes, zero);
    const p12 = pixelAt(image, y0 + 1, x0 + 2, height, width, rowStride, pixelBytes, zero);
    const p13 = pixelAt(image, y0 + 1, x0 + 3, height, width, rowStride, pixelBytes, zero);
    const p20 = pixelAt(image, y0 + 2, x0, height, width, rowStride, pixelBytes, zero);
    const p21 = pixelAt(image, y0 + 2, x0 + 1, height, width, rowStride, pixelBytes, zero);
    const p22 = pixelAt(image, y0 + 2, x0 + 2, height, width, rowStride, pixelBytes, zero);
    const p23 = pixelAt(image, y0 + 2, x0 + 3, height, width, rowStride, pixelBytes, zero);
    const p30 = pixelAt(image, y0 + 3, x0, height, width, rowStride, pixelBytes, zero);
    const p31 = pixelAt(image, y0 + 3, x0 + 1, height, width, rowStride, pixelBytes, zero);
    const p32 = pixelAt(image, y0 + 3, x0 + 2, height, width, rowStride, pixelBytes, zero);
    const p33 = pixelAt(image, y0 + 3, x0 + 3, height, width, rowStride, pixelBytes, zero);
    const out = v + <usize>t * rowBytes;
    for (let c: usize = 0; c < rowBytes; c += 16) {
      // e = d B, row by row: e[i] = (d[i][0] - d[i][2], d[i][1] + d[i][2], d[i][2] - d[i][1], d[i][1] - d[i][3]).
      let d0 = v128.load(p00 + c), d1 = v128.load(p01 + c), d2 = v128.load(p02 + c), d3 = v128.load(p03 + c);
      const e00 = f32x4.sub(d0, d2), e01 = f32x4.add(d1, d2), e02 = f32x4.sub(d2, d1), e03 = f32x4.sub(d1, d3);
      d0 = v128.load(p10 + c); d1 = v128.load(p11 + c); d2 = v128.load(p12 + c); d3 = v128.load(p13 + c);
      const e10 = f32x4.sub(d0, d2), e11 = f32x4.add(d1, d2), e12 = f32x4.sub(d2, d1), e13 = f32x4.sub(d1, d3);
      d0 = v128.load(p20 + c); d1 = v128.load(p21 + c); d2 = v128.load(p22 + c); d3 = v128.load(p23 + c);
      const e20 = f32x4.sub(d0, d2), e21 = f32x4.add(d1, d2), e22 = f32x4.sub(d2, d1), e23 = f32x4.sub(d1, d3);
      d0 = v128.load(p30 + c); d1 = v128.load(p31 + c); d2 = v128.load(p32 + c); d3 = v128.load(p33 + c);
      const e30 = f32x4.sub(d0, d2), e31 = f32x4.add(d1, d2), e32 = f32x4.sub(d2, d1), e33 = f32x4.sub(d1, d3);
      // V = Bᵀ e, column by column; column j goes to matrices j, 4 + j, 8 + j, 12 + j.
      storeColumn(e00, e10, e20, e30, out + c, vMatrixBytes);
      storeColumn(e01, e11, e21, e31, out + c + vMatrixBytes, vMatrixBytes);
      storeColumn(e02, e12, e22, e32, out + c + 2 * vMatrixBytes, vMatrixBytes);
      storeColumn(e03, e13, e23, e33, out + c + 3 * vMatrixBytes, vMatrixBytes);
    }
  }
}

/** The address of pixel (y, x) of an image, or of a row of zeros outside it. */
// @ts-ignore: decorator
@inline function pixelAt(
  image: usize, y: i32, x: i32, height: i32, width: i32, rowStride: usize, pixelBytes: usize, zero: usize,
): usize {
  const inside = y >= 0 && y < height && x >= 0 && x < width;
  return inside ? image + <usize>y * rowStride + <usize>x * pixelBytes : zero;
}

/** Bᵀ applied to one column (e0..e3) of a tile, stored at `ptr` + i * stride for i = 0..3. */
// @ts-ignore: decorator
@inline function storeColumn(e0: v128, e1: v128, e2: v128, e3: v128, ptr: usize, stride: usize): void {
  v128.store(ptr, f32x4.sub(e0, e2));
  v128.store(ptr + 4 * stride, f32x4.add(e1, e2));
  v128.store(ptr + 8 * stride, f32x4.sub(e2, e1));
  v128.store(ptr + 12 * stride, f32x4.sub(e1, e3));
}
