const BINS: usize = 18;
/** Bytes of one cell column's vote sums: 18 bins of f32x4. */
const CELL_BYTES: usize = BINS * 16;

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
 *   and the column's C = [cx0, cx1, cx0, cx1]: w = (R * C) * v, and
 *   hist[bin] at (cell row, cell col), (row, col + 1), (row + 1, col),
 *   (row + 1, col + 1) gets w[0], w[1], w[2], w[3].
 *
 * The pixel rows that share their two cell rows (a band) are summed first in
 * `votes`, per left cell column and bin, then added to the histogram's rows
 * four cells at a time, so the sums are not in pixel order: a bin differs
 * from the in-order sum by rounding only. hist holds 18 f32 planes,
 * `histPlaneBytes` apart, `histRowBytes` a cell row (a multiple of 16, its
 * cells past the image's get zeros added), `histRows` rows. Tables: per pixel
 * row 32 bytes (byte offset of its first cell row i32, R f32x4 at 16); per
 * pixel column 32 bytes (byte offset of its first cell column i32, that
 * cell column's byte offset in the vote sums, (column + 1) * 288, i32 at 4, C
 * f32x4 at 16); per cell row c from 0 to histRows + 1 an i32: the first pixel row whose
 * lower cell row is at least c (rows [start, end) read pixel rows from entry
 * start to entry end + 1). `laterWinsEnd - 1` is a multiple of 8.
 *
 * Work: chunks [chunkStart, chunkEnd) of `chunkRows` histogram rows each. A
 * thread adds only to its own cell rows (the pixel rows at the edges of its
 * range, which also vote into a neighbour's rows, are read by both) and sums
 * in the `votesBytes` of scratch at `votes + chunkStart * votesBytes`, which
 * must hold (histRowBytes / 4 + 1) * 288 bytes.
 */
export function f32_fhog_cells__simd128(
  src: usize, width: i32, planeBytes: i32, orientations: usize, columnEnd: i32, laterWinsEnd: i32,
  rowTable: usize, columnTable: usize, firstPixelRows: usize, hist: usize, histPlaneBytes: i32, histRowBytes: i32, histRows: i32,
  votes: usize, votesBytes: i32, chunkRows: i32, chunkStart: i32, chunkEnd: i32,
): void {
  const histCols = histRowBytes >> 2;
  // Entry -1 stays zero: the first cell column's left neighbour.
  const cells = votes + <usize>chunkStart * <usize>votesBytes + CELL_BYTES;
  memory.fill(cells - CELL_BYTES, 0, <usize>(histCols + 1) * CELL_BYTES);
  for (let chunk = chunkStart; chunk < chunkEnd; chunk++) {
    const ownStart = chunk * chunkRows;
    const ownEnd = min(ownStart + chunkRows, histRows);
    if (ownStart >= ownEnd) continue;
    const rowEnd = load<i32>(firstPixelRows + (<usize>(ownEnd + 1) << 2));
    let y = load<i32>(firstPixelRows + (<usize>ownStart << 2));
    while (y < rowEnd) {
      const upperRow = load<i32>(rowTable + (<usize>y << 5));
      let bandEnd = y + 1;
      while (bandEnd < rowEnd && load<i32>(rowTable + (<usize>bandEnd << 5)) == upperRow) bandEnd++;
      for (; y < bandEnd; y++) {
        voteRow(src + <usize>y * <usize>width, <usize>width, <usize>planeBytes, orientations, columnEnd, laterWinsEnd, v128.load(rowTable + (<usize>y << 5), 16), columnTable, cells);
      }
      const upper = upperRow / histRowBytes;
      addBand(cells, hist + <usize>upperRow, <usize>histPlaneBytes, <usize>histRowBytes, histCols, upper >= ownStart && upper < ownEnd, upper + 1 >= ownStart && upper + 1 < ownEnd);
    }
  }
}

/** One pixel row's votes into the band's sums. */
// @ts-ignore: decorator
@inline function voteRow(
  rowPixels: usize, stride: usize, plane: usize, orientations: usize, columnEnd: i32, laterWinsEnd: i32, rowWeights: v128, columnTable: usize, cells: usize,
): void {
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
    const n = columnEnd - x;
    if (n >= 8) {
      voteFour(cells, orientations, columnTable, rowWeights, x, binLow, magnitudeLow, 4);
      voteFour(cells, orientations, columnTable, rowWeights, x + 4, binHigh, magnitudeHigh, 4);
    } else {
      voteFour(cells, orientations, columnTable, rowWeights, x, binLow, magnitudeLow, n);
      if (n > 4) voteFour(cells, orientations, columnTable, rowWeights, x + 4, binHigh, magnitudeHigh, n - 4);
    }
  }
}

/** The votes of pixels x .. x + min(n, 4) - 1, from their lanes; x is odd. */
// @ts-ignore: decorator
@inline function voteFour(
  cells: usize, orientations: usize, columnTable: usize, rowWeights: v128, x: i32, binIndices: v128, magnitudes: v128, n: i32,
): void {
  vote(cells, orientations, columnTable, rowWeights, x, i32x4.extract_lane(binIndices, 0), v128.shuffle<f32>(magnitudes, magnitudes, 0, 0, 0, 0));
  if (n > 1) vote(cells, orientations, columnTable, rowWeights, x + 1, i32x4.extract_lane(binIndices, 1), v128.shuffle<f32>(magnitudes, magnitudes, 1, 1, 1, 1));
  if (n > 2) vote(cells, orientations, columnTable, rowWeights, x + 2, i32x4.extract_lane(binIndices, 2), v128.shuffle<f32>(magnitudes, magnitudes, 2, 2, 2, 2));
  if (n > 3) vote(cells, orientations, columnTable, rowWeights, x + 3, i32x4.extract_lane(binIndices, 3), v128.shuffle<f32>(magnitudes, magnitudes, 3, 3, 3, 3));
}

/** One pixel's vote (its magnitude in every lane), added to its left cell column's sums for its bin. */
// @ts-ignore: decorator
@inline function vote(
  cells: usize, orientations: usize, columnTable: usize, rowWeights: v128, x: i32, binIndex: i32, magnitude: v128,
): void {
  const column = columnTable + (<usize>x << 5);
  const w = f32x4.mul(f32x4.mul(rowWeights, v128.load(column, 16)), magnitude);
  const bin = <usize>load<u8>(orientations + <usize>binIndex);
  const at = cells + <usize>load<i32>(column, 4) + (bin << 4);
  v128.store(at, f32x4.add(v128.load(at), w));
}

/**
 * A band's sums into its two histogram rows (those it owns), four cells at a
 * time: cell c of the upper row gets the upper-left sum of its own column and
 * the upper-right one of the column before; the lower row likewise. The sums
 * are left zero.
 */
function addBand(cells: usize, upper: usize, histPlane: usize, histRow: usize, histCols: i32, addUpper: bool, addLower: bool): void {
  for (let j = 0; j < histCols; j += 4) {
    const g = cells + <usize>j * CELL_BYTES;
    const h = upper + (<usize>j << 2);
    for (let b: usize = 0; b < BINS; b++) {
      const at = g + (b << 4);
      const before = v128.load(at - CELL_BYTES);
      const a0 = v128.load(at);
      const a1 = v128.load(at + CELL_BYTES);
      const a2 = v128.load(at + 2 * CELL_BYTES);
      const a3 = v128.load(at + 3 * CELL_BYTES);
      // Lanes 0 and 2 of s_k: cell k's upper and lower sums.
      const s0 = f32x4.add(a0, v128.shuffle<f32>(before, before, 1, 1, 3, 3));
      const s1 = f32x4.add(a1, v128.shuffle<f32>(a0, a0, 1, 1, 3, 3));
      const s2 = f32x4.add(a2, v128.shuffle<f32>(a1, a1, 1, 1, 3, 3));
      const s3 = f32x4.add(a3, v128.shuffle<f32>(a2, a2, 1, 1, 3, 3));
      const t0 = v128.shuffle<f32>(s0, s1, 0, 4, 2, 6);
      const t1 = v128.shuffle<f32>(s2, s3, 0, 4, 2, 6);
      const cellsAt = h + b * histPlane;
      if (addUpper) v128.store(cellsAt, f32x4.add(v128.load(cellsAt), v128.shuffle<f32>(t0, t1, 0, 1, 4, 5)));
      if (addLower) v128.store(cellsAt + histRow, f32x4.add(v128.load(cellsAt + histRow), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7)));
    }
  }
  memory.fill(cells, 0, <usize>histCols * CELL_BYTES);
}
