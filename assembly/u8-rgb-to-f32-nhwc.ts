/**
 * 8-bit RGB pixels to float RGB pixels (NHWC, 3 channels): (value - mean[c])
 * / 256. The source's pixels are `pixelStride` bytes apart and its channels
 * `channelBytes` apart: interleaved RGB or RGBA (3 or 4, and 1; alpha is
 * ignored) or planes (1, and the plane's bytes). An image of `width` pixels a
 * row, its rows `srcRowBytes` apart, into rows `dstRowBytes` apart (a region
 * of a wider tensor, or the rows of one of its width).
 *
 * Work: rows [rowStart, rowEnd).
 */
export function u8_rgb_to_f32_nhwc(
  src: usize, srcRowBytes: i32, pixelStride: i32, channelBytes: i32, width: i32, meanR: f32, meanG: f32, meanB: f32, y: usize, dstRowBytes: i32,
  rowStart: i32, rowEnd: i32,
): void {
  const scale: f32 = 1.0 / 256.0; // exact: dividing by 256 and multiplying by 2^-8 agree
  const step = <usize>pixelStride;
  const channel = <usize>channelBytes;
  for (let r = rowStart; r < rowEnd; r++) {
    let s = src + <usize>r * <usize>srcRowBytes;
    let d = y + <usize>r * <usize>dstRowBytes;
    const end = d + <usize>width * 12;
    for (; d < end; d += 12, s += step) {
      store<f32>(d, (<f32>load<u8>(s) - meanR) * scale);
      store<f32>(d, (<f32>load<u8>(s + channel) - meanG) * scale, 4);
      store<f32>(d, (<f32>load<u8>(s + 2 * channel) - meanB) * scale, 8);
    }
  }
}
