/**
 * The Winograd F(2x2, 3x3) filter transform U = G g Gᵀ, packed for the
 * igemm: 16 matrices `[blocks][channels][8]`, matrixBytes apart (position
 * ξ = 4i + j), filter o in lane o % 8 of block o / 8, each value times
 * `scale[o]` (or 1 where scale is 0). g is `[filters][channels][3][3]`.
 * G = [[1, 0, 0], [½, ½, ½], [½, -½, ½], [0, 0, 1]]; the arithmetic is in
 * double, in the order a GEMM sums it (the products by 0 and 1 are exact and
 * left out), each value rounded to float once. Lanes past the last filter are
 * not written.
 *
 * Work: blocks of 8 filters [blockStart, blockEnd).
 */
export function f32_winograd_2x2_3x3_filter_pack(
  filters: usize, filterCount: i32, channels: i32, scale: usize, w: usize, matrixBytes: usize,
  blockStart: i32, blockEnd: i32,
): void {
  for (let block = blockStart; block < blockEnd; block++) {
    const last = min(filterCount, (block + 1) << 3);
    for (let channel = 0; channel < channels; channel++) {
      for (let o = block << 3; o < last; o++) {
        const s: f64 = scale != 0 ? <f64>load<f32>(scale + (<usize>o << 2)) : 1.0;
        const f = filters + (<usize>(o * channels + channel) * 36);
        const a0 = <f64>load<f32>(f), a1 = <f64>load<f32>(f, 4), a2 = <f64>load<f32>(f, 8);
        const m0 = <f64>load<f32>(f, 12), m1 = <f64>load<f32>(f, 16), m2 = <f64>load<f32>(f, 20);
        const d0 = <f64>load<f32>(f, 24), d1 = <f64>load<f32>(f, 28), d2 = <f64>load<f32>(f, 32);
        // G g, row by row (4x3): rows 0 and 3 are g's first and last rows.
        const b0 = g1(a0, m0, d0), b1 = g1(a1, m1, d1), b2 = g1(a2, m2, d2);
        const c0 = g2(a0, m0, d0), c1 = g2(a1, m1, d1), c2 = g2(a2, m2, d2);
        // (G g) Gᵀ: each row of G g through G, giving positions 4i .. 4i+3.
        let at = w + ((<usize>(block * channels + channel) << 3) + <usize>(o - (block << 3)) << 2);
        at = storeRow(at, a0, a1, a2, s, matrixBytes);
        at = storeRow(at, b0, b1, b2, s, matrixBytes);
        at = storeRow(at, c0, c1, c2, s, matrixBytes);
        storeRow(at, d0, d1, d2, s, matrixBytes);
      }
    }
  }
}

/** One row of G g through G, times s: four positions, `step` bytes apart; returns the next position's address. */
// @ts-ignore: decorator
@inline function storeRow(at: usize, x0: f64, x1: f64, x2: f64, s: f64, step: usize): usize {
  store<f32>(at, <f32>(x0 * s));
  store<f32>(at + step, <f32>(g1(x0, x1, x2) * s));
  store<f32>(at + 2 * step, <f32>(g2(x0, x1, x2) * s));
  store<f32>(at + 3 * step, <f32>(x2 * s));
  return at + 4 * step;
}

// @ts-ignore: decorator
@inline function g1(a: f64, b: f64, c: f64): f64 {
  return 0.5 * a + 0.5 * b + 0.5 * c;
}

// @ts-ignore: decorator
@inline function g2(a: f64, b: f64, c: f64): f64 {
  return 0.5 * a - 0.5 * b + 0.5 * c;
}
