/**
 * Interleaved 8-bit RGB or RGBA pixels (`pixelStride` 3 or 4 bytes) to
 * float RGB pixels (NHWC, 3 channels): (value - mean[c]) / 256.
 *
 * Work: pixels [pixelStart, pixelEnd).
 */
export function u8_rgb_to_f32_nhwc(
  src: usize, pixelStride: i32, meanR: f32, meanG: f32, meanB: f32, y: usize, pixelStart: i32, pixelEnd: i32,
): void {
  const scale: f32 = 1.0 / 256.0; // exact: dividing by 256 and multiplying by 2^-8 agree
  for (let p = pixelStart; p < pixelEnd; p++) {
    const s = src + <usize>(p * pixelStride);
    const d = y + <usize>(p * 12);
    store<f32>(d, (<f32>load<u8>(s) - meanR) * scale);
    store<f32>(d, (<f32>load<u8>(s, 1) - meanG) * scale, 4);
    store<f32>(d, (<f32>load<u8>(s, 2) - meanB) * scale, 8);
  }
}
