/**
 * Resamples an 8-bit RGB or RGBA image (`pixelStride` 3 or 4 bytes; alpha is
 * ignored) through an affine map, to RGB: output pixel (c, r) is the bilinear
 * interpolation at source point (m00 c + m01 r + b0, m10 c + m11 r + b1),
 * computed in double as (1 - fy) ((1 - fx) tl + fx tr) + fy ((1 - fx) bl + fx br)
 * and truncated to 8 bits; black where the point's 2x2 neighbourhood is not
 * all inside the source.
 *
 * Work: output rows [rowStart, rowEnd).
 */
export function u8_rgb_warp_affine_bilinear(
  src: usize, srcWidth: i32, srcHeight: i32, srcRowBytes: i32, pixelStride: i32, dst: usize, dstWidth: i32,
  m00: f64, m01: f64, m10: f64, m11: f64, b0: f64, b1: f64, rowStart: i32, rowEnd: i32,
): void {
  const step = <usize>pixelStride;
  const rowBytes = <usize>srcRowBytes;
  // floor(x) >= 0 and floor(x) + 1 < width, as comparisons of x itself (NaN fails them too).
  const maxX = <f64>(srcWidth - 1);
  const maxY = <f64>(srcHeight - 1);
  for (let r = rowStart; r < rowEnd; r++) {
    const out = dst + <usize>r * <usize>dstWidth * 3;
    for (let c = 0; c < dstWidth; c++) {
      const x = m00 * <f64>c + m01 * <f64>r + b0;
      const y = m10 * <f64>c + m11 * <f64>r + b1;
      const o = out + <usize>c * 3;
      if (!(x >= 0 && y >= 0 && x < maxX && y < maxY)) {
        store<u8>(o, 0);
        store<u8>(o, 0, 1);
        store<u8>(o, 0, 2);
        continue;
      }
      const left = Math.floor(x);
      const top = Math.floor(y);
      const fx = x - left;
      const fy = y - top;
      const tl = src + <usize>(<i32>top) * rowBytes + <usize>(<i32>left) * step;
      const bl = tl + rowBytes;
      for (let k: usize = 0; k < 3; k++) {
        const value = (1 - fy) * ((1 - fx) * <f64>load<u8>(tl + k) + fx * <f64>load<u8>(tl + step + k))
          + fy * ((1 - fx) * <f64>load<u8>(bl + k) + fx * <f64>load<u8>(bl + step + k));
        store<u8>(o + k, <u8><i32>value);
      }
    }
  }
}
