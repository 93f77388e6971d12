/**
 * A table of the direction nearest to each integer vector (gx, gy) with
 * -range <= gx, gy <= range: for each of `count` directions in order (f32
 * x, y pairs at `directions`), dot = f32(f32(x * gx) + f32(y * gy)) (no fused
 * multiply-add); the first direction whose |dot| beats the best so far wins,
 * as bin k where its dot is positive, k + count where negative; bin 0 where
 * no dot is nonzero. Row gy + range of the table is 2 * range + 1 bytes at
 * `out` + (gy + range) * (2 * range + 1), entry gx + range; count <= 127.
 *
 * Work: table rows [rowStart, rowEnd).
 */
export function u8_direction_bins__simd128(directions: usize, count: i32, range: i32, out: usize, rowStart: i32, rowEnd: i32): void {
  const side = 2 * range + 1;
  const firstOfFour = f32x4(0, 1, 2, 3);
  for (let row = rowStart; row < rowEnd; row++) {
    const gy = <f32>(row - range);
    const outRow = out + <usize>(row * side);
    let i = 0;
    for (; i + 4 <= side; i += 4) {
      const gx = f32x4.add(f32x4.splat(<f32>(i - range)), firstOfFour);
      let best = f32x4.splat(0);
      let bin = i32x4.splat(0);
      for (let k = 0; k < count; k++) {
        const at = directions + (<usize>k << 3);
        const dot = f32x4.add(f32x4.mul(v128.load32_splat(at), gx), f32x4.splat(load<f32>(at, 4) * gy));
        const magnitude = f32x4.abs(dot);
        const beats = f32x4.gt(magnitude, best);
        best = v128.bitselect(magnitude, best, beats);
        const signed = v128.bitselect(i32x4.splat(k), i32x4.splat(k + count), f32x4.gt(dot, f32x4.splat(0)));
        bin = v128.bitselect(signed, bin, beats);
      }
      // Bins < 256: the low byte of each lane.
      v128.store32_lane(outRow + <usize>i, i8x16.swizzle(bin, i8x16(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1)), 0);
    }
    for (; i < side; i++) {
      const gx = <f32>(i - range);
      let best: f32 = 0;
      let bin = 0;
      for (let k = 0; k < count; k++) {
        const at = directions + (<usize>k << 3);
        const dot = load<f32>(at) * gx + load<f32>(at, 4) * gy;
        if (abs(dot) > best) {
          best = abs(dot);
          bin = dot > 0 ? k : k + count;
        }
      }
      store<u8>(outRow + <usize>i, <u8>bin);
    }
  }
}
