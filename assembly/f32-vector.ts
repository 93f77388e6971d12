// Helpers shared by the SIMD kernels.

/** a*b + c: fused where the build enables relaxed SIMD, separate multiply and add otherwise. */
// @ts-ignore: decorator
@inline export function f32x4_muladd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// @ts-ignore: decorator
@inline export function f32x4_relu_if(v: v128, relu: bool): v128 {
  // v < 0 ? 0 : v: one maxps, where V8 lowers f32x4.max (exact for NaNs and signed zeros) to 8 instructions. NaN
  // stays NaN, as with max; -0 stays -0, as dlib's relu (lowerbound: v >= 0 ? v : 0) keeps it.
  return relu ? f32x4.pmax(v, f32x4.splat(0)) : v;
}

/** Stores the first `count` (0..4) lanes of `v` at `ptr`. */
// @ts-ignore: decorator
@inline export function f32x4_store_first(ptr: usize, v: v128, count: i32): void {
  if (count >= 4) {
    v128.store(ptr, v);
    return;
  }
  if (count > 0) store<f32>(ptr, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(ptr, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(ptr, f32x4.extract_lane(v, 2), 8);
}

/** Stores three vectors from `ptr` on, only their first `count` floats (all when count >= 12). */
// @ts-ignore: decorator
@inline export function f32x4x3_store_first(ptr: usize, a0: v128, a1: v128, a2: v128, count: i32): void {
  if (count >= 12) {
    v128.store(ptr, a0);
    v128.store(ptr, a1, 16);
    v128.store(ptr, a2, 32);
    return;
  }
  f32x4_store_first(ptr, a0, count);
  if (count > 4) f32x4_store_first(ptr + 16, a1, count - 4);
  if (count > 8) f32x4_store_first(ptr + 32, a2, count - 8);
}

/** Stores four vectors from `ptr` on, only their first `count` floats (all when count >= 16). */
// @ts-ignore: decorator
@inline export function f32x4x4_store_first(ptr: usize, a0: v128, a1: v128, a2: v128, a3: v128, count: i32): void {
  if (count >= 16) {
    v128.store(ptr, a0);
    v128.store(ptr, a1, 16);
    v128.store(ptr, a2, 32);
    v128.store(ptr, a3, 48);
    return;
  }
  f32x4_store_first(ptr, a0, count);
  if (count > 4) f32x4_store_first(ptr + 16, a1, count - 4);
  if (count > 8) f32x4_store_first(ptr + 32, a2, count - 8);
  if (count > 12) f32x4_store_first(ptr + 48, a3, count - 12);
}

/** c - a*b: fused where the build enables relaxed SIMD, separate multiply and subtract otherwise. */
// @ts-ignore: decorator
@inline export function f32x4_mulsub(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}
