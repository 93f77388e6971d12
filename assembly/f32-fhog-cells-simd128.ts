/**
 * Gradient orientation histograms per cell, the first stage of Felzenszwalb's
 * HOG, from a three-plane 8-bit image (`width` bytes a row, planes
 * `planeBytes` apart). For pixel (y, x), y in [rowStart, rowEnd) and x in
 * [1, columnEnd), with its four neighbours inside the image:
 *
 * - each plane's gradient (I[y][x+1] - I[y][x-1], I[y+1][x] - I[y-1][x]); the
 *   plane with the largest squared length wins; on a tie the later plane wins
 *   in columns below `laterWinsEnd` and the earlier one from there on;
 * - its bin is `orientations[(gy + 255) * 511 + gx + 255]` (u8, 0..17) and
 *   its magnitude v = sqrt(gx^2 + gy^2) in f32;
 * - v is spread over 2x2 cells with the row's weights R = [ry0, ry0, ry1, ry1]
 *   and the column's C = [cx0, cx1, cx0, cx1]: w = R * (C * v) below
 *   `laterWinsEnd`, (R * C) * v from there on, and
 *   hist[bin] at (cell row, cell col), (row, col + 1), (row + 1, col),
 *   (row + 1, col + 1) gets w[0], w[1], w[2], w[3] added.
 *
 * Pixels are added row by row, left to right, so every bin sums in the same
 * order whatever the work split within a row. hist holds 18 f32 planes,
 * `histPlaneBytes` apart, `histRowBytes` a cell row. Tables: per pixel row 32
 * bytes (byte offset of its first cell row i32, R f32x4 at 16); per pixel
 * column 32 bytes (byte offset of its first cell column i32, C f32x4 at 16).
 * `laterWinsEnd - 1` is a multiple of 8. `scratch` takes 8 * (columnEnd + 8)
 * bytes.
 *
 * Work: pixel rows [rowStart, rowEnd).
 */
export function f32_fhog_cells__simd128(
  src: usize, width: i32, planeBytes: i32, orientations: usize, columnEnd: i32, laterWinsEnd: i32,
  rowTable: usize, columnTable: usize, hist: usize, histPlaneBytes: i32, histRowBytes: i32, scratch: usize,
  rowStart: i32, rowEnd: i32,
): void {
  const stride = <usize>width;
  const plane = <usize>planeBytes;
  const binIndex = scratch;
  const magnitude = scratch + (<usize>(columnEnd + 8) << 2);
  for (let y = rowStart; y < rowEnd; y++) {
    const rowPixels = src + <usize>y * stride;
    for (let x = 1; x < columnEnd; x += 8) {
      const laterWins = x < laterWinsEnd;
      const p = rowPixels + <usize>x;
      // Each pixel's gradient as an (gx, gy) pair of i16 lanes: dot products give gx^2 + gy^2 per i32 lane.
      let gx = i16x8.sub(v128.load8x8_u(p + 1), v128.load8x8_u(p - 1));
      let gy = i16x8.sub(v128.load8x8_u(p + stride), v128.load8x8_u(p - stride));
      let low = i8x16.shuffle(gx, gy, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
      let high = i8x16.shuffle(gx, gy, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
      let lenLow = i32x4.dot_i16x8_s(low, low);
      let lenHigh = i32x4.dot_i16x8_s(high, high);
      for (let k: usize = 1; k < 3; k++) {
        const q = p + k * plane;
        gx = i16x8.sub(v128.load8x8_u(q + 1), v128.load8x8_u(q - 1));
        gy = i16x8.sub(v128.load8x8_u(q + stride), v128.load8x8_u(q - stride));
        const kLow = i8x16.shuffle(gx, gy, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
        const kHigh = i8x16.shuffle(gx, gy, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
        const kLenLow = i32x4.dot_i16x8_s(kLow, kLow);
        const kLenHigh = i32x4.dot_i16x8_s(kHigh, kHigh);
        const takeLow = laterWins ? i32x4.ge_s(kLenLow, lenLow) : i32x4.gt_s(kLenLow, lenLow);
        const takeHigh = laterWins ? i32x4.ge_s(kLenHigh, lenHigh) : i32x4.gt_s(kLenHigh, lenHigh);
        low = v128.bitselect(kLow, low, takeLow);
        high = v128.bitselect(kHigh, high, takeHigh);
        lenLow = v128.bitselect(kLenLow, lenLow, takeLow);
        lenHigh = v128.bitselect(kLenHigh, lenHigh, takeHigh);
      }
      // The orientation table's index, (gy + 255) * 511 + gx + 255, as a dot product with (1, 511).
      const weights = i32x4.splat(511 << 16 | 1);
      const centre = i32x4.splat(255 * 511 + 255);
      const at = <usize>x << 2;
      v128.store(binIndex + at, i32x4.add(i32x4.dot_i16x8_s(low, weights), centre));
      v128.store(binIndex + at, i32x4.add(i32x4.dot_i16x8_s(high, weights), centre), 16);
      v128.store(magnitude + at, f32x4.sqrt(f32x4.convert_i32x4_s(lenLow)));
      v128.store(magnitude + at, f32x4.sqrt(f32x4.convert_i32x4_s(lenHigh)), 16);
    }
    const rowEntry = rowTable + (<usize>y << 5);
    const cells = hist + <usize>load<i32>(rowEntry);
    const rowWeights = v128.load(rowEntry, 16);
    const split = min(laterWinsEnd, columnEnd);
    for (let x = 1; x < split; x++) {
      const column = columnTable + (<usize>x << 5);
      const v = f32x4.splat(load<f32>(magnitude + (<usize>x << 2)));
      const w = f32x4.mul(rowWeights, f32x4.mul(v128.load(column, 16), v));
      addToCells(cells, orientations, binIndex, x, column, w, histPlaneBytes, histRowBytes);
    }
    for (let x = max(split, 1); x < columnEnd; x++) {
      const column = columnTable + (<usize>x << 5);
      const v = f32x4.splat(load<f32>(magnitude + (<usize>x << 2)));
      const w = f32x4.mul(f32x4.mul(rowWeights, v128.load(column, 16)), v);
      addToCells(cells, orientations, binIndex, x, column, w, histPlaneBytes, histRowBytes);
    }
  }
}

// @ts-ignore: decorator
@inline function addToCells(
  cells: usize, orientations: usize, binIndex: usize, x: i32, column: usize, w: v128, histPlaneBytes: i32, histRowBytes: i32,
): void {
  const bin = <usize>load<u8>(orientations + <usize>load<i32>(binIndex + (<usize>x << 2)));
  const upper = cells + bin * <usize>histPlaneBytes + <usize>load<i32>(column);
  v128.store64_lane(upper, f32x4.add(v128.load64_zero(upper), w), 0);
  const lower = upper + <usize>histRowBytes;
  v128.store64_lane(lower, f32x4.add(v128.load64_splat(lower), w), 1);
}
