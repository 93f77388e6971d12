import { f32x4_relu_if } from './f32-vector';

/**
 * y = a + b on [channels][rows][cols] tensors of possibly different shapes:
 * y has the larger of each dimension and a value outside an input counts as 0
 * (zero-extension at the end of the channels, rows and columns). y may be
 * the same buffer as an input of y's shape.
 */
export function f32_add_zero_extend(
  a: usize, ac: i32, ah: i32, aw: i32,
  b: usize, bc: i32, bh: i32, bw: i32,
  y: usize, yc: i32, yh: i32, yw: i32, relu: bool,
): void {
  if (ac == bc && ah == bh && aw == bw) {
    const n = <usize>(yc * yh * yw) << 2;
    let i: usize = 0;
    for (; i + 16 <= n; i += 16) {
      v128.store(y + i, f32x4_relu_if(f32x4.add(v128.load(a + i), v128.load(b + i)), relu));
    }
    for (; i < n; i += 4) {
      const v = load<f32>(a + i) + load<f32>(b + i);
      store<f32>(y + i, relu ? max<f32>(v, 0) : v);
    }
    return;
  }
  let dst = y;
  for (let c = 0; c < yc; c++) {
    for (let r = 0; r < yh; r++) {
      const aRow = c < ac && r < ah ? a + (<usize>((c * ah + r) * aw) << 2) : 0;
      const bRow = c < bc && r < bh ? b + (<usize>((c * bh + r) * bw) << 2) : 0;
      for (let col = 0; col < yw; col++) {
        let v: f32 = 0;
        if (aRow != 0 && col < aw) v += load<f32>(aRow + (<usize>col << 2));
        if (bRow != 0 && col < bw) v += load<f32>(bRow + (<usize>col << 2));
        store<f32>(dst, relu ? max<f32>(v, 0) : v);
        dst += 4;
      }
    }
  }
}
