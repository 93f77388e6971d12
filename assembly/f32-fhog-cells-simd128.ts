/**
 * Gradient orientation histograms per cell, the first stage of Felzenszwalb's
 * HOG, from a three-plane 8-bit image (`width` bytes a row, planes
 * `planeBytes` apart). For pixel (y, x) of the pixel rows that vote into the
 * work's cell rows, x in [1, columnEnd), with its four neighbours inside the
 * image:
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
 * order whatever the work split. hist holds 18 f32 planes, `histPlaneBytes`
 * apart, `histRowBytes` a cell row. Tables: per pixel row 32 bytes (byte
 * offset of its first cell row i32, R f32x4 at 16); per pixel column 32 bytes
 * (byte offset of its first cell column i32, C f32x4 at 16); per cell row c
 * from 0 to the histogram's rows + 1 an i32: the first pixel row whose lower
 * cell row is at least c (rows [start, end) read pixel rows from entry start
 * to entry end + 1). `laterWinsEnd - 1` is a multiple of 8.
 *
 * Work: histogram rows [histRowStart, histRowEnd). A thread adds only to its
 * own cell rows; the pixel rows at the edges of its range, which also vote
 * into a neighbour's rows, are read by both.
 */
export function f32_fhog_cells__simd128(
  src: usize, width: i32, planeBytes: i32, orientations: usize, columnEnd: i32, laterWinsEnd: i32,
  rowTable: usize, columnTable: usize, firstPixelRows: usize, hist: usize, histPlaneBytes: i32, histRowBytes: i32,
  histRowStart: i32, histRowEnd: i32,
): void {
  const stride = <usize>width;
  const plane = <usize>planeBytes;
  const ownStart = histRowStart * histRowBytes;
  const ownEnd = histRowEnd * histRowBytes;
  const rowEnd = load<i32>(firstPixelRows + (<usize>(histRowEnd + 1) << 2));
  for (let y = load<i32>(firstPixelRows + (<usize>histRowStart << 2)); y < rowEnd; y++) {
    const rowPixels = src + <usize>y * stride;
    const rowEntry = rowTable + (<usize>y << 5);
    const upperRow = load<i32>(rowEntry);
    const cells = hist + <usize>upperRow;
    const rowWeights = v128.load(rowEntry, 16);
    const addUpper = upperRow >= ownStart && upperRow < ownEnd;
    const addLower = upperRow + histRowBytes >= ownStart && upperRow + histRowBytes < ownEnd;
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
      const binLow = i32x4.add(i32x4.dot_i16x8_s(low, weights), centre);
      const binHigh = i32x4.add(i32x4.dot_i16x8_s(high, weights), centre);
      const magnitudeLow = f32x4.sqrt(f32x4.convert_i32x4_s(lenLow));
      const magnitudeHigh = f32x4.sqrt(f32x4.convert_i32x4_s(lenHigh));
      // The eight pixels' votes in order, straight from the lanes: no scratch memory that threads would share.
      const n = min(8, columnEnd - x);
      voteFour(cells, orientations, columnTable, rowWeights, x, binLow, magnitudeLow, n, laterWins, addUpper, addLower, histPlaneBytes, histRowBytes);
      if (n > 4) voteFour(cells, orientations, columnTable, rowWeights, x + 4, binHigh, magnitudeHigh, n - 4, laterWins, addUpper, addLower, histPlaneBytes, histRowBytes);
    }
  }
}

/** The votes of pixels x .. x + min(n, 4) - 1, from their lanes, in order. */
// @ts-ignore: decorator
@inline function voteFour(
  cells: usize, orientations: usize, columnTable: usize, rowWeights: v128, x: i32, binIndices: v128, magnitudes: v128, n: i32,
  laterWins: bool, addUpper: bool, addLower: bool, histPlaneBytes: i32, histRowBytes: i32,
): void {
  vote(cells, orientations, columnTable, rowWeights, x, i32x4.extract_lane(binIndices, 0), f32x4.extract_lane(magnitudes, 0), laterWins, addUpper, addLower, histPlaneBytes, histRowBytes);
  if (n > 1) vote(cells, orientations, columnTable, rowWeights, x + 1, i32x4.extract_lane(binIndices, 1), f32x4.extract_lane(magnitudes, 1), laterWins, addUpper, addLower, histPlaneBytes, histRowBytes);
  if (n > 2) vote(cells, orientations, columnTable, rowWeights, x + 2, i32x4.extract_lane(binIndices, 2), f32x4.extract_lane(magnitudes, 2), laterWins, addUpper, addLower, histPlaneBytes, histRowBytes);
  if (n > 3) vote(cells, orientations, columnTable, rowWeights, x + 3, i32x4.extract_lane(binIndices, 3), f32x4.extract_lane(magnitudes, 3), laterWins, addUpper, addLower, histPlaneBytes, histRowBytes);
}

/** One pixel's vote: dlib multiplies in one order below `laterWinsEnd` and in the other from there on. */
// @ts-ignore: decorator
@inline function vote(
  cells: usize, orientations: usize, columnTable: usize, rowWeights: v128, x: i32, binIndex: i32, magnitude: f32,
  laterWins: bool, addUpper: bool, addLower: bool, histPlaneBytes: i32, histRowBytes: i32,
): void {
  const column = columnTable + (<usize>x << 5);
  const v = f32x4.splat(magnitude);
  const columnWeights = v128.load(column, 16);
  const w = laterWins ? f32x4.mul(rowWeights, f32x4.mul(columnWeights, v)) : f32x4.mul(f32x4.mul(rowWeights, columnWeights), v);
  const bin = <usize>load<u8>(orientations + <usize>binIndex);
  const upper = cells + bin * <usize>histPlaneBytes + <usize>load<i32>(column);
  if (addUpper) v128.store64_lane(upper, f32x4.add(v128.load64_zero(upper), w), 0);
  const lower = upper + <usize>histRowBytes;
  if (addLower) v128.store64_lane(lower, f32x4.add(v128.load64_splat(lower), w), 1);
}
