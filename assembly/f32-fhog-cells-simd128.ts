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
 * - v is spread over 2x2 cells: with the row's weights ry1 (upper cell row)
 *   and ry0 (lower) and the column's cx1 (left cell column) and cx0 (right),
 *   hist[bin] at (cell row, cell col), (row, col + 1), (row + 1, col),
 *   (row + 1, col + 1) gets (v ry1) cx1, (v ry1) cx0, (v ry0) cx1, (v ry0) cx0.
 *
 * The pixel rows that share their two cell rows (a band) are summed first in
 * the scratch, per left cell column and bin, then added to the histogram's
 * rows four cells at a time, so the sums are not in pixel order: a bin differs
 * from dlib's in-order sum by rounding only; the kernel writes every cell of
 * its rows (no need to clear them first). hist holds 18 f32 planes,
 * `histPlaneBytes` apart, `histRowBytes` a cell row (a multiple of 16; the
 * cells past the image's get zeros added), `histRows` rows. Tables: per pixel
 * row 32 bytes (byte offset of its first cell row i32, [ry1, ry1, ry0, ry0]
 * f32x4 at 16); per pixel column 32 bytes (byte offset of its first cell
 * column i32; that cell column's byte offset in the vote sums, (column + 1) *
 * 288, i32 at 4; [cx1, cx1, cx0, cx0] f32x4 at 16); per cell row c from 0 to
 * histRows + 1 an i32: the first pixel row whose lower cell row is at least c
 * (rows [start, end) read pixel rows from entry start to entry end + 1).
 * `laterWinsEnd - 1` is a multiple of 8.
 *
 * Work: chunks [chunkStart, chunkEnd) of `chunkRows` histogram rows each. A
 * thread adds only to its own cell rows (the pixel rows at the edges of its
 * range, which also vote into a neighbour's rows, are read by both), but for
 * chunks that follow one another across calls: chunk `carryOut` also stores
 * the lower row of its last band (the next chunk's first row), and chunk
 * `carryIn` takes that row as written and starts at its second band, so the
 * band between them is read once (-1: none). Each thread sums
 * in the `votesBytes` of scratch at `votes + chunkStart * votesBytes`, which
 * must hold (histRowBytes / 4 + 1) * 288 + (columnEnd + 7) * 8 bytes
 * (the sums, then a row's gradients).
 */
export function f32_fhog_cells__simd128(
  src: usize, width: i32, planeBytes: i32, orientations: usize, columnEnd: i32, laterWinsEnd: i32,
  rowTable: usize, columnTable: usize, firstPixelRows: usize, hist: usize, histPlaneBytes: i32, histRowBytes: i32, histRows: i32,
  votes: usize, votesBytes: i32, carryIn: i32, carryOut: i32, chunkRows: i32, chunkStart: i32, chunkEnd: i32,
): void {
  const histCols = histRowBytes >> 2;
  // Entry -1 stays zero: the first cell column's left neighbour.
  const cells = votes + <usize>chunkStart * <usize>votesBytes + CELL_BYTES;
  memory.fill(cells - CELL_BYTES, 0, <usize>(histCols + 1) * CELL_BYTES);
  const gradients = cells + <usize>histCols * CELL_BYTES;
  const magnitudes = gradients + (<usize>(columnEnd + 7) << 2);
  for (let chunk = chunkStart; chunk < chunkEnd; chunk++) {
    const ownStart = chunk * chunkRows;
    const ownEnd = min(ownStart + chunkRows, histRows);
    if (ownStart >= ownEnd) continue;
    const rowEnd = load<i32>(firstPixelRows + (<usize>(ownEnd + 1) << 2));
    // Own rows [ownStart, written) hold sums; the rest are not written yet (bands come in row order).
    let written = chunk == carryIn ? ownStart + 1 : ownStart;
    let y = load<i32>(firstPixelRows + (<usize>written << 2));
    // Rows [ownStart, lowerEnd) take a band's lower votes.
    const lowerEnd = chunk == carryOut ? ownEnd + 1 : ownEnd;
    while (y < rowEnd) {
      const upperRow = load<i32>(rowTable + (<usize>y << 5));
      let bandEnd = y + 1;
      while (bandEnd < rowEnd && load<i32>(rowTable + (<usize>bandEnd << 5)) == upperRow) bandEnd++;
      for (; y < bandEnd; y++) {
        gradientRow(src + <usize>y * <usize>width, <usize>width, <usize>planeBytes, orientations, columnEnd, laterWinsEnd, gradients, magnitudes);
        voteRow(columnEnd, columnTable, cells, gradients, magnitudes, v128.load(rowTable + (<usize>y << 5), 16));
      }
      const upper = upperRow / histRowBytes;
      // Each own row is stored by the first band that votes into it (rows no band reaches are zeroed), then added to.
      let upperMode = SKIP;
      if (upper >= ownStart && upper < ownEnd) {
        upperMode = upper < written ? ADD : STORE;
        if (upperMode == STORE) written = zeroRows(hist, histPlaneBytes, histRowBytes, written, upper);
      }
      let lowerMode = SKIP;
      if (upper + 1 >= ownStart && upper + 1 < lowerEnd) {
        lowerMode = upper + 1 < written ? ADD : STORE;
        if (lowerMode == STORE) written = zeroRows(hist, histPlaneBytes, histRowBytes, written, upper + 1);
      }
      // Every band but a chunk's first adds to its upper row and stores its lower one: a loop compiled for that.
      if (upperMode == ADD && lowerMode == STORE) addBand(cells, hist + <usize>upperRow, <usize>histPlaneBytes, <usize>histRowBytes, histCols, ADD, STORE);
      else addBand(cells, hist + <usize>upperRow, <usize>histPlaneBytes, <usize>histRowBytes, histCols, upperMode, lowerMode);
    }
    zeroRows(hist, histPlaneBytes, histRowBytes, written, lowerEnd);
  }
}

/** What a band does with one of its two histogram rows. */
const SKIP = 0;
const ADD = 1;
const STORE = 2;

/** Zeros histogram rows [start, end) (rows no band votes into) and returns end + 1, the rows written once row end is stored. */
function zeroRows(hist: usize, histPlaneBytes: i32, histRowBytes: i32, start: i32, end: i32): i32 {
  if (start < end) {
    for (let b: usize = 0; b < BINS; b++) {
      memory.fill(hist + b * <usize>histPlaneBytes + <usize>start * <usize>histRowBytes, 0, <usize>(end - start) * <usize>histRowBytes);
    }
  }
  return end + 1;
}

/**
 * One pixel row's gradients: for pixel x (1 <= x < columnEnd + 7), the
 * address of its bin in the orientation table at `gradients + 4 * (x - 1)`
 * (i32) and its magnitude v at `magnitudes + 4 * (x - 1)` (f32).
 */
// @ts-ignore: decorator
@inline function gradientRow(
  rowPixels: usize, stride: usize, plane: usize, orientations: usize, columnEnd: i32, laterWinsEnd: i32, gradients: usize, magnitudes: usize,
): void {
  const centre = i32x4.splat(255 * 511 + 255 + <i32>orientations);
  // Two loops, so that each compiles with its tie rule fixed.
  const split = min(laterWinsEnd, columnEnd);
  let x = 1;
  for (; x < split; x += 8) gradients8(x, true, rowPixels, stride, plane, centre, gradients, magnitudes);
  for (; x < columnEnd; x += 8) gradients8(x, false, rowPixels, stride, plane, centre, gradients, magnitudes);
}

/** Pixels x to x + 7 of gradientRow, the later plane winning ties when `laterWins`. */
// @ts-ignore: decorator
@inline function gradients8(
  x: i32, laterWins: bool, rowPixels: usize, stride: usize, plane: usize, centre: v128, gradients: usize, magnitudes: usize,
): void {
  const p = rowPixels + <usize>x;
  // Each pixel's gradient as an (gx, gy) pair of i16 lanes: dot products give gx^2 + gy^2 per i32 lane.
  // The planes written out: a loop would compute each plane's address with a multiply.
  let gx = gradientX(p), gy = gradientY(p, stride);
  let low = pairsLow(gx, gy), high = pairsHigh(gx, gy);
  let lenLow = i32x4.dot_i16x8_s(low, low), lenHigh = i32x4.dot_i16x8_s(high, high);
  // The second plane, then the third.
  gx = gradientX(p + plane);
  gy = gradientY(p + plane, stride);
  let kLow = pairsLow(gx, gy), kHigh = pairsHigh(gx, gy);
  let kLenLow = i32x4.dot_i16x8_s(kLow, kLow), kLenHigh = i32x4.dot_i16x8_s(kHigh, kHigh);
  low = stronger(laterWins, kLow, kLenLow, low, lenLow);
  high = stronger(laterWins, kHigh, kLenHigh, high, lenHigh);
  lenLow = i32x4.max_s(kLenLow, lenLow);
  lenHigh = i32x4.max_s(kLenHigh, lenHigh);
  gx = gradientX(p + 2 * plane);
  gy = gradientY(p + 2 * plane, stride);
  kLow = pairsLow(gx, gy);
  kHigh = pairsHigh(gx, gy);
  kLenLow = i32x4.dot_i16x8_s(kLow, kLow);
  kLenHigh = i32x4.dot_i16x8_s(kHigh, kHigh);
  low = stronger(laterWins, kLow, kLenLow, low, lenLow);
  high = stronger(laterWins, kHigh, kLenHigh, high, lenHigh);
  lenLow = i32x4.max_s(kLenLow, lenLow);
  lenHigh = i32x4.max_s(kLenHigh, lenHigh);
  // The orientation table's index, (gy + 255) * 511 + gx + 255, as a dot product with (1, 511).
  const weights = i32x4.splat(511 << 16 | 1);
  const at = gradients + (<usize>(x - 1) << 2);
  v128.store(at, i32x4.add(i32x4.dot_i16x8_s(low, weights), centre));
  v128.store(at, i32x4.add(i32x4.dot_i16x8_s(high, weights), centre), 16);
  const m = magnitudes + (<usize>(x - 1) << 2);
  v128.store(m, f32x4.sqrt(f32x4.convert_i32x4_s(lenLow)));
  v128.store(m, f32x4.sqrt(f32x4.convert_i32x4_s(lenHigh)), 16);
}

/** Pixels q to q + 7 of a plane: I[y][x+1] - I[y][x-1] as i16 lanes. */
// @ts-ignore: decorator
@inline function gradientX(q: usize): v128 {
  return i16x8.sub(v128.load8x8_u(q + 1), v128.load8x8_u(q - 1));
}

/** Pixels q to q + 7 of a plane: I[y+1][x] - I[y-1][x] as i16 lanes. */
// @ts-ignore: decorator
@inline function gradientY(q: usize, stride: usize): v128 {
  return i16x8.sub(v128.load8x8_u(q + stride), v128.load8x8_u(q - stride));
}

/** The first four pixels' (gx, gy) pairs. */
// @ts-ignore: decorator
@inline function pairsLow(gx: v128, gy: v128): v128 {
  return i8x16.shuffle(gx, gy, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
}

/** The last four pixels' (gx, gy) pairs. */
// @ts-ignore: decorator
@inline function pairsHigh(gx: v128, gy: v128): v128 {
  return i8x16.shuffle(gx, gy, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}

/**
 * Per lane, a later plane's pairs where its squared length beats the best
 * so far (or equals it, if `laterWins`), else the best's. One compare either
 * way: x64 has no i32 "greater or equal", whose complement best > later is.
 */
// @ts-ignore: decorator
@inline function stronger(laterWins: bool, later: v128, laterLen: v128, best: v128, bestLen: v128): v128 {
  return laterWins ? select(best, later, i32x4.gt_s(bestLen, laterLen)) : select(later, best, i32x4.gt_s(laterLen, bestLen));
}

/** a's lanes where the mask (whole 32-bit lanes, all ones or all zeros) is set, else b's: one blend with relaxed SIMD. */
// @ts-ignore: decorator
@inline function select(a: v128, b: v128, mask: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_laneselect(a, b, mask);
  return v128.bitselect(a, b, mask);
}

/**
 * One pixel row's votes into the band's sums, from its gradients (pixel x's
 * at gradients + 4 * (x - 1) and magnitudes + 4 * (x - 1)) and the row's
 * weights [ry1, ry1, ry0, ry0].
 */
// @ts-ignore: decorator
@inline function voteRow(columnEnd: i32, columnTable: usize, cells: usize, gradients: usize, magnitudes: usize, rowWeights: v128): void {
  const upperLower = v128.shuffle<f32>(rowWeights, rowWeights, 0, 2, 0, 2);
  // Pointers stepped rather than indices scaled: each load's address is a register and a constant.
  let column = columnTable + 32;
  let g = gradients;
  let m = magnitudes;
  const end = gradients + (<usize>(columnEnd - 1) << 2);
  for (; g + 16 <= end; g += 16, m += 16, column += 128) {
    vote(cells, column, g, m, upperLower);
    vote(cells, column + 32, g + 4, m + 4, upperLower);
    vote(cells, column + 64, g + 8, m + 8, upperLower);
    vote(cells, column + 96, g + 12, m + 12, upperLower);
  }
  for (; g < end; g += 4, m += 4, column += 32) vote(cells, column, g, m, upperLower);
}

/**
 * A pixel's vote, ((v ry1) cx1, (v ry0) cx1, (v ry1) cx0, (v ry0) cx0), added to
 * its left cell column's sums for its bin: the row's weights are applied here
 * (a multiply) rather than by the gradient pass (two multiplies and two
 * shuffles for four pixels, on the ports its other shuffles need).
 */
// @ts-ignore: decorator
@inline function vote(cells: usize, column: usize, g: usize, m: usize, upperLower: v128): void {
  const w = f32x4.mul(v128.load(column, 16), f32x4.mul(v128.load32_splat(m), upperLower));
  const bin = <usize>load<u8>(<usize>load<i32>(g));
  const at = cells + <usize>load<i32>(column, 4) + (bin << 4);
  v128.store(at, f32x4.add(v128.load(at), w));
}

/**
 * A band's sums into its two histogram rows, four cells at a time, each row
 * skipped, added to or stored (its first band) by `upperMode` and
 * `lowerMode`: cell c of the upper row gets the upper-left sum of its own
 * column and the upper-right one of the column before; the lower row
 * likewise. The sums are left zero.
 */
// @ts-ignore: decorator
@inline function addBand(cells: usize, upper: usize, histPlane: usize, histRow: usize, histCols: i32, upperMode: i32, lowerMode: i32): void {
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
      // Lanes 0 and 1 of s_k: cell k's upper and lower sums.
      const s0 = f32x4.add(a0, v128.shuffle<f32>(before, before, 2, 3, 2, 3));
      const s1 = f32x4.add(a1, v128.shuffle<f32>(a0, a0, 2, 3, 2, 3));
      const s2 = f32x4.add(a2, v128.shuffle<f32>(a1, a1, 2, 3, 2, 3));
      const s3 = f32x4.add(a3, v128.shuffle<f32>(a2, a2, 2, 3, 2, 3));
      const t0 = v128.shuffle<f32>(s0, s1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(s2, s3, 0, 4, 1, 5);
      const cellsAt = h + b * histPlane;
      const upperSums = v128.shuffle<f32>(t0, t1, 0, 1, 4, 5);
      const lowerSums = v128.shuffle<f32>(t0, t1, 2, 3, 6, 7);
      if (upperMode == STORE) v128.store(cellsAt, upperSums);
      else if (upperMode == ADD) v128.store(cellsAt, f32x4.add(v128.load(cellsAt), upperSums));
      if (lowerMode == STORE) v128.store(cellsAt + histRow, lowerSums);
      else if (lowerMode == ADD) v128.store(cellsAt + histRow, f32x4.add(v128.load(cellsAt + histRow), lowerSums));
    }
  }
  memory.fill(cells, 0, <usize>histCols * CELL_BYTES);
}
