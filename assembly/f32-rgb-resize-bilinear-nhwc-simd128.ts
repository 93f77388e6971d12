import { RESIZE_GROUP_BYTES } from './u8-planar-resize-bilinear-simd128';

/**
 * Bilinear resampling of a float RGB image (NHWC: three f32 a pixel) into
 * another, each a region of a wider tensor or an image of its own (rows
 * `srcRowBytes` and `dstRowBytes` apart), with every sample position and
 * weight read from the tables of `u8_planar_resize_bilinear__simd128` (same
 * layout, RESIZE_GROUP_BYTES a group), so that the caller decides how they are rounded. Output row r
 * reads source rows top and bottom with weights itb = 1 - tb and tb; output
 * columns come first in groups of 4, then one by one ("tail" columns); each
 * channel of a pixel takes the same weights:
 *
 *   group lane k: left = base + offset[k], lr and ilr = 1 - lr as given,
 *     out = ((itb*ilr * T[left] + itb*lr * T[left+1]) + tb*ilr * B[left]) + tb*lr * B[left+1]
 *     in f32, each weight one f32 product;
 *   tail column: left, right and lr (f64) as given, lrf = f32(lr), ilrf = f32(1 - lrf),
 *     upper = ilrf * T[left] + lrf * T[right] and lower alike, in f32;
 *     out = f32((1 - tb) * upper + tb * lower) in f64 (tb the row's f64).
 *
 * Each pixel is read as four floats: the float after a source pixel's three
 * must be readable. Only each output pixel's three floats are written.
 *
 * Work: output rows [rowStart, rowEnd).
 */
export function f32_rgb_resize_bilinear_nhwc__simd128(
  src: usize, srcRowBytes: i32, dst: usize, dstRowBytes: i32,
  rowTable: usize, groupTable: usize, groups: i32, tailTable: usize, tailColumns: i32, rowStart: i32, rowEnd: i32,
): void {
  for (let r = rowStart; r < rowEnd; r++) {
    const row = rowTable + (<usize>r << 5);
    const top = src + <usize>load<i32>(row) * <usize>srcRowBytes;
    const bottom = src + <usize>load<i32>(row, 4) * <usize>srcRowBytes;
    const itb = f32x4.splat(load<f32>(row, 8));
    const tb = f32x4.splat(load<f32>(row, 12));
    let out = dst + <usize>r * <usize>dstRowBytes;
    // A group's last pixel stores four floats too where a pixel of the row follows it (its first float written over next);
    // the row's last group without tail columns stores three.
    const wholeStores = tailColumns > 0 || groups == 0 ? groups : groups - 1;
    for (let g = 0; g < wholeStores; g++, out += 48) {
      v128.store(out + 36, blendGroup(groupTable + <usize>g * RESIZE_GROUP_BYTES, top, bottom, itb, tb, out));
    }
    if (wholeStores < groups) {
      const last = blendGroup(groupTable + <usize>wholeStores * RESIZE_GROUP_BYTES, top, bottom, itb, tb, out);
      v128.store64_lane(out + 36, last, 0);
      v128.store32_lane(out + 44, last, 2);
      out += 48;
    }
    const tbd = load<f64>(row, 16);
    const itbd = 1 - tbd;
    for (let j = 0; j < tailColumns; j++, out += 12) {
      const e = tailTable + (<usize>j << 4);
      const left = <usize>load<i32>(e) * 12;
      const right = <usize>load<i32>(e, 4) * 12;
      const lr = <f32>load<f64>(e, 8);
      const ilr: f32 = 1 - lr;
      for (let p: usize = 0; p < 12; p += 4) {
        const upper = ilr * load<f32>(top + left + p) + lr * load<f32>(top + right + p);
        const lower = ilr * load<f32>(bottom + left + p) + lr * load<f32>(bottom + right + p);
        store<f32>(out + p, <f32>(itbd * <f64>upper + tbd * <f64>lower));
      }
    }
  }
}

/** Stores a group's first three pixels (four floats each, the fourth written over by the next pixel) at `out`; returns its last pixel (lanes 0-2). */
// @ts-ignore: decorator
@inline function blendGroup(e: usize, top: usize, bottom: usize, itb: v128, tb: v128, out: usize): v128 {
  const base = <usize>load<i32>(e) * 12;
  const ilr = v128.load(e, 32);
  const lr = v128.load(e, 48);
  const tl = f32x4.mul(itb, ilr);
  const tr = f32x4.mul(itb, lr);
  const bl = f32x4.mul(tb, ilr);
  const br = f32x4.mul(tb, lr);
  v128.store(out, blendPixel(top + base + <usize>load<u8>(e, 16) * 12, bottom + base + <usize>load<u8>(e, 16) * 12,
    i32x4.shuffle(tl, tl, 0, 0, 0, 0), i32x4.shuffle(tr, tr, 0, 0, 0, 0), i32x4.shuffle(bl, bl, 0, 0, 0, 0), i32x4.shuffle(br, br, 0, 0, 0, 0)));
  v128.store(out + 12, blendPixel(top + base + <usize>load<u8>(e, 20) * 12, bottom + base + <usize>load<u8>(e, 20) * 12,
    i32x4.shuffle(tl, tl, 1, 1, 1, 1), i32x4.shuffle(tr, tr, 1, 1, 1, 1), i32x4.shuffle(bl, bl, 1, 1, 1, 1), i32x4.shuffle(br, br, 1, 1, 1, 1)));
  v128.store(out + 24, blendPixel(top + base + <usize>load<u8>(e, 24) * 12, bottom + base + <usize>load<u8>(e, 24) * 12,
    i32x4.shuffle(tl, tl, 2, 2, 2, 2), i32x4.shuffle(tr, tr, 2, 2, 2, 2), i32x4.shuffle(bl, bl, 2, 2, 2, 2), i32x4.shuffle(br, br, 2, 2, 2, 2)));
  return blendPixel(top + base + <usize>load<u8>(e, 28) * 12, bottom + base + <usize>load<u8>(e, 28) * 12,
    i32x4.shuffle(tl, tl, 3, 3, 3, 3), i32x4.shuffle(tr, tr, 3, 3, 3, 3), i32x4.shuffle(bl, bl, 3, 3, 3, 3), i32x4.shuffle(br, br, 3, 3, 3, 3));
}

/** One output pixel (lanes 0-2) from its left source pixel in the top row (t) and the bottom row (b), each weight in every lane. */
// @ts-ignore: decorator
@inline function blendPixel(t: usize, b: usize, tl: v128, tr: v128, bl: v128, br: v128): v128 {
  let v = f32x4.add(f32x4.mul(tl, v128.load(t)), f32x4.mul(tr, v128.load(t, 12)));
  v = f32x4.add(v, f32x4.mul(bl, v128.load(b)));
  return f32x4.add(v, f32x4.mul(br, v128.load(b, 12)));
}
