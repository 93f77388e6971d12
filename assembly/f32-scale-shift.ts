import { f32x4_relu_if } from './f32-vector';

/**
 * y = gamma * x + beta over [channels][plane]: one gamma and beta per channel,
 * or (perElement) one per value. y may be x.
 */
export function f32_scale_shift(
  x: usize, channels: i32, plane: i32, gamma: usize, beta: usize, perElement: bool, relu: bool, y: usize,
): void {
  if (perElement) {
    const n = <usize>(channels * plane) << 2;
    let i: usize = 0;
    for (; i + 16 <= n; i += 16) {
      const v = f32x4.add(f32x4.mul(v128.load(gamma + i), v128.load(x + i)), v128.load(beta + i));
      v128.store(y + i, f32x4_relu_if(v, relu));
    }
    for (; i < n; i += 4) {
      const v = load<f32>(gamma + i) * load<f32>(x + i) + load<f32>(beta + i);
      store<f32>(y + i, relu ? max<f32>(v, 0) : v);
    }
    return;
  }
  const bytes = <usize>plane << 2;
  for (let c = 0; c < channels; c++) {
    const g = load<f32>(gamma + (<usize>c << 2));
    const b = load<f32>(beta + (<usize>c << 2));
    const gv = f32x4.splat(g);
    const bv = f32x4.splat(b);
    const xs = x + <usize>c * bytes;
    const ys = y + <usize>c * bytes;
    let i: usize = 0;
    for (; i + 16 <= bytes; i += 16) {
      v128.store(ys + i, f32x4_relu_if(f32x4.add(f32x4.mul(gv, v128.load(xs + i)), bv), relu));
    }
    for (; i < bytes; i += 4) {
      const v = g * load<f32>(xs + i) + b;
      store<f32>(ys + i, relu ? max<f32>(v, 0) : v);
    }
  }
}

/** y = max(x, 0) over n values; y may be x. */
export function f32_relu(x: usize, n: i32, y: usize): void {
  const bytes = <usize>n << 2;
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(y + i, f32x4.max(v128.load(x + i), f32x4.splat(0)));
  for (; i < bytes; i += 4) store<f32>(y + i, max<f32>(load<f32>(x + i), 0));
}
