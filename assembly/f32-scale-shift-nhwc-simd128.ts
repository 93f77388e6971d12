import { f32x4_relu_if } from './f32-vector';

/**
 * y = gamma * x + beta on an NHWC tensor: one gamma and beta per channel, or
 * (perElement) one per value of a sample, `[plane][channels]`. y may be x.
 *
 * Work: pixels [pixelStart, pixelEnd), counted over all samples.
 */
export function f32_scale_shift_nhwc__simd128(
  x: usize, channels: i32, plane: i32, gamma: usize, beta: usize, perElement: bool, relu: bool, y: usize,
  pixelStart: i32, pixelEnd: i32,
): void {
  const pixelBytes = <usize>channels << 2;
  const vectorBytes = <usize>(channels & ~3) << 2;
  for (let p = pixelStart; p < pixelEnd; p++) {
    const offset = perElement ? <usize>(p % plane) * pixelBytes : 0;
    const g = gamma + offset;
    const bt = beta + offset;
    const xp = x + <usize>p * pixelBytes;
    const yp = y + <usize>p * pixelBytes;
    let c: usize = 0;
    for (; c < vectorBytes; c += 16) {
      const v = f32x4.add(f32x4.mul(v128.load(g + c), v128.load(xp + c)), v128.load(bt + c));
      v128.store(yp + c, f32x4_relu_if(v, relu));
    }
    for (; c < pixelBytes; c += 4) {
      const v = load<f32>(g + c) * load<f32>(xp + c) + load<f32>(bt + c);
      store<f32>(yp + c, relu ? max<f32>(v, 0) : v);
    }
  }
}

/** y = max(x, 0). Work: floats [start, end); y may be x. */
export function f32_relu__simd128(x: usize, y: usize, start: i32, end: i32): void {
  let i = <usize>start << 2;
  const stop = <usize>end << 2;
  for (; i + 16 <= stop; i += 16) v128.store(y + i, f32x4.max(v128.load(x + i), f32x4.splat(0)));
  for (; i < stop; i += 4) store<f32>(y + i, max<f32>(load<f32>(x + i), 0));
}
