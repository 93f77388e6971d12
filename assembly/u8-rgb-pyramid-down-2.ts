/**
 * Halves an 8-bit RGB or RGBA image (`pixelStride` 3 or 4 bytes; alpha is
 * ignored) with the separable 5x5 binomial filter [1 4 6 4 1] / 16 on each
 * axis, in integers: output pixel (r, c) is the filter centred on input pixel
 * (2r + 2, 2c + 2), summed exactly and divided by 256 with truncation. The
 * output is RGB, `dstWidth` = floor((srcWidth - 3) / 2) pixels wide.
 *
 * `temp` takes the horizontal pass: 2 * (rowEnd - rowStart) + 3 rows of
 * `dstWidth` RGB u16 sums.
 *
 * Work: output rows [rowStart, rowEnd).
 */
export function u8_rgb_pyramid_down_2(
  src: usize, srcRowBytes: i32, pixelStride: i32, dst: usize, dstWidth: i32, temp: usize, rowStart: i32, rowEnd: i32,
): void {
  const tempRowBytes = <usize>dstWidth * 6;
  const tempRows = 2 * (rowEnd - rowStart) + 3;
  const step = <usize>pixelStride;
  for (let t = 0; t < tempRows; t++) {
    const s0 = src + <usize>(2 * rowStart + t) * <usize>srcRowBytes;
    const out = temp + <usize>t * tempRowBytes;
    for (let c = 0; c < dstWidth; c++) {
      const s = s0 + <usize>(2 * c) * step;
      for (let k: usize = 0; k < 3; k++) {
        const sum = <u32>load<u8>(s + k) + 4 * <u32>load<u8>(s + step + k) + 6 * <u32>load<u8>(s + 2 * step + k)
          + 4 * <u32>load<u8>(s + 3 * step + k) + <u32>load<u8>(s + 4 * step + k);
        store<u16>(out + <usize>c * 6 + (k << 1), <u16>sum);
      }
    }
  }
  const values = <usize>dstWidth * 3;
  for (let r = rowStart; r < rowEnd; r++) {
    const t0 = temp + <usize>(2 * (r - rowStart)) * tempRowBytes;
    const out = dst + <usize>r * values;
    for (let i: usize = 0; i < values; i++) {
      const o = t0 + (i << 1);
      const sum = <u32>load<u16>(o) + 4 * <u32>load<u16>(o + tempRowBytes) + 6 * <u32>load<u16>(o + 2 * tempRowBytes)
        + 4 * <u32>load<u16>(o + 3 * tempRowBytes) + <u32>load<u16>(o + 4 * tempRowBytes);
      store<u8>(out + i, <u8>(sum >> 8));
    }
  }
}
