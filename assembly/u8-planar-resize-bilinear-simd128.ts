/**
 * Bilinear resampling of a three-plane 8-bit image, with every sample
 * position and weight read from tables (so the caller decides how they are
 * rounded). Output row r reads source rows top and bottom with weights
 * itb = 1 - tb and tb; output columns come first in groups of 4, then one by
 * one ("tail" columns):
 *
 *   group lane k: left = base + offset[k], lr and ilr = 1 - lr as given,
 *     out = trunc(((itb*ilr * T[left] + itb*lr * T[left+1]) + tb*ilr * B[left]) + tb*lr * B[left+1])
 *     in f32, each weight one f32 product;
 *   tail column: left, right and lr as given,
 *     out = trunc((1 - tb) * ((1 - lr) * T[left] + lr * T[right]) + tb * ((1 - lr) * B[left] + lr * B[right]))
 *     in f64.
 *
 * Tables: rows 32 bytes each (top i32, bottom i32, itb f32, tb f32, tb f64);
 * groups 80 bytes each (base i32 at 0; at 16 a swizzle mask whose byte 4k is
 * offset[k] <= 14 and whose other bytes are 0x80; ilr f32x4 at 32; lr f32x4
 * at 48; at 64 the mask of the right neighbours, offset[k] + 1); tail columns 16 bytes each (left i32, right i32, lr f64).
 * Source planes are `srcWidth` bytes a row and `srcPlaneBytes` apart, and 16
 * bytes after each group's base must be readable.
 *
 * Work: output rows [rowStart, rowEnd).
 */
/** A column group's bytes in the tables (src/face/bilinear-resize.ts writes them). */
export const RESIZE_GROUP_BYTES: usize = 80;

export function u8_planar_resize_bilinear__simd128(
  src: usize, srcWidth: i32, srcPlaneBytes: i32, dst: usize, dstWidth: i32, dstPlaneBytes: i32,
  rowTable: usize, groupTable: usize, groups: i32, tailTable: usize, tailColumns: i32, rowStart: i32, rowEnd: i32,
): void {
  const srcPlane = <usize>srcPlaneBytes;
  const dstPlane = <usize>dstPlaneBytes;
  for (let r = rowStart; r < rowEnd; r++) {
    const row = rowTable + (<usize>r << 5);
    const top = src + <usize>(load<i32>(row) * srcWidth);
    const bottom = src + <usize>(load<i32>(row, 4) * srcWidth);
    const itb = f32x4.splat(load<f32>(row, 8));
    const tb = f32x4.splat(load<f32>(row, 12));
    const out = dst + <usize>(r * dstWidth);
    for (let g = 0; g < groups; g++) {
      const e = groupTable + <usize>g * RESIZE_GROUP_BYTES;
      const base = <usize>load<i32>(e);
      const left = v128.load(e, 16);
      const right = v128.load(e, 64);
      const ilr = v128.load(e, 32);
      const lr = v128.load(e, 48);
      const tlf = f32x4.mul(itb, ilr);
      const trf = f32x4.mul(itb, lr);
      const blf = f32x4.mul(tb, ilr);
      const brf = f32x4.mul(tb, lr);
      const o = out + (<usize>g << 2);
      blendGroup(top + base, bottom + base, left, right, tlf, trf, blf, brf, o);
      blendGroup(top + srcPlane + base, bottom + srcPlane + base, left, right, tlf, trf, blf, brf, o + dstPlane);
      blendGroup(top + 2 * srcPlane + base, bottom + 2 * srcPlane + base, left, right, tlf, trf, blf, brf, o + 2 * dstPlane);
    }
    const tbd = load<f64>(row, 16);
    const itbd = 1 - tbd;
    for (let j = 0; j < tailColumns; j++) {
      const e = tailTable + (<usize>j << 4);
      const left = <usize>load<i32>(e);
      const right = <usize>load<i32>(e, 4);
      const lr = load<f64>(e, 8);
      const ilr = 1 - lr;
      const o = out + <usize>(groups * 4 + j);
      for (let p: usize = 0; p < 3; p++) {
        const t = top + p * srcPlane;
        const b = bottom + p * srcPlane;
        const v = itbd * (ilr * <f64>load<u8>(t + left) + lr * <f64>load<u8>(t + right))
          + tbd * (ilr * <f64>load<u8>(b + left) + lr * <f64>load<u8>(b + right));
        store<u8>(o + p * dstPlane, <u8><i32>v);
      }
    }
  }
}

/** Four output pixels of one plane from the 16 source bytes at t (top row) and b (bottom row). */
// @ts-ignore: decorator
@inline function blendGroup(t: usize, b: usize, left: v128, right: v128, tlf: v128, trf: v128, blf: v128, brf: v128, o: usize): void {
  const top = v128.load(t);
  const bottom = v128.load(b);
  // Signed conversions are single instructions on x64 (the values are 0..255).
  let v = f32x4.add(
    f32x4.mul(tlf, f32x4.convert_i32x4_s(gather(top, left))),
    f32x4.mul(trf, f32x4.convert_i32x4_s(gather(top, right))),
  );
  v = f32x4.add(v, f32x4.mul(blf, f32x4.convert_i32x4_s(gather(bottom, left))));
  v = f32x4.add(v, f32x4.mul(brf, f32x4.convert_i32x4_s(gather(bottom, right))));
  if (ASC_FEATURE_RELAXED_SIMD) {
    // 0 <= v < 256: truncation is exact, and packing with saturation keeps each byte.
    const whole = i32x4.relaxed_trunc_f32x4_s(v);
    const halves = i16x8.narrow_i32x4_s(whole, whole);
    v128.store32_lane(o, i8x16.narrow_i16x8_u(halves, halves), 0);
    return;
  }
  // trunc(v) + 2^23 holds the integer in its low mantissa bits: byte 0 of each lane.
  const bits = f32x4.add(f32x4.trunc(v), f32x4.splat(8388608));
  v128.store32_lane(o, i8x16.shuffle(bits, bits, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12), 0);
}

/**
 * Bytes of `row` at the mask's indices (each 0..15, or 0x80 for 0): one
 * shuffle under relaxed SIMD, whose result for such indices is the same on
 * every engine (x64's pshufb and Arm's tbl both give 0 for 0x80).
 */
// @ts-ignore: decorator
@inline function gather(row: v128, mask: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i8x16.relaxed_swizzle(row, mask);
  return i8x16.swizzle(row, mask);
}
