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
  const width = <usize>srcWidth;
  // Two output rows at a time where they share source rows (an enlargement's pairs read the same
  // two; a reduction's neighbours often share the middle one): each shared row is gathered and
  // converted once for both. A pair of the same rows is preferred to a chained one.
  let r = rowStart;
  while (r < rowEnd) {
    const row = rowTable + (<usize>r << 5);
    let mode = SINGLE;
    if (r + 1 < rowEnd) {
      if (sameRows(row, row + 32)) mode = SAME;
      else if (load<i32>(row + 32) == load<i32>(row, 4) && !(r + 2 < rowEnd && sameRows(row + 32, row + 64))) mode = CHAINED;
    }
    const out = dst + <usize>(r * dstWidth);
    if (mode == SAME) groupRows(SAME, src, width, srcPlane, out, <usize>dstWidth, dstPlane, row, groupTable, groups);
    else if (mode == CHAINED) groupRows(CHAINED, src, width, srcPlane, out, <usize>dstWidth, dstPlane, row, groupTable, groups);
    else groupRows(SINGLE, src, width, srcPlane, out, <usize>dstWidth, dstPlane, row, groupTable, groups);
    const rows = mode == SINGLE ? 1 : 2;
    for (let k = 0; k < rows; k++) {
      tailRow(src, width, srcPlane, out + <usize>(k * dstWidth) + (<usize>groups << 2), dstPlane, row + (<usize>k << 5), tailTable, tailColumns);
    }
    r += rows;
  }
}

/** How groupRows takes its rows: one; two that read the same source rows; two whose first's bottom is the second's top. */
const SINGLE = 0;
const SAME = 1;
const CHAINED = 2;

// @ts-ignore: decorator
@inline function sameRows(a: usize, b: usize): bool {
  return load<i64>(a) == load<i64>(b);
}

/** The groups of the row at `row` in the table (and of the next, unless `mode` is SINGLE), all three planes. */
// @ts-ignore: decorator
@inline function groupRows(
  mode: i32, src: usize, width: usize, srcPlane: usize, out: usize, dstWidth: usize, dstPlane: usize, row: usize, groupTable: usize, groups: i32,
): void {
  const top = src + <usize>load<i32>(row) * width;
  const bottom = src + <usize>load<i32>(row, 4) * width;
  // The second row's bottom: the first's for SAME, the row after it for CHAINED.
  const last = mode == CHAINED ? src + <usize>load<i32>(row, 36) * width : bottom;
  // Splats from memory: a load each, where a register splat would be a shuffle in the loop (the engine sinks it there).
  const itb = v128.load32_splat(row + 8);
  const tb = v128.load32_splat(row + 12);
  // The second row's weights (read only when there is one).
  const itb1 = mode == SINGLE ? itb : v128.load32_splat(row + 40);
  const tb1 = mode == SINGLE ? tb : v128.load32_splat(row + 44);
  for (let g = 0; g < groups; g++) {
    const e = groupTable + <usize>g * RESIZE_GROUP_BYTES;
    const base = <usize>load<i32>(e);
    const left = v128.load(e, 16);
    const right = v128.load(e, 64);
    const ilr = v128.load(e, 32);
    const lr = v128.load(e, 48);
    // Each weight one f32 product: itb*ilr, itb*lr, tb*ilr, tb*lr, and the second row's.
    const tl = f32x4.mul(itb, ilr), tr = f32x4.mul(itb, lr), bl = f32x4.mul(tb, ilr), br = f32x4.mul(tb, lr);
    const tl1 = f32x4.mul(itb1, ilr), tr1 = f32x4.mul(itb1, lr), bl1 = f32x4.mul(tb1, ilr), br1 = f32x4.mul(tb1, lr);
    const o = out + (<usize>g << 2);
    // The planes written out: a loop would have the engine recompute the weights in it.
    groupPlane(mode, top + base, bottom + base, last + base, left, right, tl, tr, bl, br, tl1, tr1, bl1, br1, o, dstWidth);
    groupPlane(mode, top + srcPlane + base, bottom + srcPlane + base, last + srcPlane + base, left, right, tl, tr, bl, br, tl1, tr1, bl1, br1, o + dstPlane, dstWidth);
    groupPlane(mode, top + 2 * srcPlane + base, bottom + 2 * srcPlane + base, last + 2 * srcPlane + base, left, right, tl, tr, bl, br, tl1, tr1, bl1, br1, o + 2 * dstPlane, dstWidth);
  }
}

/** One plane's group: the first row's four values at o and, unless SINGLE, the second's at o + dstWidth (its bottom row at n when CHAINED). */
// @ts-ignore: decorator
@inline function groupPlane(
  mode: i32, t: usize, b: usize, n: usize, left: v128, right: v128,
  tl: v128, tr: v128, bl: v128, br: v128, tl1: v128, tr1: v128, bl1: v128, br1: v128, o: usize, dstWidth: usize,
): void {
  const top = v128.load(t);
  const bottom = v128.load(b);
  const tLeft = convert(gather(top, left));
  const tRight = convert(gather(top, right));
  const bLeft = convert(gather(bottom, left));
  const bRight = convert(gather(bottom, right));
  storeBytes(o, blend(tLeft, tRight, bLeft, bRight, tl, tr, bl, br));
  if (mode == SAME) {
    storeBytes(o + dstWidth, blend(tLeft, tRight, bLeft, bRight, tl1, tr1, bl1, br1));
  } else if (mode == CHAINED) {
    const next = v128.load(n);
    storeBytes(o + dstWidth, blend(bLeft, bRight, convert(gather(next, left)), convert(gather(next, right)), tl1, tr1, bl1, br1));
  }
}

/** Four output values from the converted samples and their weights, summed in the stated order. */
// @ts-ignore: decorator
@inline function blend(tLeft: v128, tRight: v128, bLeft: v128, bRight: v128, tl: v128, tr: v128, bl: v128, br: v128): v128 {
  const v = f32x4.add(f32x4.mul(tl, tLeft), f32x4.mul(tr, tRight));
  return f32x4.add(f32x4.add(v, f32x4.mul(bl, bLeft)), f32x4.mul(br, bRight));
}

/** The tail columns of one output row, in f64. */
// @ts-ignore: decorator
@inline function tailRow(src: usize, width: usize, srcPlane: usize, out: usize, dstPlane: usize, row: usize, tailTable: usize, tailColumns: i32): void {
  const top = src + <usize>load<i32>(row) * width;
  const bottom = src + <usize>load<i32>(row, 4) * width;
  const tbd = load<f64>(row, 16);
  const itbd = 1 - tbd;
  for (let j = 0; j < tailColumns; j++) {
    const e = tailTable + (<usize>j << 4);
    const left = <usize>load<i32>(e);
    const right = <usize>load<i32>(e, 4);
    const lr = load<f64>(e, 8);
    const ilr = 1 - lr;
    for (let p: usize = 0; p < 3; p++) {
      const t = top + p * srcPlane;
      const b = bottom + p * srcPlane;
      const v = itbd * (ilr * <f64>load<u8>(t + left) + lr * <f64>load<u8>(t + right))
        + tbd * (ilr * <f64>load<u8>(b + left) + lr * <f64>load<u8>(b + right));
      store<u8>(out + <usize>j + p * dstPlane, <u8><i32>v);
    }
  }
}

/** Byte lanes (0..255 in the low byte of each 32-bit lane, zeros above) as f32: a signed conversion, one instruction on x64. */
// @ts-ignore: decorator
@inline function convert(lanes: v128): v128 {
  return f32x4.convert_i32x4_s(lanes);
}

/** The four values (0 <= v < 256), truncated, as four bytes at o. */
// @ts-ignore: decorator
@inline function storeBytes(o: usize, v: v128): void {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // Truncation is exact, and each lane's low byte is its value: one byte shuffle (not two packs) gathers
    // them; the other bytes' indices (0x80) may give anything, as they are not stored.
    const whole = i32x4.relaxed_trunc_f32x4_s(v);
    v128.store32_lane(o, i8x16.relaxed_swizzle(whole, i8x16(0, 4, 8, 12, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128)), 0);
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
