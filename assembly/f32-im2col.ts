/**
 * Unfolds a [channels][height][width] image into the [channels*kh*kw][outH*outW]
 * matrix of a cross-correlation with symmetric zero padding, so that a
 * convolution becomes one GEMM.
 */
export function f32_im2col(
  x: usize, channels: i32, height: i32, width: i32, kh: i32, kw: i32,
  sy: i32, sx: i32, py: i32, px: i32, outH: i32, outW: i32, col: usize,
): void {
  let dst = col;
  for (let c = 0; c < channels; c++) {
    const plane = x + (<usize>(c * height * width) << 2);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        // Output columns whose input column ox*sx - px + kx lies inside the image.
        let first = px - kx;
        first = first > 0 ? (first + sx - 1) / sx : 0;
        let last = width + px - kx; // exclusive bound on ox*sx
        last = last > 0 ? min(outW, (last + sx - 1) / sx) : 0;
        if (last < first) last = first;
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * sy - py + ky;
          if (iy < 0 || iy >= height) {
            memory.fill(dst, 0, <usize>outW << 2);
          } else {
            const src = plane + (<usize>(iy * width) << 2);
            if (first > 0) memory.fill(dst, 0, <usize>first << 2);
            if (sx == 1) {
              memory.copy(dst + (<usize>first << 2), src + (<usize>(first - px + kx) << 2), <usize>(last - first) << 2);
            } else {
              for (let ox = first; ox < last; ox++) {
                store<f32>(dst + (<usize>ox << 2), load<f32>(src + (<usize>(ox * sx - px + kx) << 2)));
              }
            }
            if (last < outW) memory.fill(dst + (<usize>last << 2), 0, <usize>(outW - last) << 2);
          }
          dst += <usize>outW << 2;
        }
      }
    }
  }
}
