/**
 * Interleaved 8-bit RGB or RGBA pixels (`pixelStride` 3 or 4 bytes) to planar
 * float R, G, B planes: (value - mean[c]) / 256.
 */
export function u8_rgb_to_f32_planar(
  src: usize, pixels: i32, pixelStride: i32, meanR: f32, meanG: f32, meanB: f32, y: usize,
): void {
  const plane = <usize>pixels << 2;
  const scale: f32 = 1.0 / 256.0; // exact: dividing by 256 and multiplying by 2^-8 agree
  let p = src;
  for (let i: usize = 0; i < plane; i += 4) {
    store<f32>(y + i, (<f32>load<u8>(p) - meanR) * scale);
    store<f32>(y + plane + i, (<f32>load<u8>(p, 1) - meanG) * scale);
    store<f32>(y + 2 * plane + i, (<f32>load<u8>(p, 2) - meanB) * scale);
    p += pixelStride;
  }
}
