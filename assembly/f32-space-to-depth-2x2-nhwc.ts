/**
 * Space to depth by 2x2 of an NHWC tensor: output pixel (Y, X) of a sample
 * holds input pixels (2Y + dy, 2X + dx) for dy, dx in {0, 1}, in that order,
 * `channels` floats each (4 * channels in all); pixels past the bottom or
 * right edge (of an odd height or width) are zeros. The output is
 * ceil(height / 2) x ceil(width / 2). A 5x5 stride-2 convolution without
 * padding is a 3x3 stride-1 one over it, which Winograd F(2x2, 3x3) computes.
 *
 * Work: output rows [rowStart, rowEnd), counted over all samples, ceil(height / 2) per sample.
 */
export function f32_space_to_depth_2x2_nhwc(
  x: usize, height: i32, width: i32, channels: i32, y: usize,
  rowStart: i32, rowEnd: i32,
): void {
  const outHeight = (height + 1) >> 1;
  const outWidth = (width + 1) >> 1;
  const pixelBytes = <usize>channels << 2;
  const pairBytes = pixelBytes << 1;
  const evenPairs = width >> 1;
  for (let row = rowStart; row < rowEnd; row++) {
    const sample = row / outHeight;
    const oy = row - sample * outHeight;
    const out = y + <usize>row * <usize>outWidth * (pairBytes << 1);
    for (let dy = 0; dy < 2; dy++) {
      const iy = 2 * oy + dy;
      let dst = out + <usize>dy * pairBytes;
      if (iy >= height) {
        for (let ox = 0; ox < outWidth; ox++, dst += pairBytes << 1) memory.fill(dst, 0, pairBytes);
        continue;
      }
      let src = x + (<usize>(sample * height + iy) * <usize>width) * pixelBytes;
      // Pixels 2X and 2X + 1 of a row are contiguous: one copy per pair, and the odd width's last pixel alone.
      for (let ox = 0; ox < evenPairs; ox++, dst += pairBytes << 1, src += pairBytes) memory.copy(dst, src, pairBytes);
      if (width & 1) {
        memory.copy(dst, src, pixelBytes);
        memory.fill(dst + pixelBytes, 0, pixelBytes);
      }
    }
  }
}
