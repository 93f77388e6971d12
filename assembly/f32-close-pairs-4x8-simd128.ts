/**
 * The pairs of rows closer than a limit, by the GEMM form of the squared
 * distance: |q - c|^2 = |q|^2 + |c|^2 - 2 q.c, the dot products four query
 * rows by eight candidate rows at a time in registers. Rows are stored four
 * to a block, interleaved value by value ([k][lane], `length * 4` f32 a
 * block), zeros up to `tiles` whole tiles, with their squared norms in
 * `norms` (one f32 a row). A query tile is one block, a candidate tile two
 * consecutive blocks.
 *
 * Each pair (q, c) with c > q, c < rows and the GEMM value under
 * `limitSquared` is appended as two i32 [q, c] to the pairs of q's block:
 * block b's are at `pairs + (b - firstBlock) * blockCapacity * 8`, counted
 * by the i32 at `found + (b - firstBlock) * 4`, which counts them all,
 * written or not, so that a caller can tell a block ran out of room (and
 * threads taking different blocks write to different places). The GEMM value
 * rounds differently from a sum of squared differences: callers give a limit
 * with a margin and check the pairs found with the exact distance.
 *
 * Work: query blocks [queryStart, queryEnd), against the candidates from
 * the first block's on.
 */
export function f32_close_pairs_4x8__simd128(
  blocks: usize, norms: usize, length: i32, rows: i32, tiles: i32, limitSquared: f32,
  pairs: usize, blockCapacity: i32, found: usize, firstBlock: i32,
  queryStart: i32, queryEnd: i32,
): void {
  const blockBytes = <usize>length << 4;
  // Candidate tiles a pass of query tiles shares while they stay in cache.
  for (let chunk = queryStart >> 1; chunk < tiles; chunk += TILE_CHUNK) {
    const chunkEnd = min(chunk + TILE_CHUNK, tiles);
    for (let qb = queryStart; qb < queryEnd; qb++) {
      const query = blocks + <usize>qb * blockBytes;
      const first = qb << 2;
      const counter = found + (<usize>(qb - firstBlock) << 2);
      const out = pairs + <usize>(qb - firstBlock) * <usize>blockCapacity * 8;
      let count = load<i32>(counter);
      // Tiles before the query block's own hold no c > q.
      for (let t = max(chunk, qb >> 1); t < chunkEnd; t++) {
        const c0 = blocks + (<usize>t << 1) * blockBytes;
        const c1 = c0 + blockBytes;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
        for (let k = 0; k < length; k++) {
          const at = <usize>k << 4;
          const x = v128.load(c0 + at);
          const y = v128.load(c1 + at);
          const q0 = v128.load32_splat(query + at);
          const q1 = v128.load32_splat(query + at + 4);
          const q2 = v128.load32_splat(query + at + 8);
          const q3 = v128.load32_splat(query + at + 12);
          a0 = f32x4.add(a0, f32x4.mul(q0, x));
          b0 = f32x4.add(b0, f32x4.mul(q0, y));
          a1 = f32x4.add(a1, f32x4.mul(q1, x));
          b1 = f32x4.add(b1, f32x4.mul(q1, y));
          a2 = f32x4.add(a2, f32x4.mul(q2, x));
          b2 = f32x4.add(b2, f32x4.mul(q2, y));
          a3 = f32x4.add(a3, f32x4.mul(q3, x));
          b3 = f32x4.add(b3, f32x4.mul(q3, y));
        }
        const cn0 = v128.load(norms + (<usize>t << 5));
        const cn1 = v128.load(norms + (<usize>t << 5) + 16);
        const limit = f32x4.splat(limitSquared);
        const c = t << 3;
        count = emit(a0, b0, cn0, cn1, load<f32>(norms + (<usize>first << 2)), limit, first, c, rows, out, blockCapacity, count);
        count = emit(a1, b1, cn0, cn1, load<f32>(norms + (<usize>first << 2) + 4), limit, first + 1, c, rows, out, blockCapacity, count);
        count = emit(a2, b2, cn0, cn1, load<f32>(norms + (<usize>first << 2) + 8), limit, first + 2, c, rows, out, blockCapacity, count);
        count = emit(a3, b3, cn0, cn1, load<f32>(norms + (<usize>first << 2) + 12), limit, first + 3, c, rows, out, blockCapacity, count);
      }
      store<i32>(counter, count);
    }
  }
}

/** Candidate tiles of 8 rows (4 KB at 128 values) that one pass of query tiles shares: 128 KB. */
const TILE_CHUNK = 32;

/** Appends the pairs of query q with candidates c..c+7 under the limit; returns the new count. */
@inline function emit(
  dotLow: v128, dotHigh: v128, normsLow: v128, normsHigh: v128, queryNorm: f32, limit: v128,
  q: i32, c: i32, rows: i32, pairs: usize, capacity: i32, count: i32,
): i32 {
  const qn = f32x4.splat(queryNorm);
  const minus2 = f32x4.splat(-2);
  const low = f32x4.add(f32x4.add(qn, normsLow), f32x4.mul(minus2, dotLow));
  const high = f32x4.add(f32x4.add(qn, normsHigh), f32x4.mul(minus2, dotHigh));
  const mask = i8x16.bitmask(i8x16.narrow_i16x8_s(
    i16x8.narrow_i32x4_s(f32x4.lt(low, limit), f32x4.lt(high, limit)), i16x8.splat(0),
  ));
  if (mask == 0) return count;
  for (let lane = 0; lane < 8; lane++) {
    const j = c + lane;
    if ((mask >> lane) & 1 && j > q && j < rows) {
      if (count < capacity) {
        store<i32>(pairs + (<usize>count << 3), q);
        store<i32>(pairs + (<usize>count << 3) + 4, j);
      }
      count++;
    }
  }
  return count;
}
