import { f32x4_muladd } from './f32-vector';

/**
 * Resamples an 8-bit RGB or RGBA image (`pixelStride` 3 or 4 bytes; alpha is
 * ignored) through an affine map, to RGB: output pixel (c, r) is the bilinear
 * interpolation at source point (m00 c + m01 r + b0, m10 c + m11 r + b1),
 * computed in double as (1 - fy) ((1 - fx) tl + fx tr) + fy ((1 - fx) bl + fx br)
 * and truncated to 8 bits; black where the point's 2x2 neighbourhood is not
 * all inside the source. The result is that double computation's, bit for bit.
 *
 * How, fast: four pixels at a time in f32 (lerps, within 6e-5 of the double
 * value), each value truncated with a margin on either side. Where the two
 * truncations differ, the group is done again in double, one pixel at a time,
 * unless that value's four samples are equal: then both computations give the
 * sample exactly (for 1 - fx exact, i.e. x >= 1, and the same for y). Groups
 * near the source's edges go the double way too.
 *
 * Work: output rows [rowStart, rowEnd).
 */
export function u8_rgb_warp_affine_bilinear__simd128(
  src: usize, srcWidth: i32, srcHeight: i32, srcRowBytes: i32, pixelStride: i32, dst: usize, dstWidth: i32,
  m00: f64, m01: f64, m10: f64, m11: f64, b0: f64, b1: f64, rowStart: i32, rowEnd: i32,
): void {
  const step = <usize>pixelStride;
  const rowBytes = <usize>srcRowBytes;
  // The fast path takes 1 <= floor(x) <= srcWidth - 2, and the same for y.
  const one = i32x4.splat(1);
  const lastLeft = i32x4.splat(srcWidth - 2);
  const lastTop = i32x4.splat(srcHeight - 2);
  const rowBytesV = i32x4.splat(srcRowBytes);
  // Each sample is read as the 4 bytes ending with its blue one: R, G, B are bytes 1..3 of a lane.
  const srcV = i32x4.splat(<i32>src - 1);
  const stepV = i32x4.splat(pixelStride);
  const m00V = f64x2.splat(m00);
  const m10V = f64x2.splat(m10);
  const b0V = f64x2.splat(b0);
  const b1V = f64x2.splat(b1);
  const four = f64x2.splat(4);
  const margin = f32x4.splat(1.0 / 4096);
  const groups = dstWidth & ~3;
  for (let r = rowStart; r < rowEnd; r++) {
    const out = dst + <usize>r * <usize>dstWidth * 3;
    const rx = f64x2.splat(m01 * <f64>r);
    const ry = f64x2.splat(m11 * <f64>r);
    let c01 = f64x2(0, 1);
    let c23 = f64x2(2, 3);
    let c = 0;
    for (; c < groups; c += 4) {
      // dlib's points, in its order of operations: (m00 c + m01 r) + b0.
      const x01 = f64x2.add(f64x2.add(f64x2.mul(m00V, c01), rx), b0V);
      const x23 = f64x2.add(f64x2.add(f64x2.mul(m00V, c23), rx), b0V);
      const y01 = f64x2.add(f64x2.add(f64x2.mul(m10V, c01), ry), b1V);
      const y23 = f64x2.add(f64x2.add(f64x2.mul(m10V, c23), ry), b1V);
      c01 = f64x2.add(c01, four);
      c23 = f64x2.add(c23, four);
      const fx01 = f64x2.floor(x01);
      const fx23 = f64x2.floor(x23);
      const fy01 = f64x2.floor(y01);
      const fy23 = f64x2.floor(y23);
      const left = i32x4_trunc_pair(fx01, fx23);
      const top = i32x4_trunc_pair(fy01, fy23);
      const wx = f32x4_demote_pair(f64x2.sub(x01, fx01), f64x2.sub(x23, fx23));
      const wy = f32x4_demote_pair(f64x2.sub(y01, fy01), f64x2.sub(y23, fy23));
      const o = out + <usize>c * 3;
      const outside = v128.or(
        v128.or(i32x4.lt_s(left, one), i32x4.gt_s(left, lastLeft)),
        v128.or(i32x4.lt_s(top, one), i32x4.gt_s(top, lastTop)),
      );
      if (!v128.any_true(outside)) {
        const at = i32x4.add(i32x4.add(i32x4.mul(top, rowBytesV), i32x4.mul(left, stepV)), srcV);
        if (blendGroup(at, step, rowBytes, wx, wy, margin, o)) continue;
      }
      for (let k = 0; k < 4; k++) warpPixel(src, srcWidth, srcHeight, rowBytes, step, m00, m01, m10, m11, b0, b1, c + k, r, o + <usize>k * 3);
    }
    for (; c < dstWidth; c++) warpPixel(src, srcWidth, srcHeight, rowBytes, step, m00, m01, m10, m11, b0, b1, c, r, out + <usize>c * 3);
  }
}

/**
 * Four pixels whose 2x2 samples start at the lanes of `at` (minus one byte), with weights wx and
 * wy, stored at o as 12 RGB bytes; false (nothing stored) where a value's truncation is not sure.
 */
// @ts-ignore: decorator
@inline function blendGroup(at: v128, step: usize, rowBytes: usize, wx: v128, wy: v128, margin: v128, o: usize): bool {
  const a0 = <usize>i32x4.extract_lane(at, 0);
  const a1 = <usize>i32x4.extract_lane(at, 1);
  const a2 = <usize>i32x4.extract_lane(at, 2);
  const a3 = <usize>i32x4.extract_lane(at, 3);
  const tl = gather(a0, a1, a2, a3);
  const tr = gather(a0 + step, a1 + step, a2 + step, a3 + step);
  const bl = gather(a0 + rowBytes, a1 + rowBytes, a2 + rowBytes, a3 + rowBytes);
  const br = gather(a0 + rowBytes + step, a1 + rowBytes + step, a2 + rowBytes + step, a3 + rowBytes + step);
  const rH = blendChannel(tl, tr, bl, br, wx, wy, v128(1, -1, -1, -1, 5, -1, -1, -1, 9, -1, -1, -1, 13, -1, -1, -1));
  const gH = blendChannel(tl, tr, bl, br, wx, wy, v128(2, -1, -1, -1, 6, -1, -1, -1, 10, -1, -1, -1, 14, -1, -1, -1));
  const bH = blendChannel(tl, tr, bl, br, wx, wy, v128(3, -1, -1, -1, 7, -1, -1, -1, 11, -1, -1, -1, 15, -1, -1, -1));
  // Each value truncated above and below by the margin, packed R0..R3 G0..G3 B0..B3.
  const high = packPlanar(trunc(f32x4.add(rH, margin)), trunc(f32x4.add(gH, margin)), trunc(f32x4.add(bH, margin)));
  const low = packPlanar(trunc(f32x4.sub(rH, margin)), trunc(f32x4.sub(gH, margin)), trunc(f32x4.sub(bH, margin)));
  // A channel whose four samples are equal is exact either way.
  const differing = v128.or(v128.or(v128.xor(tl, tr), v128.xor(tl, bl)), v128.xor(tl, br));
  const flat = i8x16.eq(i8x16.swizzle(differing, v128(1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, -1, -1, -1, -1)), i8x16.splat(0));
  if (v128.any_true(v128.andnot(v128.xor(high, low), flat))) return false;
  const rgb = i8x16.shuffle(high, high, 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 13, 14, 15);
  v128.store64_lane(o, rgb, 0);
  v128.store32_lane(o, rgb, 2, 8);
  return true;
}

/** The 4 bytes at each address, one lane each. */
// @ts-ignore: decorator
@inline function gather(a0: usize, a1: usize, a2: usize, a3: usize): v128 {
  return v128.load32_lane(a3, v128.load32_lane(a2, v128.load32_lane(a1, v128.load32_zero(a0), 1), 2), 3);
}

/** One channel (picked by `lanes`) of four pixels, as f32 lerps: exact where samples are equal. */
// @ts-ignore: decorator
@inline function blendChannel(tl: v128, tr: v128, bl: v128, br: v128, wx: v128, wy: v128, lanes: v128): v128 {
  // Signed conversions are single instructions on x64 (the values are 0..255).
  const tlF = f32x4.convert_i32x4_s(i8x16.swizzle(tl, lanes));
  const blF = f32x4.convert_i32x4_s(i8x16.swizzle(bl, lanes));
  const top = f32x4_muladd(wx, f32x4.sub(f32x4.convert_i32x4_s(i8x16.swizzle(tr, lanes)), tlF), tlF);
  const bottom = f32x4_muladd(wx, f32x4.sub(f32x4.convert_i32x4_s(i8x16.swizzle(br, lanes)), blF), blF);
  return f32x4_muladd(wy, f32x4.sub(bottom, top), top);
}

/** Truncation toward zero of values in (-1, 256). */
// @ts-ignore: decorator
@inline function trunc(v: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_trunc_f32x4_s(v);
  // trunc(v) + 2^23 holds the integer in its low mantissa bits (3 instructions; the saturating
  // conversion takes 7 on x64).
  return i32x4.sub(f32x4.add(f32x4.trunc(v), f32x4.splat(8388608)), i32x4.splat(0x4b000000));
}

/** Three i32x4 of 0..255 as bytes R0..R3 G0..G3 B0..B3 (then B0..B3 again). */
// @ts-ignore: decorator
@inline function packPlanar(r: v128, g: v128, b: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(r, g), i16x8.narrow_i32x4_u(b, b));
}

/** floor()s of four points, two per f64x2, as i32 lanes (out of range: outside any image). */
// @ts-ignore: decorator
@inline function i32x4_trunc_pair(a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i64x2.shuffle(i32x4.relaxed_trunc_f64x2_s_zero(a), i32x4.relaxed_trunc_f64x2_s_zero(b), 0, 2);
  return i64x2.shuffle(i32x4.trunc_sat_f64x2_s_zero(a), i32x4.trunc_sat_f64x2_s_zero(b), 0, 2);
}

// @ts-ignore: decorator
@inline function f32x4_demote_pair(a: v128, b: v128): v128 {
  return i64x2.shuffle(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 2);
}

/** One pixel as dlib computes it, in double, from the exact point. */
// @ts-ignore: decorator
@inline function warpPixel(
  src: usize, srcWidth: i32, srcHeight: i32, rowBytes: usize, step: usize,
  m00: f64, m01: f64, m10: f64, m11: f64, b0: f64, b1: f64, c: i32, r: i32, o: usize,
): void {
  const x = m00 * <f64>c + m01 * <f64>r + b0;
  const y = m10 * <f64>c + m11 * <f64>r + b1;
  // floor(x) >= 0 and floor(x) + 1 < width, as comparisons of x itself (NaN fails them too).
  if (!(x >= 0 && y >= 0 && x < <f64>(srcWidth - 1) && y < <f64>(srcHeight - 1))) {
    store<u8>(o, 0);
    store<u8>(o, 0, 1);
    store<u8>(o, 0, 2);
    return;
  }
  const left = Math.floor(x);
  const top = Math.floor(y);
  const fx = x - left;
  const fy = y - top;
  const tl = src + <usize>(<i32>top) * rowBytes + <usize>(<i32>left) * step;
  const bl = tl + rowBytes;
  for (let k: usize = 0; k < 3; k++) {
    const value = (1 - fy) * ((1 - fx) * <f64>load<u8>(tl + k) + fx * <f64>load<u8>(tl + step + k))
      + fy * ((1 - fx) * <f64>load<u8>(bl + k) + fx * <f64>load<u8>(bl + step + k));
    store<u8>(o + k, <u8><i32>value);
  }
}
