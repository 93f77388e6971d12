import { f32x4_relu_if } from './f32-vector';

/**
 * y = a + b on NHWC tensors of possibly different shapes: y has the larger
 * of each dimension, and a value outside an input counts as 0 (zero-extension
 * at the end of the channels, rows and columns). y may be the buffer of an
 * input of y's shape.
 *
 * Work: output pixels [pixelStart, pixelEnd), counted over all samples.
 */
export function f32_add_zero_extend_nhwc__simd128(
  a: usize, ah: i32, aw: i32, ac: i32,
  b: usize, bh: i32, bw: i32, bc: i32,
  y: usize, yh: i32, yw: i32, yc: i32, relu: bool,
  pixelStart: i32, pixelEnd: i32,
): void {
  if (ah == bh && aw == bw && ac == bc) {
    const start = <usize>pixelStart * <usize>yc << 2;
    const end = <usize>pixelEnd * <usize>yc << 2;
    let i = start;
    for (; i + 16 <= end; i += 16) v128.store(y + i, f32x4_relu_if(f32x4.add(v128.load(a + i), v128.load(b + i)), relu));
    for (; i < end; i += 4) {
      const v = load<f32>(a + i) + load<f32>(b + i);
      store<f32>(y + i, relu ? max<f32>(v, 0) : v);
    }
    return;
  }
  const plane = yh * yw;
  for (let p = pixelStart; p < pixelEnd; p++) {
    const sample = p / plane;
    const q = p - sample * plane;
    const r = q / yw;
    const col = q - r * yw;
    // Channels an input holds at this pixel: none outside its rows and columns.
    const na = r < ah && col < aw ? ac : 0;
    const nb = r < bh && col < bw ? bc : 0;
    const ap = a + (<usize>(((sample * ah + r) * aw + col) * ac) << 2);
    const bp = b + (<usize>(((sample * bh + r) * bw + col) * bc) << 2);
    const yp = y + (<usize>(p * yc) << 2);
    const both = min(na, nb);
    let c = 0;
    for (; c + 4 <= both; c += 4) {
      const i = <usize>c << 2;
      v128.store(yp + i, f32x4_relu_if(f32x4.add(v128.load(ap + i), v128.load(bp + i)), relu));
    }
    // The channels only one input has (a projection shortcut's zero-extension), in vectors where they start on one:
    // a scalar loop over them took 15x the time of the add itself. 0 + v, as the scalar loop adds (-0 becomes 0).
    if (c == both) {
      const one = max(na, nb);
      const op = na > nb ? ap : bp;
      const zeroV = f32x4.splat(0);
      for (; c + 4 <= one; c += 4) {
        const i = <usize>c << 2;
        v128.store(yp + i, f32x4_relu_if(f32x4.add(zeroV, v128.load(op + i)), relu));
      }
      if (c == one) for (; c + 4 <= yc; c += 4) v128.store(yp + (<usize>c << 2), zeroV);
    }
    for (; c < yc; c++) {
      const i = <usize>c << 2;
      let v: f32 = 0;
      if (c < na) v += load<f32>(ap + i);
      if (c < nb) v += load<f32>(bp + i);
      store<f32>(yp + i, relu ? max<f32>(v, 0) : v);
    }
  }
}
