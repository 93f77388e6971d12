/**
 * Max or average pooling of NHWC tensors (`height x width x channels` per
 * sample), vectorized over channels. Each window is clipped to the image and
 * an average divides by the clipped window's size (padding does not count). A
 * window of the whole image gives the global pool. The max is dlib's (its
 * matrix max): the window's first value, replaced by any later one greater
 * than it (f32x4.pmax, one instruction where V8 lowers f32x4.max to 8), so
 * that signed zeros and NaNs come out as in dlib. Windows are never empty (dlib's
 * padding is less than its window).
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
  const chunkBytes = <usize>(channels & ~15) << 2;
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
    const countV = f32x4.splat(count);
    const first = image + <usize>(r0 * width + c0) * pixelBytes;
    // Four vectors of channels a pass over the window: with one, the window's loops cost more than its loads
    // (the face model's 3x3 max pool over 32 channels ran 3x slower). Each lane sees the window in the same order.
    let c: usize = 0;
    for (; c < chunkBytes; c += 64) {
      let acc0 = start(first + c, isMax), acc1 = start(first + c + 16, isMax);
      let acc2 = start(first + c + 32, isMax), acc3 = start(first + c + 48, isMax);
      for (let r = r0; r < r1; r++) {
        let src = image + <usize>(r * width + c0) * pixelBytes + c;
        for (let col = c0; col < c1; col++) {
          acc0 = combine(acc0, v128.load(src), isMax);
          acc1 = combine(acc1, v128.load(src, 16), isMax);
          acc2 = combine(acc2, v128.load(src, 32), isMax);
          acc3 = combine(acc3, v128.load(src, 48), isMax);
          src += pixelBytes;
        }
      }
      v128.store(out + c, isMax ? acc0 : f32x4.div(acc0, countV));
      v128.store(out + c, isMax ? acc1 : f32x4.div(acc1, countV), 16);
      v128.store(out + c, isMax ? acc2 : f32x4.div(acc2, countV), 32);
      v128.store(out + c, isMax ? acc3 : f32x4.div(acc3, countV), 48);
    }
    for (; c < vectorBytes; c += 16) {
      let acc = start(first + c, isMax);
      for (let r = r0; r < r1; r++) {
        let src = image + <usize>(r * width + c0) * pixelBytes + c;
        for (let col = c0; col < c1; col++) {
          acc = combine(acc, v128.load(src), isMax);
          src += pixelBytes;
        }
      }
      v128.store(out + c, isMax ? acc : f32x4.div(acc, countV));
    }
    for (; c < pixelBytes; c += 4) {
      let acc: f32 = isMax ? load<f32>(first + c) : 0;
      for (let r = r0; r < r1; r++) {
        let src = image + <usize>(r * width + c0) * pixelBytes + c;
        for (let col = c0; col < c1; col++) {
          const v = load<f32>(src);
          acc = isMax ? (v > acc ? v : acc) : acc + v;
          src += pixelBytes;
        }
      }
      store<f32>(out + c, isMax ? acc : acc / count);
    }
  }
}

// @ts-ignore: decorator
@inline function start(first: usize, isMax: bool): v128 {
  return isMax ? v128.load(first) : f32x4.splat(0);
}

// @ts-ignore: decorator
@inline function combine(acc: v128, v: v128, isMax: bool): v128 {
  return isMax ? f32x4.pmax(acc, v) : f32x4.add(acc, v);
}
