/**
 * Max or average pooling of a [channels][height][width] tensor. Each window
 * is clipped to the image, and an average divides by the clipped window's
 * size (padding does not count). A window of the whole image gives the
 * global pool.
 */
export function f32_pool2d(
  x: usize, channels: i32, height: i32, width: i32, wh: i32, ww: i32,
  sy: i32, sx: i32, py: i32, px: i32, outH: i32, outW: i32, y: usize, isMax: bool,
): void {
  let dst = y;
  for (let c = 0; c < channels; c++) {
    const plane = x + (<usize>(c * height * width) << 2);
    for (let oy = 0; oy < outH; oy++) {
      const r0 = max(oy * sy - py, 0);
      const r1 = min(oy * sy - py + wh, height);
      for (let ox = 0; ox < outW; ox++) {
        const c0 = max(ox * sx - px, 0);
        const c1 = min(ox * sx - px + ww, width);
        let acc: f32 = isMax ? -Infinity : 0;
        for (let r = r0; r < r1; r++) {
          const row = plane + (<usize>(r * width) << 2);
          for (let cc = c0; cc < c1; cc++) {
            const v = load<f32>(row + (<usize>cc << 2));
            acc = isMax ? max(acc, v) : acc + v;
          }
        }
        store<f32>(dst, isMax ? acc : acc / <f32>((r1 - r0) * (c1 - c0)));
        dst += 4;
      }
    }
  }
}
