import type { Rectangle } from '../geometry/point-transforms.js';

/**
 * dlib's fHOG (`extract_fhog_features`, Felzenszwalb's HOG with 31 planes):
 * how an image's size maps to cells and padded feature planes, the tables
 * the HOG kernels read, and how feature cells map back to pixels.
 */

/** Orientation bins of the contrast-sensitive histogram. */
export const FHOG_BINS = 18;
/** Gradient components are differences of 8-bit values. */
const GRADIENT_RANGE = 255;
const GRADIENT_SIDE = 2 * GRADIENT_RANGE + 1;
/** Bytes per row or column entry of the cell kernel's tables. */
export const FHOG_TABLE_ENTRY_BYTES = 32;

/** dlib's unit vectors for the 9 orientations of 20 degrees, as f32 x, y pairs (dlib stores them as floats). */
export const FHOG_DIRECTIONS = Float32Array.from(
  [
    [1.0, 0.0],
    [0.9397, 0.342],
    [0.766, 0.6428],
    [0.5, 0.866],
    [0.1736, 0.9848],
    [-0.1736, 0.9848],
    [-0.5, 0.866],
    [-0.766, 0.6428],
    [-0.9397, 0.342],
  ].flat(),
);

export interface FhogGeometry {
  /** Histogram cells (dlib's `cells_nr`, `cells_nc`): the image size over the cell size, rounded. */
  cellRows: number;
  cellCols: number;
  /** Feature cells: two fewer than the histogram cells each way (a cell needs its neighbours' blocks). */
  hogRows: number;
  hogCols: number;
  /** Feature planes padded for a filter of filterRows x filterCols cells. */
  planeRows: number;
  planeCols: number;
  padTop: number;
  padLeft: number;
  /** Pixels [1, visibleRows) x [1, visibleCols) vote in the histograms. */
  visibleRows: number;
  visibleCols: number;
  /** dlib votes 8 pixels at a time below this column and one at a time from it on, which rounds differently. */
  eightWideEnd: number;
}

/** The fHOG layout of a width x height image, or undefined when it has no feature cells (dlib's empty planes). */
export function fhogGeometry(
  width: number,
  height: number,
  cellSize: number,
  filterRows: number,
  filterCols: number,
): FhogGeometry | undefined {
  const cellRows = Math.trunc(Math.fround(height / cellSize) + 0.5);
  const cellCols = Math.trunc(Math.fround(width / cellSize) + 0.5);
  const hogRows = cellRows - 2;
  const hogCols = cellCols - 2;
  if (hogRows <= 0 || hogCols <= 0) return undefined;
  const visibleCols = Math.min(cellCols * cellSize, width) - 1;
  let eightWideEnd = 1;
  while (eightWideEnd < visibleCols - 7) eightWideEnd += 8;
  return {
    cellRows,
    cellCols,
    hogRows,
    hogCols,
    planeRows: hogRows + filterRows - 1,
    planeCols: hogCols + filterCols - 1,
    padTop: Math.trunc((filterRows - 1) / 2),
    padLeft: Math.trunc((filterCols - 1) / 2),
    visibleRows: Math.min(cellRows * cellSize, height) - 1,
    visibleCols,
    eightWideEnd,
  };
}

/** Histogram rows: the cells and a border row on each side. */
export function fhogHistogramRows(g: FhogGeometry): number {
  return g.cellRows + 2;
}

/** Histogram columns: the cells and a border column on each side, rounded up to whole vectors of 4 (the cell kernel adds 4 at a time). */
export function fhogHistogramCols(g: FhogGeometry): number {
  return Math.ceil((g.cellCols + 2) / 4) * 4;
}

/** Bytes of the cell kernel's vote sums for one cell column: 18 bins of f32x4. */
const VOTE_CELL_BYTES = 288;

/** Bytes of the cell kernel's scratch for one thread: a cell column's vote sums for each histogram column and one more, then a row's gradients (a table address and a magnitude each). */
export function fhogVoteBytes(g: FhogGeometry): number {
  return (fhogHistogramCols(g) + 1) * VOTE_CELL_BYTES + (g.visibleCols + 7) * 8;
}

/**
 * dlib's snapping of a gradient to one of 18 orientations is a table for every
 * integer gradient (u8_direction_bins over FHOG_DIRECTIONS: the first
 * direction whose f32 dot product beats the best so far, its negation
 * counting as the direction + 9), indexed by (gy + 255) * 511 + gx + 255.
 */
export const ORIENTATION_RANGE = GRADIENT_RANGE;
export const ORIENTATION_TABLE_BYTES = GRADIENT_SIDE * GRADIENT_SIDE;

/** The cell kernel's tables of a level (see fhogCellTables). */
export interface FhogCellTables {
  rows: Uint8Array;
  columns: Uint8Array;
  firstPixelRows: Int32Array;
}

/**
 * The cell kernel's tables: for each pixel row, the byte offset of the upper
 * of its two histogram rows and the weights [vy1, vy1, vy0, vy0]; for each
 * pixel column, the byte offset of the left of its two histogram columns, that
 * column's offset in the kernel's vote sums and [vx1, vx1, vx0, vx0]. dlib computes the column position two ways (in its
 * 8-wide loop and in its one-at-a-time loop); both are reproduced. And for c
 * from 0 to the histogram's rows + 1, the first pixel row whose lower
 * histogram row is c or later: histogram rows [start, end) need pixel rows
 * [firstPixelRows[start], firstPixelRows[end + 1]).
 */
export function fhogCellTables(g: FhogGeometry, cellSize: number): FhogCellTables {
  const f32 = Math.fround;
  const histRowBytes = fhogHistogramCols(g) * 4;
  // Every field sits at a multiple of its size: written through typed views (an entry is 8 words).
  const words = FHOG_TABLE_ENTRY_BYTES / 4;
  const rows = new Uint8Array(g.visibleRows * FHOG_TABLE_ENTRY_BYTES);
  const rowInts = new Int32Array(rows.buffer);
  const rowFloats = new Float32Array(rows.buffer);
  const firstPixelRows = new Int32Array(fhogHistogramRows(g) + 2).fill(g.visibleRows);
  let firstPixelRowsSet = 0;
  for (let y = 1; y < g.visibleRows; y++) {
    const yp = f32((y + 0.5) / cellSize - 0.5);
    const cell = Math.floor(yp);
    const vy0 = f32(yp - cell);
    const vy1 = f32(1 - vy0);
    const at = y * words;
    rowInts[at] = (cell + 1) * histRowBytes;
    rowFloats[at + 4] = vy1;
    rowFloats[at + 5] = vy1;
    rowFloats[at + 6] = vy0;
    rowFloats[at + 7] = vy0;
    // Its histogram rows are cell + 1 and cell + 2: it is the first pixel row for the rows up to cell + 2 not yet reached.
    for (; firstPixelRowsSet <= cell + 2; firstPixelRowsSet++) firstPixelRows[firstPixelRowsSet] = y;
  }
  const columns = new Uint8Array(g.visibleCols * FHOG_TABLE_ENTRY_BYTES);
  const columnInts = new Int32Array(columns.buffer);
  const columnFloats = new Float32Array(columns.buffer);
  for (let x = 1; x < g.visibleCols; x++) {
    let cell: number;
    let vx0: number;
    if (x < g.eightWideEnd) {
      const xp = f32(f32(f32(x + 0.5) / cellSize) + 0.5);
      const shifted = Math.trunc(xp);
      vx0 = f32(xp - shifted);
      cell = shifted - 1;
    } else {
      const xp = f32((x + 0.5) / cellSize - 0.5);
      cell = Math.floor(xp);
      vx0 = f32(xp - cell);
    }
    const vx1 = f32(1 - vx0);
    const at = x * words;
    columnInts[at] = (cell + 1) * 4;
    columnInts[at + 1] = (cell + 1) * VOTE_CELL_BYTES;
    columnFloats[at + 4] = vx1;
    columnFloats[at + 5] = vx1;
    columnFloats[at + 6] = vx0;
    columnFloats[at + 7] = vx0;
  }
  return { rows, columns, firstPixelRows };
}

/**
 * dlib's `fhog_to_image` for a feature-plane rectangle: cell (x, y) of a plane
 * padded for a filterRows x filterCols filter maps to its cell's centre pixel
 * (corners moved half a cell outward from the image's first pixel).
 */
export function fhogRectToImage(r: Rectangle, cellSize: number, filterRows: number, filterCols: number): Rectangle {
  const point = (x: number, y: number): [number, number] => {
    const px = (x + 1 - Math.trunc((filterCols - 1) / 2)) * cellSize + 1;
    const py = (y + 1 - Math.trunc((filterRows - 1) / 2)) * cellSize + 1;
    const half = Math.trunc(cellSize / 2);
    return [px + (px >= 0 ? half : -half), py + (py >= 0 ? half : -half)];
  };
  const [left, top] = point(r.left, r.top);
  const [right, bottom] = point(r.right, r.bottom);
  return { left, top, right, bottom };
}
