/**
 * Halves an 8-bit RGB or RGBA image (`pixelStride` 3 or 4 bytes; alpha is
 * ignored) with the separable 5x5 binomial filter [1 4 6 4 1] / 16 on each
 * axis, in integers: output pixel (r, c) is the filter centred on input pixel
 * (2r + 2, 2c + 2), summed exactly and divided by 256 with truncation. The
 * output is RGB, `dstWidth` = floor((srcWidth - 3) / 2) pixels wide.
 *
 * Each output row sums its five input rows first, into `temp`: one row of
 * u16 RGBx sums for the 2 dstWidth + 3 input pixels it reads, plus one pixel
 * more, (2 dstWidth + 4) * 8 bytes. Every sum, partial or whole, fits in u16
 * (at most 256 * 255).
 *
 * Work: output rows [rowStart, rowEnd).
 */
export function u8_rgb_pyramid_down_2__simd128(
  src: usize, srcRowBytes: i32, pixelStride: i32, dst: usize, dstWidth: i32, temp: usize, rowStart: i32, rowEnd: i32,
): void {
  const rowBytes = <usize>srcRowBytes;
  const pixels = 2 * dstWidth + 3;
  const six = i16x8.splat(6);
  for (let r = rowStart; r < rowEnd; r++) {
    const s0 = src + <usize>(2 * r) * rowBytes;
    let p = 0;
    if (pixelStride == 4) {
      for (; p + 4 <= pixels; p += 4) verticalSums(s0 + (<usize>p << 2), rowBytes, false, six, temp + (<usize>p << 3));
    } else {
      for (; p + 4 <= pixels; p += 4) verticalSums(s0 + <usize>p * 3, rowBytes, true, six, temp + (<usize>p << 3));
    }
    for (; p < pixels; p++) {
      const s = s0 + <usize>p * <usize>pixelStride;
      const t = temp + (<usize>p << 3);
      for (let k: usize = 0; k < 3; k++) {
        const sum = <u32>load<u8>(s + k) + 4 * <u32>load<u8>(s + rowBytes + k) + 6 * <u32>load<u8>(s + 2 * rowBytes + k)
          + 4 * <u32>load<u8>(s + 3 * rowBytes + k) + <u32>load<u8>(s + 4 * rowBytes + k);
        store<u16>(t + (k << 1), <u16>sum);
      }
      store<u16>(t, 0, 6);
    }
    // Output pixel c from the pairs X_j = (pixel 2j, pixel 2j + 1) of sums: X_c + 6 X_(c+1) + X_(c+2)
    // takes the even taps (first half), 4 (X_c + X_(c+1)) the odd ones (second half).
    const out = dst + <usize>r * <usize>dstWidth * 3;
    let c = 0;
    for (; c + 1 < dstWidth; c += 2) {
      const t = temp + (<usize>c << 4);
      const x0 = v128.load(t);
      const x1 = v128.load(t, 16);
      const x2 = v128.load(t, 32);
      const x3 = v128.load(t, 48);
      const even0 = i16x8.add(i16x8.add(x0, x2), i16x8.mul(x1, six));
      const even1 = i16x8.add(i16x8.add(x1, x3), i16x8.mul(x2, six));
      const odd0 = i16x8.shl(i16x8.add(x0, x1), 2);
      const odd1 = i16x8.shl(i16x8.add(x1, x2), 2);
      const sums = i16x8.add(i64x2.shuffle(even0, even1, 0, 2), i64x2.shuffle(odd0, odd1, 1, 3));
      const values = i16x8.shr_u(sums, 8);
      const bytes = i8x16.narrow_i16x8_u(values, values);
      const rgb = i8x16.shuffle(bytes, bytes, 0, 1, 2, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
      const o = out + <usize>c * 3;
      v128.store32_lane(o, rgb, 0);
      v128.store16_lane(o, rgb, 2, 4);
    }
    if (c < dstWidth) {
      const t = temp + (<usize>c << 4);
      for (let k: usize = 0; k < 3; k++) {
        const sum = <u32>load<u16>(t + (k << 1)) + 4 * <u32>load<u16>(t + 8 + (k << 1)) + 6 * <u32>load<u16>(t + 16 + (k << 1))
          + 4 * <u32>load<u16>(t + 24 + (k << 1)) + <u32>load<u16>(t + 32 + (k << 1));
        store<u8>(out + <usize>c * 3 + k, <u8>(sum >> 8));
      }
    }
  }
}

/** Four RGB pixels (12 bytes, read exactly) as RGBx lanes of 4 bytes, x = 0. */
// @ts-ignore: decorator
@inline function loadRgb4(s: usize): v128 {
  const v = v128.load32_lane(s + 8, v128.load64_zero(s), 2);
  return i8x16.shuffle(v, i8x16.splat(0), 0, 1, 2, 16, 3, 4, 5, 16, 6, 7, 8, 16, 9, 10, 11, 16);
}

/** Four pixels (RGB or RGBA, from s) of five rows, `rowBytes` apart: their filtered sums, as RGBx u16s at t. */
// @ts-ignore: decorator
@inline function verticalSums(s: usize, rowBytes: usize, rgb: bool, six: v128, t: usize): void {
  const r0 = rgb ? loadRgb4(s) : v128.load(s);
  const r1 = rgb ? loadRgb4(s + rowBytes) : v128.load(s + rowBytes);
  const r2 = rgb ? loadRgb4(s + 2 * rowBytes) : v128.load(s + 2 * rowBytes);
  const r3 = rgb ? loadRgb4(s + 3 * rowBytes) : v128.load(s + 3 * rowBytes);
  const r4 = rgb ? loadRgb4(s + 4 * rowBytes) : v128.load(s + 4 * rowBytes);
  v128.store(t, verticalHalf(
    i16x8.extend_low_i8x16_u(r0), i16x8.extend_low_i8x16_u(r1), i16x8.extend_low_i8x16_u(r2),
    i16x8.extend_low_i8x16_u(r3), i16x8.extend_low_i8x16_u(r4), six,
  ));
  v128.store(t, verticalHalf(
    i16x8.extend_high_i8x16_u(r0), i16x8.extend_high_i8x16_u(r1), i16x8.extend_high_i8x16_u(r2),
    i16x8.extend_high_i8x16_u(r3), i16x8.extend_high_i8x16_u(r4), six,
  ), 16);
}

// @ts-ignore: decorator
@inline function verticalHalf(a: v128, b: v128, c: v128, d: v128, e: v128, six: v128): v128 {
  return i16x8.add(i16x8.add(i16x8.add(a, e), i16x8.shl(i16x8.add(b, d), 2)), i16x8.mul(c, six));
}
