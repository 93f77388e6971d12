/**
 * Interleaved 8-bit RGB or RGBA pixels (`pixelStride` 3 or 4 bytes; alpha is
 * dropped) to three planes of 8-bit values, R, G and B, `planeBytes` apart.
 * Sixteen pixels per step; a last partial step goes pixel by pixel.
 *
 * Work: pixels [pixelStart, pixelEnd).
 */
export function u8_rgb_to_planar__simd128(
  src: usize, pixelStride: i32, dst: usize, planeBytes: i32, pixelStart: i32, pixelEnd: i32,
): void {
  const plane = <usize>planeBytes;
  let p = pixelStart;
  if (pixelStride == 4) {
    for (; p + 16 <= pixelEnd; p += 16) {
      const s = src + (<usize>p << 2);
      const a = v128.load(s), b = v128.load(s, 16), c = v128.load(s, 32), d = v128.load(s, 48);
      // Channel k of 16 pixels: bytes k, k+4, ... of each quarter, gathered pairwise.
      const rgAB = i8x16.shuffle(a, b, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
      const rgCD = i8x16.shuffle(c, d, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
      const bAB = i8x16.shuffle(a, b, 2, 6, 10, 14, 18, 22, 26, 30, 2, 6, 10, 14, 18, 22, 26, 30);
      const bCD = i8x16.shuffle(c, d, 2, 6, 10, 14, 18, 22, 26, 30, 2, 6, 10, 14, 18, 22, 26, 30);
      const out = dst + <usize>p;
      v128.store(out, i8x16.shuffle(rgAB, rgCD, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
      v128.store(out + plane, i8x16.shuffle(rgAB, rgCD, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31));
      v128.store(out + 2 * plane, i8x16.shuffle(bAB, bCD, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
    }
  } else {
    for (; p + 16 <= pixelEnd; p += 16) {
      const s = src + <usize>p * 3;
      const a = v128.load(s), b = v128.load(s, 16), c = v128.load(s, 32);
      // Bytes k, k+3, ..., k+45: the first 11 or so from a and b, the rest from c.
      const r = i8x16.shuffle(i8x16.shuffle(a, b, 0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 0, 0, 0, 0, 0), c,
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 17, 20, 23, 26, 29);
      const g = i8x16.shuffle(i8x16.shuffle(a, b, 1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 0, 0, 0, 0, 0), c,
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 18, 21, 24, 27, 30);
      const bl = i8x16.shuffle(i8x16.shuffle(a, b, 2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 0, 0, 0, 0, 0, 0), c,
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 19, 22, 25, 28, 31);
      const out = dst + <usize>p;
      v128.store(out, r);
      v128.store(out + plane, g);
      v128.store(out + 2 * plane, bl);
    }
  }
  for (; p < pixelEnd; p++) {
    const s = src + <usize>(p * pixelStride);
    const out = dst + <usize>p;
    store<u8>(out, load<u8>(s));
    store<u8>(out + plane, load<u8>(s, 1));
    store<u8>(out + 2 * plane, load<u8>(s, 2));
  }
}
