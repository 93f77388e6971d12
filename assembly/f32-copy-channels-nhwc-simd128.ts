/**
 * Copies `channels` values of each pixel from x to y, where a pixel takes
 * `xStride` floats in x and `yStride` in y: a channel concatenation writes
 * each input into its own channels of the output, y pointing at the first.
 *
 * Work: pixels [pixelStart, pixelEnd), counted over all samples.
 */
export function f32_copy_channels_nhwc__simd128(
  x: usize, xStride: i32, y: usize, yStride: i32, channels: i32,
  pixelStart: i32, pixelEnd: i32,
): void {
  const bytes = <usize>channels << 2;
  const vectorBytes = <usize>(channels & ~3) << 2;
  const xPixelBytes = <usize>xStride << 2;
  const yPixelBytes = <usize>yStride << 2;
  for (let p = pixelStart; p < pixelEnd; p++) {
    const xp = x + <usize>p * xPixelBytes;
    const yp = y + <usize>p * yPixelBytes;
    let c: usize = 0;
    for (; c < vectorBytes; c += 16) v128.store(yp + c, v128.load(xp + c));
    for (; c < bytes; c += 4) store<f32>(yp + c, load<f32>(xp + c));
  }
}
