/**
 * The values at or above a threshold in a rectangle of an f32 image, in
 * row-major order: each one's index (r * stride + c) is appended to the i32
 * at `indices`, counted by the i32 at `found` (added to: the caller sets it,
 * and leaves room for every value of the rectangle). NaN is never at or above.
 * Reads whole vectors: 12 bytes past each row's columnEnd must be readable.
 *
 * Work: rows [rowStart, rowEnd) of columns [columnStart, columnEnd).
 */
export function f32_indices_at_least__simd128(
  values: usize, stride: i32, threshold: f32, columnStart: i32, columnEnd: i32, indices: usize, found: usize,
  rowStart: i32, rowEnd: i32,
): void {
  const limit = f32x4.splat(threshold);
  let count = load<i32>(found);
  for (let r = rowStart; r < rowEnd; r++) {
    const first = r * stride;
    const row = values + (<usize>first << 2);
    for (let c = columnStart; c < columnEnd; c += 4) {
      let lanes = i32x4.bitmask(f32x4.ge(v128.load(row + (<usize>c << 2)), limit));
      // Lanes past the rectangle's last column do not count.
      if (columnEnd - c < 4) lanes &= (1 << (columnEnd - c)) - 1;
      while (lanes != 0) {
        store<i32>(indices + (<usize>count << 2), first + c + ctz(lanes));
        count++;
        lanes &= lanes - 1;
      }
    }
  }
  store<i32>(found, count);
}
