// The machine's WebAssembly SIMD peak: 12 independent chains of
// `acc = acc * scale + offset` on f32x4, nothing but arithmetic in the loop
// (no loads or stores). Each step of a chain is 8 FLOP (4 lanes, a multiply
// and an add). Built twice by bench/peak/measure-peak.mjs: with plain SIMD
// (f32x4.mul then f32x4.add, as the engine's plain build does) and with
// relaxed SIMD (one f32x4.relaxed_madd).
//
// Why 12 chains: a chain's next step waits for its previous one (a multiply
// plus an add, ~8 cycles), so only many chains in flight keep every vector
// unit busy; and 12 accumulators plus the two constants still fit in the 15
// xmm registers V8 allocates on x86-64 (more spill to the stack, which
// measured slower on this machine).

export const CHAINS: i32 = 12;
export const FLOP_PER_CHAIN_STEP: i32 = 8;

/** acc * scale + offset: fused where the build enables relaxed SIMD. */
// @ts-ignore: decorator
@inline function muladd(acc: v128, scale: v128, offset: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(acc, scale, offset);
  return f32x4.add(f32x4.mul(acc, scale), offset);
}

/**
 * Runs `iterations` steps of every chain. With 0 < scale < 1 the values
 * converge to offset / (1 - scale): no overflow, no denormals. Returns the
 * sum of all lanes, so that no chain is dead code.
 */
export function f32_peak_probe(iterations: i32, scale: f32, offset: f32): f32 {
  const s = f32x4.splat(scale);
  const o = f32x4.splat(offset);
  // Distinct starting values: identical chains could be merged by the optimizer.
  let a0 = f32x4.splat(offset * 1.0), a1 = f32x4.splat(offset * 2.0), a2 = f32x4.splat(offset * 3.0);
  let a3 = f32x4.splat(offset * 4.0), a4 = f32x4.splat(offset * 5.0), a5 = f32x4.splat(offset * 6.0);
  let a6 = f32x4.splat(offset * 7.0), a7 = f32x4.splat(offset * 8.0), a8 = f32x4.splat(offset * 9.0);
  let a9 = f32x4.splat(offset * 10.0), a10 = f32x4.splat(offset * 11.0), a11 = f32x4.splat(offset * 12.0);
  for (let i = 0; i < iterations; i++) {
    a0 = muladd(a0, s, o);
    a1 = muladd(a1, s, o);
    a2 = muladd(a2, s, o);
    a3 = muladd(a3, s, o);
    a4 = muladd(a4, s, o);
    a5 = muladd(a5, s, o);
    a6 = muladd(a6, s, o);
    a7 = muladd(a7, s, o);
    a8 = muladd(a8, s, o);
    a9 = muladd(a9, s, o);
    a10 = muladd(a10, s, o);
    a11 = muladd(a11, s, o);
  }
  const sum = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)),
  );
  return f32x4.extract_lane(sum, 0) + f32x4.extract_lane(sum, 1) + f32x4.extract_lane(sum, 2) + f32x4.extract_lane(sum, 3);
}
