/**
 * The Winograd filter transform U = G g Gᵀ of F(2x2, 3x3) (alpha 4: 4x4
 * tiles, points 0, ±1, ∞), F(2x2, 5x5) or F(4x4, 3x3) (alpha 6: 6x6 tiles,
 * points 0, ±1, ±2, ∞), F(4x4, 5x5) and F(6x6, 3x3) (alpha 8: 8x8 tiles,
 * points 0, ±1, ±2, ±½, ∞) or F(6x6, 5x5) (alpha 10: 10x10 tiles, points
 * 0, ±½, ±¾, ±5/4, ±5/2, ∞), packed for the igemm: alpha² matrices
 * `[blocks][channels][8]`, matrixBytes apart (position ξ = alpha*i + j),
 * filter o in lane o % 8 of block o / 8, each value times `scale[o]` (or 1
 * where scale is 0). g is `[filters][channels][r][r]`, r = kernelSize (3 or
 * 5). Row i of G is c_i (1, p_i, p_i², ..) for point p_i, the last row
 * (0, .., 0, 1) (Lavin and Gray's scaling, which the input and output
 * transforms' Bᵀ and Aᵀ assume):
 *
 *   alpha 4: c = 1, ½, ½           alpha 6: c = ¼, -⅙, -⅙, 1/24, 1/24
 *   alpha 8: c = 1, -2/9, -2/9, 1/90, 1/90, 32/45, 32/45
 *   alpha 10: c_i = 1 / prod_{j != i} (p_i - p_j) (Bᵀ's rows monic)
 *
 * The arithmetic is in double, G g then (G g) Gᵀ, each sum over k = 0..r-1
 * in order (the products by 0 and 1 included: they are exact), and each
 * value rounded to float once. G's entries are the call's constants (computed
 * for each filter and channel, G's powers made loading the face model 50 ms
 * slower), G's columns unrolled.
 * Lanes past the last filter are not written.
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
  // G, 10x5 at most (entries past alpha rows or r columns unused).
  const g00 = gAt(alpha, r, 0, 0), g01 = gAt(alpha, r, 0, 1), g02 = gAt(alpha, r, 0, 2), g03 = gAt(alpha, r, 0, 3), g04 = gAt(alpha, r, 0, 4);
  const g10 = gAt(alpha, r, 1, 0), g11 = gAt(alpha, r, 1, 1), g12 = gAt(alpha, r, 1, 2), g13 = gAt(alpha, r, 1, 3), g14 = gAt(alpha, r, 1, 4);
  const g20 = gAt(alpha, r, 2, 0), g21 = gAt(alpha, r, 2, 1), g22 = gAt(alpha, r, 2, 2), g23 = gAt(alpha, r, 2, 3), g24 = gAt(alpha, r, 2, 4);
  const g30 = gAt(alpha, r, 3, 0), g31 = gAt(alpha, r, 3, 1), g32 = gAt(alpha, r, 3, 2), g33 = gAt(alpha, r, 3, 3), g34 = gAt(alpha, r, 3, 4);
  const g40 = gAt(alpha, r, 4, 0), g41 = gAt(alpha, r, 4, 1), g42 = gAt(alpha, r, 4, 2), g43 = gAt(alpha, r, 4, 3), g44 = gAt(alpha, r, 4, 4);
  const g50 = gAt(alpha, r, 5, 0), g51 = gAt(alpha, r, 5, 1), g52 = gAt(alpha, r, 5, 2), g53 = gAt(alpha, r, 5, 3), g54 = gAt(alpha, r, 5, 4);
  const g60 = gAt(alpha, r, 6, 0), g61 = gAt(alpha, r, 6, 1), g62 = gAt(alpha, r, 6, 2), g63 = gAt(alpha, r, 6, 3), g64 = gAt(alpha, r, 6, 4);
  const g70 = gAt(alpha, r, 7, 0), g71 = gAt(alpha, r, 7, 1), g72 = gAt(alpha, r, 7, 2), g73 = gAt(alpha, r, 7, 3), g74 = gAt(alpha, r, 7, 4);
  const g80 = gAt(alpha, r, 8, 0), g81 = gAt(alpha, r, 8, 1), g82 = gAt(alpha, r, 8, 2), g83 = gAt(alpha, r, 8, 3), g84 = gAt(alpha, r, 8, 4);
  const g90 = gAt(alpha, r, 9, 0), g91 = gAt(alpha, r, 9, 1), g92 = gAt(alpha, r, 9, 2), g93 = gAt(alpha, r, 9, 3), g94 = gAt(alpha, r, 9, 4);
  for (let block = blockStart; block < blockEnd; block++) {
    const last = min(filterCount, (block + 1) << 3);
    for (let channel = 0; channel < channels; channel++) {
      const lane0 = w + (<usize>(block * channels + channel) << 5);
      // Row i outside the filters: G's row is chosen once for the block's 8 (per filter, the choice took most of the time).
      for (let i = 0; i < alpha; i++) {
        // G's row i, chosen among the call's constants.
        const a0 = i == 0 ? g00 : i == 1 ? g10 : i == 2 ? g20 : i == 3 ? g30 : i == 4 ? g40 : i == 5 ? g50 : i == 6 ? g60 : i == 7 ? g70 : i == 8 ? g80 : g90;
        const a1 = i == 0 ? g01 : i == 1 ? g11 : i == 2 ? g21 : i == 3 ? g31 : i == 4 ? g41 : i == 5 ? g51 : i == 6 ? g61 : i == 7 ? g71 : i == 8 ? g81 : g91;
        const a2 = i == 0 ? g02 : i == 1 ? g12 : i == 2 ? g22 : i == 3 ? g32 : i == 4 ? g42 : i == 5 ? g52 : i == 6 ? g62 : i == 7 ? g72 : i == 8 ? g82 : g92;
        const a3 = i == 0 ? g03 : i == 1 ? g13 : i == 2 ? g23 : i == 3 ? g33 : i == 4 ? g43 : i == 5 ? g53 : i == 6 ? g63 : i == 7 ? g73 : i == 8 ? g83 : g93;
        const a4 = i == 0 ? g04 : i == 1 ? g14 : i == 2 ? g24 : i == 3 ? g34 : i == 4 ? g44 : i == 5 ? g54 : i == 6 ? g64 : i == 7 ? g74 : i == 8 ? g84 : g94;
        const row = lane0 + <usize>(alpha * i) * matrixBytes;
        for (let o = block << 3; o < last; o++) {
          const s: f64 = scale != 0 ? <f64>load<f32>(scale + (<usize>o << 2)) : 1.0;
          const f = filters + <usize>(o * channels + channel) * filterBytes;
          transformRow(r, alpha, f, rowBytes, a0, a1, a2, a3, a4, g00, g01, g02, g03, g04, g10, g11, g12, g13, g14, g20, g21, g22, g23, g24, g30, g31, g32, g33, g34, g40, g41, g42, g43, g44, g50, g51, g52, g53, g54, g60, g61, g62, g63, g64, g70, g71, g72, g73, g74, g80, g81, g82, g83, g84, g90, g91, g92, g93, g94, s, row + (<usize>(o - (block << 3)) << 2), matrixBytes);
        }
      }
    }
  }
}

/**
 * Row i of G g (G's row i is a0 .. a4), then that row through each row j of
 * G: positions alpha*i .. alpha*i + alpha - 1 (from `at`), `step` bytes apart, times s.
 */
// @ts-ignore: decorator
@inline function transformRow(
  r: i32, alpha: i32, f: usize, rowBytes: usize, a0: f64, a1: f64, a2: f64, a3: f64, a4: f64,
  g00: f64, g01: f64, g02: f64, g03: f64, g04: f64, g10: f64, g11: f64, g12: f64, g13: f64, g14: f64, g20: f64, g21: f64, g22: f64, g23: f64, g24: f64, g30: f64, g31: f64, g32: f64, g33: f64, g34: f64, g40: f64, g41: f64, g42: f64, g43: f64, g44: f64, g50: f64, g51: f64, g52: f64, g53: f64, g54: f64,
  g60: f64, g61: f64, g62: f64, g63: f64, g64: f64, g70: f64, g71: f64, g72: f64, g73: f64, g74: f64,
  g80: f64, g81: f64, g82: f64, g83: f64, g84: f64, g90: f64, g91: f64, g92: f64, g93: f64, g94: f64,
  s: f64, at: usize, step: usize,
): void {
  const h0 = columnTimes(r, f, rowBytes, 0, a0, a1, a2, a3, a4);
  const h1 = columnTimes(r, f, rowBytes, 4, a0, a1, a2, a3, a4);
  const h2 = columnTimes(r, f, rowBytes, 8, a0, a1, a2, a3, a4);
  const h3 = r > 3 ? columnTimes(r, f, rowBytes, 12, a0, a1, a2, a3, a4) : 0;
  const h4 = r > 3 ? columnTimes(r, f, rowBytes, 16, a0, a1, a2, a3, a4) : 0;
  store<f32>(at + 0 * step, <f32>(dotG(r, h0, h1, h2, h3, h4, g00, g01, g02, g03, g04) * s));
  store<f32>(at + 1 * step, <f32>(dotG(r, h0, h1, h2, h3, h4, g10, g11, g12, g13, g14) * s));
  store<f32>(at + 2 * step, <f32>(dotG(r, h0, h1, h2, h3, h4, g20, g21, g22, g23, g24) * s));
  store<f32>(at + 3 * step, <f32>(dotG(r, h0, h1, h2, h3, h4, g30, g31, g32, g33, g34) * s));
  if (alpha > 4) store<f32>(at + 4 * step, <f32>(dotG(r, h0, h1, h2, h3, h4, g40, g41, g42, g43, g44) * s));
  if (alpha > 4) store<f32>(at + 5 * step, <f32>(dotG(r, h0, h1, h2, h3, h4, g50, g51, g52, g53, g54) * s));
  if (alpha > 6) store<f32>(at + 6 * step, <f32>(dotG(r, h0, h1, h2, h3, h4, g60, g61, g62, g63, g64) * s));
  if (alpha > 6) store<f32>(at + 7 * step, <f32>(dotG(r, h0, h1, h2, h3, h4, g70, g71, g72, g73, g74) * s));
  if (alpha > 8) store<f32>(at + 8 * step, <f32>(dotG(r, h0, h1, h2, h3, h4, g80, g81, g82, g83, g84) * s));
  if (alpha > 8) store<f32>(at + 9 * step, <f32>(dotG(r, h0, h1, h2, h3, h4, g90, g91, g92, g93, g94) * s));
}

/** (a0 .. a4) times column b (at byte `column`) of the r x r filter at f, summed in order from 0. */
// @ts-ignore: decorator
@inline function columnTimes(r: i32, f: usize, rowBytes: usize, column: usize, a0: f64, a1: f64, a2: f64, a3: f64, a4: f64): f64 {
  let sum: f64 = 0;
  sum += a0 * <f64>load<f32>(f + column);
  sum += a1 * <f64>load<f32>(f + rowBytes + column);
  sum += a2 * <f64>load<f32>(f + 2 * rowBytes + column);
  if (r > 3) {
    sum += a3 * <f64>load<f32>(f + 3 * rowBytes + column);
    sum += a4 * <f64>load<f32>(f + 4 * rowBytes + column);
  }
  return sum;
}

/** (h0 .. h4) times a row of G (b0 .. b4), summed in order from 0. */
// @ts-ignore: decorator
@inline function dotG(r: i32, h0: f64, h1: f64, h2: f64, h3: f64, h4: f64, b0: f64, b1: f64, b2: f64, b3: f64, b4: f64): f64 {
  let sum: f64 = 0;
  sum += h0 * b0;
  sum += h1 * b1;
  sum += h2 * b2;
  if (r > 3) {
    sum += h3 * b3;
    sum += h4 * b4;
  }
  return sum;
}

/** G[i][k]: c_i p_i^k, or for the last row (the point ∞) 1 in the last column and 0 elsewhere. */
function gAt(alpha: i32, r: i32, i: i32, k: i32): f64 {
  if (i >= alpha) return 0;
  if (i == alpha - 1) return k == r - 1 ? 1 : 0;
  const p = pointAt(alpha, i);
  let c: f64;
  if (alpha == 4) c = i == 0 ? 1 : 0.5;
  else if (alpha == 6) c = i == 0 ? 0.25 : i < 3 ? -1.0 / 6 : 1.0 / 24;
  else if (alpha == 8) c = i == 0 ? 1 : i < 3 ? -2.0 / 9 : i < 5 ? 1.0 / 90 : 32.0 / 45;
  else {
    // Bᵀ's rows are the monic prod_{j != i} (x - p_j): c_i is 1 / prod_{j != i} (p_i - p_j).
    c = 1;
    for (let j = 0; j < alpha - 1; j++) if (j != i) c /= p - pointAt(alpha, j);
  }
  for (let n = 0; n < k; n++) c *= p;
  return c;
}

/**
 * The finite point p_i of row i: 0, 1, -1, 2, -2, ½, -½ (alpha 4 to 8); 0,
 * ±½, ±¾, ±5/4, ±5/2 (alpha 10: among the sets of 0 and four pairs ±p, p
 * from ¼ .. 5/2, one of the least rounding in a float32 simulation of F(6x6,
 * 5x5), and the least on dlib-models' MMOD detectors of the 5 tried, ±2 or
 * ±4/3 or ±3/2 in place of ±5/4 or ±5/2 rounding up to 2x more; sets with ±1
 * rounded 1.8x more in the simulation). Their powers are exact.
 */
function pointAt(alpha: i32, i: i32): f64 {
  if (i == 0) return 0;
  const sign: f64 = i & 1 ? 1 : -1;
  if (alpha == 10) return sign * (i < 3 ? 1.0 / 2 : i < 5 ? 3.0 / 4 : i < 7 ? 5.0 / 4 : 5.0 / 2);
  return sign * (i < 5 ? <f64>(1 << ((i - 1) >> 1)) : 0.5);
}
