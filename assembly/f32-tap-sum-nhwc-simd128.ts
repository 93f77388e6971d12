/**
 * The second half of a convolution of few output channels computed as a
 * 1x1 one to every tap first: z holds, for each input pixel, the products
 * summed over input channels for every (output channel, kernel position),
 * output channel n's tap (ky, kx) at channel (n * kernelRows + ky) *
 * kernelCols + kx of `zChannels`; this adds each output's taps:
 *
 *   y[oy][ox][n] = bias[n] + sum over ky, kx of z[oy*strideY + ky - padY][ox*strideX + kx - padX][(n*kernelRows + ky)*kernelCols + kx]
 *
 * over the taps inside z's `height` x `width` (padding adds nothing), then
 * ReLU if asked; y is NHWC with `outputs` channels. Each kernel row's taps
 * are summed in order, then the rows; 4 adjacent outputs at a time (a
 * vector of 4 gathered floats a tap) where all their taps lie inside.
 *
 * Work: output rows [rowStart, rowEnd), counted over all samples.
 */
export function f32_tap_sum_nhwc__simd128(
  z: usize, height: i32, width: i32, zChannels: i32, kernelRows: i32, kernelCols: i32, strideY: i32, strideX: i32,
  padY: i32, padX: i32, bias: usize, y: usize, outHeight: i32, outWidth: i32, outputs: i32, relu: bool,
  rowStart: i32, rowEnd: i32,
): void {
  const pixelBytes = <usize>zChannels << 2;
  const laneBytes = <usize>strideX * pixelBytes;
  const tapBytes = pixelBytes + 4;
  const yPixelBytes = <usize>outputs << 2;
  for (let r = rowStart; r < rowEnd; r++) {
    const sample = r / outHeight;
    const oy = r - sample * outHeight;
    const top = oy * strideY - padY;
    const kyStart = max(0, -top);
    const kyEnd = min(kernelRows, height - top);
    const image = z + <usize>(sample * height) * <usize>width * pixelBytes;
    const yRow = y + <usize>r * <usize>outWidth * yPixelBytes;
    // Outputs [vectorStart, vectorEnd) read no column left or right of z.
    const vectorStart = min(outWidth, (padX + strideX - 1) / strideX);
    const vectorEnd = min(outWidth, (width - kernelCols + padX) / strideX + 1);
    for (let n = 0; n < outputs; n++) {
      const b = load<f32>(bias + (<usize>n << 2));
      const taps = image + (<usize>(n * kernelRows * kernelCols) << 2);
      let ox = 0;
      for (; ox < vectorStart; ox++) storeOne(taps, ox, top, kyStart, kyEnd, width, kernelCols, strideX, padX, pixelBytes, tapBytes, b, relu, yRow, yPixelBytes, n);
      for (; ox + 4 <= vectorEnd; ox += 4) {
        const left = ox * strideX - padX;
        let sum = f32x4.splat(0);
        for (let ky = kyStart; ky < kyEnd; ky++) {
          let p = taps + (<usize>(top + ky) * <usize>width + <usize>left) * pixelBytes + (<usize>(ky * kernelCols) << 2);
          let row = f32x4.splat(0);
          for (let kx = 0; kx < kernelCols; kx++, p += tapBytes) {
            let v = v128.load32_zero(p);
            v = v128.load32_lane(p + laneBytes, v, 1);
            v = v128.load32_lane(p + 2 * laneBytes, v, 2);
            v = v128.load32_lane(p + 3 * laneBytes, v, 3);
            row = f32x4.add(row, v);
          }
          sum = f32x4.add(sum, row);
        }
        let out = f32x4.add(sum, f32x4.splat(b));
        if (relu) out = f32x4.max(out, f32x4.splat(0));
        const q = yRow + <usize>ox * yPixelBytes + (<usize>n << 2);
        store<f32>(q, f32x4.extract_lane(out, 0));
        store<f32>(q + yPixelBytes, f32x4.extract_lane(out, 1));
        store<f32>(q + 2 * yPixelBytes, f32x4.extract_lane(out, 2));
        store<f32>(q + 3 * yPixelBytes, f32x4.extract_lane(out, 3));
      }
      for (; ox < outWidth; ox++) storeOne(taps, ox, top, kyStart, kyEnd, width, kernelCols, strideX, padX, pixelBytes, tapBytes, b, relu, yRow, yPixelBytes, n);
    }
  }
}

/** One output whose taps may leave z: those inside, in the same order. */
// @ts-ignore: decorator
@inline function storeOne(
  taps: usize, ox: i32, top: i32, kyStart: i32, kyEnd: i32, width: i32, kernelCols: i32, strideX: i32, padX: i32,
  pixelBytes: usize, tapBytes: usize, bias: f32, relu: bool, yRow: usize, yPixelBytes: usize, n: i32,
): void {
  const left = ox * strideX - padX;
  const kxStart = max(0, -left);
  const kxEnd = min(kernelCols, width - left);
  let sum: f32 = 0;
  for (let ky = kyStart; ky < kyEnd; ky++) {
    const p = taps + (<usize>(top + ky) * <usize>width + <usize>left) * pixelBytes + (<usize>(ky * kernelCols) << 2);
    let row: f32 = 0;
    for (let kx = kxStart; kx < kxEnd; kx++) row += load<f32>(p + <usize>kx * tapBytes);
    sum += row;
  }
  let out = sum + bias;
  if (relu) out = max<f32>(out, 0);
  store<f32>(yRow + <usize>ox * yPixelBytes + (<usize>n << 2), out);
}
