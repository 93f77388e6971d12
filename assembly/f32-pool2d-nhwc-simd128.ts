/**
 * Max or average pooling of NHWC tensors (`height x width x channels` per
 * sample), vectorized over channels. Each window is clipped to the image and
 * an average divides by the clipped window's size (padding does not count). A
 * window of the whole image gives the global pool.
 *
 * Work: output pixels [pixelStart, pixelEnd), counted over all samples.
 */
export function f32_pool2d_nhwc__simd128(
  x: usize, height: i32, width: i32, channels: i32, wh: i32, ww: i32,
  sy: i32, sx: i32, py: i32, px: i32, outH: i32, outW: i32, y: usize, isMax: bool,
  pixelStart: i32, pixelEnd: i32,
): void {
  // Each kind its own loops: a runtime choice inside them became a select that computed both.
  if (isMax) pool(x, height, width, channels, wh, ww, sy, sx, py, px, outH, outW, y, true, pixelStart, pixelEnd);
  else pool(x, height, width, channels, wh, ww, sy, sx, py, px, outH, outW, y, false, pixelStart, pixelEnd);
}

// @ts-ignore: decorator
@inline function pool(
  x: usize, height: i32, width: i32, channels: i32, wh: i32, ww: i32,
  sy: i32, sx: i32, py: i32, px: i32, outH: i32, outW: i32, y: usize, isMax: bool,
  pixelStart: i32, pixelEnd: i32,
): void {
  const outPlane = outH * outW;
  const pixelBytes = <usize>channels << 2;
  const vectorBytes = <usize>(channels & ~3) << 2;
  for (let p = pixelStart; p < pixelEnd; p++) {
    const sample = p / outPlane;
    const q = p - sample * outPlane;
    const oy = q / outW;
    const ox = q - oy * outW;
    const r0 = max(oy * sy - py, 0);
    const r1 = min(oy * sy - py + wh, height);
    const c0 = max(ox * sx - px, 0);
    const c1 = min(ox * sx - px + ww, width);
    const image = x + <usize>(sample * height * width) * pixelBytes;
    const out = y + <usize>p * pixelBytes;
    const count = <f32>((r1 - r0) * (c1 - c0));
    for (let c: usize = 0; c < vectorBytes; c += 16) {
      let acc = isMax ? f32x4.splat(-Infinity) : f32x4.splat(0);
      for (let r = r0; r < r1; r++) {
        let src = image + <usize>(r * width + c0) * pixelBytes + c;
        for (let col = c0; col < c1; col++) {
          const v = v128.load(src);
          acc = isMax ? f32x4.max(acc, v) : f32x4.add(acc, v);
          src += pixelBytes;
        }
      }
      v128.store(out + c, isMax ? acc : f32x4.div(acc, f32x4.splat(count)));
    }
    for (let c = vectorBytes; c < pixelBytes; c += 4) {
      let acc: f32 = isMax ? -Infinity : 0;
      for (let r = r0; r < r1; r++) {
        let src = image + <usize>(r * width + c0) * pixelBytes + c;
        for (let col = c0; col < c1; col++) {
          const v = load<f32>(src);
          acc = isMax ? max(acc, v) : acc + v;
          src += pixelBytes;
        }
      }
      store<f32>(out + c, isMax ? acc : acc / count);
    }
  }
}
