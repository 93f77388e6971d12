/**
 * The Winograd filter transform U = G g Gᵀ of F(2x2, 3x3) (alpha 4: 4x4
 * tiles, points 0, ±1, ∞), F(2x2, 5x5) or F(4x4, 3x3) (alpha 6: 6x6 tiles,
 * points 0, ±1, ±2, ∞), packed for the igemm: alpha² matrices
 * `[blocks][channels][8]`, matrixBytes apart (position ξ = alpha*i + j),
 * filter o in lane o % 8 of block o / 8, each value times `scale[o]` (or 1
 * where scale is 0). g is `[filters][channels][r][r]`, r = kernelSize (3 or
 * 5). Row i of G is c_i (1, p_i, p_i², ..) for point p_i, the last row
 * (0, .., 0, 1) (Lavin and Gray's scaling, which the input and output
 * transforms' Bᵀ and Aᵀ assume):
 *
 *   alpha 4: c = 1, ½, ½           alpha 6: c = ¼, -⅙, -⅙, 1/24, 1/24
 *
 * The arithmetic is in double, G g then (G g) Gᵀ, each sum over k = 0..r-1
 * in order, and each value rounded to float once. Lanes past the last
 * filter are not written.
 *
 * Work: blocks of 8 filters [blockStart, blockEnd).
 */
export function f32_winograd_filter_pack(
  alpha: i32, kernelSize: i32, filters: usize, filterCount: i32, channels: i32, scale: usize, w: usize, matrixBytes: usize,
  blockStart: i32, blockEnd: i32,
): void {
  const r = kernelSize;
  const filterBytes = <usize>(r * r) << 2;
  const rowBytes = <usize>r << 2;
  for (let block = blockStart; block < blockEnd; block++) {
    const last = min(filterCount, (block + 1) << 3);
    for (let channel = 0; channel < channels; channel++) {
      for (let o = block << 3; o < last; o++) {
        const s: f64 = scale != 0 ? <f64>load<f32>(scale + (<usize>o << 2)) : 1.0;
        const f = filters + <usize>(o * channels + channel) * filterBytes;
        let at = w + ((<usize>(block * channels + channel) << 3) + <usize>(o - (block << 3)) << 2);
        for (let i = 0; i < alpha; i++) {
          // Row i of G g: h_b = the sum over k of G[i][k] g[k][b] (columns past r unused).
          const h0 = gRowTimesColumn(alpha, r, i, f, rowBytes, 0);
          const h1 = gRowTimesColumn(alpha, r, i, f, rowBytes, 4);
          const h2 = gRowTimesColumn(alpha, r, i, f, rowBytes, 8);
          const h3 = r > 3 ? gRowTimesColumn(alpha, r, i, f, rowBytes, 12) : 0;
          const h4 = r > 3 ? gRowTimesColumn(alpha, r, i, f, rowBytes, 16) : 0;
          // (G g) Gᵀ: that row through each row j of G, positions alpha*i .. alpha*i + alpha - 1.
          for (let j = 0; j < alpha; j++) {
            let sum: f64 = 0;
            sum += h0 * gAt(alpha, r, j, 0);
            sum += h1 * gAt(alpha, r, j, 1);
            sum += h2 * gAt(alpha, r, j, 2);
            if (r > 3) {
              sum += h3 * gAt(alpha, r, j, 3);
              sum += h4 * gAt(alpha, r, j, 4);
            }
            store<f32>(at, <f32>(sum * s));
            at += matrixBytes;
          }
        }
      }
    }
  }
}

/** Row i of G times column b (at byte `column`) of the r x r filter at f. */
// @ts-ignore: decorator
@inline function gRowTimesColumn(alpha: i32, r: i32, i: i32, f: usize, rowBytes: usize, column: usize): f64 {
  let sum: f64 = 0;
  for (let k = 0; k < r; k++) sum += gAt(alpha, r, i, k) * <f64>load<f32>(f + <usize>k * rowBytes + column);
  return sum;
}

/** G[i][k]: c_i p_i^k, or for the last row (the point ∞) 1 in the last column and 0 elsewhere. */
// @ts-ignore: decorator
@inline function gAt(alpha: i32, r: i32, i: i32, k: i32): f64 {
  if (i == alpha - 1) return k == r - 1 ? 1 : 0;
  let c: f64 = alpha == 4 ? (i == 0 ? 1 : 0.5) : i == 0 ? 0.25 : i < 3 ? -1.0 / 6 : 1.0 / 24;
  // p_i = 0, 1, -1, 2, -2; its powers are exact.
  const p: f64 = i == 0 ? 0 : <f64>(i & 1 ? 1 : -1) * <f64>(1 << ((i - 1) >> 1));
  for (let n = 0; n < k; n++) c *= p;
  return c;
}
