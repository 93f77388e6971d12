/**
 * 8-bit RGB pixels to float RGB pixels (NHWC, 3 channels): (value - mean[c])
 * / 256. The source's pixels are `pixelStride` bytes apart and its channels
 * `channelBytes` apart: interleaved RGB or RGBA (3 or 4, and 1; alpha is
 * ignored) or planes (1, and the plane's bytes). An image of `width` pixels a
 * row, its rows `srcRowBytes` apart, into rows `dstRowBytes` apart (a region
 * of a wider tensor, or the rows of one of its width). Interleaved pixels go
 * four at a time, read as 16 bytes: the bytes after a row's last pixel but
 * three must be readable.
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
  // Four pixels' twelve values, channel by channel: R G B R, G B R G, B R G B.
  const mean0 = f32x4(meanR, meanG, meanB, meanR);
  const mean1 = f32x4(meanG, meanB, meanR, meanG);
  const mean2 = f32x4(meanB, meanR, meanG, meanB);
  const scales = f32x4.splat(scale);
  const grouped = channelBytes == 1 && (pixelStride == 3 || pixelStride == 4) ? width & ~3 : 0;
  for (let r = rowStart; r < rowEnd; r++) {
    let s = src + <usize>r * <usize>srcRowBytes;
    let d = y + <usize>r * <usize>dstRowBytes;
    const groupsEnd = d + <usize>grouped * 12;
    for (; d < groupsEnd; d += 48, s += step << 2) {
      let bytes = v128.load(s);
      // RGBA: the alpha bytes dropped, the twelve values first. Signed conversions: one instruction on x64, and the values are 0..255.
      if (pixelStride == 4) bytes = i8x16.shuffle(bytes, bytes, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0, 0, 0, 0);
      const low = i16x8.extend_low_i8x16_u(bytes);
      const high = i16x8.extend_high_i8x16_u(bytes);
      v128.store(d, f32x4.mul(f32x4.sub(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(low)), mean0), scales));
      v128.store(d, f32x4.mul(f32x4.sub(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(low)), mean1), scales), 16);
      v128.store(d, f32x4.mul(f32x4.sub(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(high)), mean2), scales), 32);
    }
    const end = y + <usize>r * <usize>dstRowBytes + <usize>width * 12;
    for (; d < end; d += 12, s += step) {
      store<f32>(d, (<f32>load<u8>(s) - meanR) * scale);
      store<f32>(d, (<f32>load<u8>(s + channel) - meanG) * scale, 4);
      store<f32>(d, (<f32>load<u8>(s + 2 * channel) - meanB) * scale, 8);
    }
  }
}
