// A JPEG's decoded planes to RGBA, as libjpeg-turbo's defaults make it:
// chroma brought to full size by its "fancy" (triangle filter) upsampling
// (jdsample.c: h2v1, h2v2 and h1v2, with their alternating +1/+2 and +8/+7
// biases, h1v2's +1/+2 by rows, and the edge samples repeated), then jdcolor.c's YCbCr->RGB with
// its 16-bit fixed-point tables, here as arithmetic: FIX(1.40200) = 91881,
// FIX(1.77200) = 116130, FIX(0.71414) = 46802, FIX(0.34414) = 22554,
// rounded with ONE_HALF and clamped to 0..255.
//
// The frame descriptor (i32 fields, written by the caller):
//   0 y plane, 4 y stride, 8 cb plane, 12 cr plane, 16 chroma stride,
//   20 chroma width, 24 chroma height (the components' downsampled size,
//   whose last row and column are repeated past the edge), 28 h shift,
//   32 v shift (1: chroma is half as wide / high), 36 width, 40 output,
//   44 scratch: 8 * chroma width + 512 bytes, 16-aligned.

/** 3 * near + far (or the one row, times 4, when there is no vertical upsampling), with one sample repeated at each end. */
// @ts-ignore: decorator
@inline
function columnSums(near: usize, far: usize, width: i32, vertical: bool, sums: usize): void {
  let x = 0;
  if (vertical) {
    for (; x < width; x += 8) {
      const n = i16x8.extend_low_i8x16_u(v128.load64_zero(near + <usize>x));
      const f = i16x8.extend_low_i8x16_u(v128.load64_zero(far + <usize>x));
      v128.store(sums + (<usize>x << 1), i16x8.add(i16x8.add(i16x8.shl(n, 1), n), f));
    }
  } else {
    for (; x < width; x += 8) {
      const n = i16x8.extend_low_i8x16_u(v128.load64_zero(near + <usize>x));
      v128.store(sums + (<usize>x << 1), i16x8.shl(n, 2));
    }
  }
  store<i16>(sums - 2, load<i16>(sums));
  store<i16>(sums + (<usize>width << 1), load<i16>(sums + (<usize>(width - 1) << 1)));
}

/** One chroma row of column sums (3 * near + far) to samples: (sum + bias) >> 2, 16 samples a step, the last past the row's end. */
// @ts-ignore: decorator
@inline
function verticalRow(sums: usize, width: i32, bias: i16, out: usize): void {
  const b = i16x8.splat(bias);
  for (let x = 0; x < width; x += 16) {
    const p = sums + (<usize>x << 1);
    const lo = i16x8.shr_u(i16x8.add(v128.load(p), b), 2);
    const hi = i16x8.shr_u(i16x8.add(v128.load(p, 16), b), 2);
    v128.store(out + <usize>x, i8x16.narrow_i16x8_u(lo, hi));
  }
}

/**
 * One chroma row upsampled to twice its width from its column sums: each
 * output 3/4 its own sum and 1/4 its neighbour's, with libjpeg's biases
 * (8 and 7 after vertical upsampling; horizontal only, with sums of 4 *
 * sample, 4 and 8, which is its +1 and +2 times 4).
 */
// @ts-ignore: decorator
@inline
function upsampleRow(sums: usize, width: i32, evenBias: i16, oddBias: i16, out: usize): void {
  const even = i16x8.splat(evenBias);
  const odd = i16x8.splat(oddBias);
  for (let x = 0; x < width; x += 8) {
    const p = sums + (<usize>x << 1);
    const c = v128.load(p);
    const c3 = i16x8.add(i16x8.shl(c, 1), c);
    const left = v128.load(p - 2);
    const right = v128.load(p + 2);
    const e = i16x8.shr_u(i16x8.add(i16x8.add(c3, left), even), 4);
    const o = i16x8.shr_u(i16x8.add(i16x8.add(c3, right), odd), 4);
    const lo = i16x8.shuffle(e, o, 0, 8, 1, 9, 2, 10, 3, 11);
    const hi = i16x8.shuffle(e, o, 4, 12, 5, 13, 6, 14, 7, 15);
    v128.store(out + (<usize>x << 1), i8x16.narrow_i16x8_u(lo, hi));
  }
}

/** (x * c + 32768) >> 16 for x of 8 lanes, c a 16-bit constant: the fractional part of a table entry. */
// @ts-ignore: decorator
@inline
function scaled(x: v128, c: v128): v128 {
  const half = i32x4.splat(32768);
  return i16x8.narrow_i32x4_s(
    i32x4.shr_s(i32x4.add(i32x4.extmul_low_i16x8_s(x, c), half), 16),
    i32x4.shr_s(i32x4.add(i32x4.extmul_high_i16x8_s(x, c), half), 16),
  );
}

/** R, G and B of 8 pixels (i16 lanes, not yet clamped) into `rgb` (three v128). */
// @ts-ignore: decorator
@inline
function yccToRgb(y: v128, cb: v128, cr: v128, rgb: usize): void {
  const center = i16x8.splat(128);
  const xb = i16x8.sub(cb, center);
  const xr = i16x8.sub(cr, center);
  // 91881 = 65536 + 26345; 116130 = 2 * 65536 - 14942; -46802 = -65536 + 18734: whole parts come out of the shift exactly.
  v128.store(rgb, i16x8.add(y, i16x8.add(xr, scaled(xr, i16x8.splat(26345)))));
  const g = i16x8.narrow_i32x4_s(
    i32x4.shr_s(
      i32x4.add(
        i32x4.add(i32x4.extmul_low_i16x8_s(xb, i16x8.splat(-22554)), i32x4.extmul_low_i16x8_s(xr, i16x8.splat(18734))),
        i32x4.splat(32768),
      ),
      16,
    ),
    i32x4.shr_s(
      i32x4.add(
        i32x4.add(i32x4.extmul_high_i16x8_s(xb, i16x8.splat(-22554)), i32x4.extmul_high_i16x8_s(xr, i16x8.splat(18734))),
        i32x4.splat(32768),
      ),
      16,
    ),
  );
  v128.store(rgb, i16x8.add(y, i16x8.sub(g, xr)), 16);
  v128.store(rgb, i16x8.add(y, i16x8.add(i16x8.shl(xb, 1), scaled(xb, i16x8.splat(-14942)))), 32);
}

/** One row: Y, Cb and Cr of `width` pixels (full size) to RGBA; 16 pixels a step, the last step past the row's end. */
// @ts-ignore: decorator
@inline
function convertRow(y: usize, cb: usize, cr: usize, width: i32, out: usize, rgb: usize): void {
  const alpha = i8x16.splat(-1);
  for (let x = 0; x < width; x += 16) {
    const yv = v128.load(y + <usize>x);
    const cbv = v128.load(cb + <usize>x);
    const crv = v128.load(cr + <usize>x);
    yccToRgb(i16x8.extend_low_i8x16_u(yv), i16x8.extend_low_i8x16_u(cbv), i16x8.extend_low_i8x16_u(crv), rgb);
    yccToRgb(i16x8.extend_high_i8x16_u(yv), i16x8.extend_high_i8x16_u(cbv), i16x8.extend_high_i8x16_u(crv), rgb + 48);
    const r = i8x16.narrow_i16x8_u(v128.load(rgb), v128.load(rgb, 48));
    const g = i8x16.narrow_i16x8_u(v128.load(rgb, 16), v128.load(rgb, 64));
    const b = i8x16.narrow_i16x8_u(v128.load(rgb, 32), v128.load(rgb, 80));
    const rgLo = i8x16.shuffle(r, g, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const rgHi = i8x16.shuffle(r, g, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const baLo = i8x16.shuffle(b, alpha, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const baHi = i8x16.shuffle(b, alpha, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const o = out + (<usize>x << 2);
    v128.store(o, i16x8.shuffle(rgLo, baLo, 0, 8, 1, 9, 2, 10, 3, 11));
    v128.store(o, i16x8.shuffle(rgLo, baLo, 4, 12, 5, 13, 6, 14, 7, 15), 16);
    v128.store(o, i16x8.shuffle(rgHi, baHi, 0, 8, 1, 9, 2, 10, 3, 11), 32);
    v128.store(o, i16x8.shuffle(rgHi, baHi, 4, 12, 5, 13, 6, 14, 7, 15), 48);
  }
}

/**
 * Output rows [rowStart, rowEnd) of the frame that `frame` describes (see
 * above) as RGBA, rows width * 4 bytes apart. Each row writes up to 60
 * bytes past its end (the next row overwrites them; leave that much slack
 * after the last), and reads up to 16 past each plane row's.
 */
export function u8_ycbcr_to_rgba_fancy__simd128(frame: usize, rowStart: i32, rowEnd: i32): void {
  const yPlane = <usize>load<i32>(frame);
  const yStride = <usize>load<i32>(frame, 4);
  const cbPlane = <usize>load<i32>(frame, 8);
  const crPlane = <usize>load<i32>(frame, 12);
  const cStride = <usize>load<i32>(frame, 16);
  const cWidth = load<i32>(frame, 20);
  const cHeight = load<i32>(frame, 24);
  const hShift = load<i32>(frame, 28) != 0;
  const vShift = load<i32>(frame, 32) != 0;
  const width = load<i32>(frame, 36);
  const out = <usize>load<i32>(frame, 40);
  const scratch = <usize>load<i32>(frame, 44);
  // Scratch: the 8 pixels' R, G, B (96 bytes, twice), then each chroma's column sums (i16, one spare at each end) and upsampled row.
  const rgb = scratch;
  const sumsBytes = <usize>(((cWidth + 24) & ~7) << 1);
  const cbSums = scratch + 128 + 16;
  const crSums = cbSums + sumsBytes;
  const cbRow = crSums + sumsBytes;
  const crRow = cbRow + <usize>((cWidth * 2 + 48) & ~15);
  for (let row = rowStart; row < rowEnd; row++) {
    const y = yPlane + <usize>row * yStride;
    let cb: usize, cr: usize;
    if (!hShift && !vShift) {
      cb = cbPlane + <usize>row * cStride;
      cr = crPlane + <usize>row * cStride;
    } else {
      const nearRow = vShift ? row >> 1 : row;
      // Even output rows lean on the chroma row above, odd ones on the row below (jdsample.c's v = 0 and v = 1).
      const farRow = vShift ? ((row & 1) == 0 ? max(nearRow - 1, 0) : min(nearRow + 1, cHeight - 1)) : row;
      columnSums(cbPlane + <usize>nearRow * cStride, cbPlane + <usize>farRow * cStride, cWidth, vShift, cbSums);
      columnSums(crPlane + <usize>nearRow * cStride, crPlane + <usize>farRow * cStride, cWidth, vShift, crSums);
      if (hShift) {
        const even: i16 = vShift ? 8 : 4;
        const odd: i16 = vShift ? 7 : 8;
        upsampleRow(cbSums, cWidth, even, odd, cbRow);
        upsampleRow(crSums, cWidth, even, odd, crRow);
      } else {
        // h1v2: +1 leaning on the row above, +2 on the row below (libjpeg-turbo 2's h1v2_fancy_upsample).
        const bias: i16 = (row & 1) == 0 ? 1 : 2;
        verticalRow(cbSums, cWidth, bias, cbRow);
        verticalRow(crSums, cWidth, bias, crRow);
      }
      cb = cbRow;
      cr = crRow;
    }
    convertRow(y, cb, cr, width, out + <usize>row * <usize>(width << 2), rgb);
  }
}

/** Rows [rowStart, rowEnd) of a greyscale plane to RGBA (R = G = B), as convertRow writes them. */
export function u8_grey_to_rgba__simd128(plane: usize, stride: i32, width: i32, out: usize, rowStart: i32, rowEnd: i32): void {
  const alpha = i8x16.splat(-1);
  for (let row = rowStart; row < rowEnd; row++) {
    const src = plane + <usize>row * <usize>stride;
    const dst = out + <usize>row * <usize>(width << 2);
    for (let x = 0; x < width; x += 16) {
      const v = v128.load(src + <usize>x);
      const o = dst + (<usize>x << 2);
      v128.store(o, i8x16.shuffle(v, alpha, 0, 0, 0, 16, 1, 1, 1, 16, 2, 2, 2, 16, 3, 3, 3, 16));
      v128.store(o, i8x16.shuffle(v, alpha, 4, 4, 4, 16, 5, 5, 5, 16, 6, 6, 6, 16, 7, 7, 7, 16), 16);
      v128.store(o, i8x16.shuffle(v, alpha, 8, 8, 8, 16, 9, 9, 9, 16, 10, 10, 10, 16, 11, 11, 11, 16), 32);
      v128.store(o, i8x16.shuffle(v, alpha, 12, 12, 12, 16, 13, 13, 13, 16, 14, 14, 14, 16, 15, 15, 15, 16), 48);
    }
  }
}
