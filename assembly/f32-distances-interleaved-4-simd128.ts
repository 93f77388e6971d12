/**
 * Euclidean distances from one vector x (`length` f32) to rows stored four
 * to a block, interleaved value by value: block b holds rows 4b..4b+3 as
 * [k][lane], `length * 4` f32. out[4b + lane] = sqrt of the sum over k, in
 * order, of (x[k] - row[k])^2, every step rounded to f32: each lane runs the
 * scalar loop of one row, so the result is the same float32 as
 * `sum += d * d; sqrt(sum)` on that row alone.
 *
 * Work: blocks [blockStart, blockEnd).
 */
export function f32_distances_interleaved_4__simd128(
  x: usize, blocks: usize, length: i32, out: usize, blockStart: i32, blockEnd: i32,
): void {
  const blockBytes = <usize>length << 4;
  for (let b = blockStart; b < blockEnd; b++) {
    const block = blocks + <usize>b * blockBytes;
    let sum = f32x4.splat(0);
    for (let k = 0; k < length; k++) {
      const d = f32x4.sub(v128.load32_splat(x + (<usize>k << 2)), v128.load(block + (<usize>k << 4)));
      sum = f32x4.add(sum, f32x4.mul(d, d));
    }
    v128.store(out + (<usize>b << 4), f32x4.sqrt(sum));
  }
}
