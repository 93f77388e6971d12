import { f32x4_muladd, f32x4_relu_if, f32x4_store_first } from './f32-vector';

/**
 * Fully connected: y[j] = sum_i x[i] * w[i][j] + bias[j], then ReLU if asked.
 * w is `[inputs][ldw]` with ldw = outputs rounded up to 4 (zero-padded), bias
 * has ldw values. Products are summed from zero and the bias added last, in
 * the order dlib's BLAS GEMM and bias add round them.
 */
export function f32_fc__simd128(
  x: usize, inputs: i32, w: usize, ldw: i32, bias: usize, y: usize, outputs: i32, relu: bool,
): void {
  const wStride = <usize>ldw << 2;
  for (let j = 0; j < outputs; j += 4) {
    let acc = f32x4.splat(0);
    let wp = w + (<usize>j << 2);
    for (let i = 0; i < inputs; i++) {
      acc = f32x4_muladd(v128.load32_splat(x + (<usize>i << 2)), v128.load(wp), acc);
      wp += wStride;
    }
    acc = f32x4.add(acc, v128.load(bias + (<usize>j << 2)));
    f32x4_store_first(y + (<usize>j << 2), f32x4_relu_if(acc, relu), outputs - j);
  }
}
