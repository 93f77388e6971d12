/**
 * Squared Euclidean distances from one vector x to each of a set of rows:
 * out[r] = sum over k of (x[k] - rows[r][k])^2 as f64. The differences are
 * f32 subtractions (rounded to f32); their squares are exact in f64; the sums
 * run in four f64 lanes (k % 4), then (lane 0 + lane 2) + (lane 1 + lane 3),
 * then the tail (k >= length & ~3) in order. Rows are `length` f32 apart, x and
 * rows need no alignment.
 *
 * Work: rows [rowStart, rowEnd).
 */
export function f32_squared_distances_f64__simd128(
  x: usize, rows: usize, length: i32, out: usize, rowStart: i32, rowEnd: i32,
): void {
  const rowBytes = <usize>length << 2;
  const vectorBytes = <usize>(length & ~3) << 2;
  for (let r = rowStart; r < rowEnd; r++) {
    const row = rows + <usize>r * rowBytes;
    let low = f64x2.splat(0);
    let high = f64x2.splat(0);
    let k: usize = 0;
    for (; k < vectorBytes; k += 16) {
      const d = f32x4.sub(v128.load(x + k), v128.load(row + k));
      const d01 = f64x2.promote_low_f32x4(d);
      const d23 = f64x2.promote_low_f32x4(v128.shuffle<f32>(d, d, 2, 3, 0, 1));
      low = f64x2.add(low, f64x2.mul(d01, d01));
      high = f64x2.add(high, f64x2.mul(d23, d23));
    }
    const lanes = f64x2.add(low, high);
    let sum = f64x2.extract_lane(lanes, 0) + f64x2.extract_lane(lanes, 1);
    for (; k < rowBytes; k += 4) {
      const d = <f64>(load<f32>(x + k) - load<f32>(row + k));
      sum += d * d;
    }
    store<f64>(out + (<usize>r << 3), sum);
  }
}
