import { FHOG_PLANES, type HogDetectorDescription } from '../dlib/hog-detector-reader.js';
import type { SeparableTerm } from './fhog-filterbank.js';
import { usesSeparableTerms } from './fhog-filterbank.js';

/**
 * How a level's scores are computed: by the correlation bank (dlib's rank-1
 * terms, or whole plane filters), or by FFT tiles of 2^bits x 2^bits cells
 * (overlap-save: each tile scores n - filterRows + 1 rows by n - filterCols + 1
 * columns), whichever costs less for the level's size.
 */
export type Scoring = { kind: 'bank' } | { kind: 'transform'; bits: number; tiles: number };

/**
 * The tile sizes the detector transforms with (log2), and what a tile costs
 * as multiply-adds of the bank would (each step's row and column taps, or its
 * whole filter, a cell): measured with 31 planes into 5 filters, relaxed SIMD
 * (bench/RESULTS.md, session fftbank): ~60 us a 32 x 32 tile (23 x 23 cells),
 * 4.4 times that a 64 x 64 one (55 x 55 cells; its spectra, 2.6 MB, outgrow a
 * core's second-level cache), against 0.042 ns a multiply-add of the bank.
 */
export const TRANSFORM_TILES: ReadonlyArray<{ bits: number; bankMacs: number }> = [
  { bits: 5, bankMacs: 1.42e6 },
  { bits: 6, bankMacs: 6.2e6 },
];

/** The cheaper way to score rows x cols output cells, given the bank's multiply-adds a cell. */
export function chooseScoring(rows: number, cols: number, bankMacsPerCell: number, filterRows: number, filterCols: number): Scoring {
  let best: Scoring = { kind: 'bank' };
  let least = rows * cols * bankMacsPerCell;
  for (const { bits, bankMacs } of TRANSFORM_TILES) {
    if (!tileFits(bits, filterRows, filterCols)) continue;
    const tiles = transformTiles(bits, rows, cols, filterRows, filterCols);
    if (tiles * bankMacs < least) {
      best = { kind: 'transform', bits, tiles };
      least = tiles * bankMacs;
    }
  }
  return best;
}

/** Whether tiles of 2^bits x 2^bits can hold a filter's taps with a cell to score (the spectra need n > taps). */
export function tileFits(bits: number, filterRows: number, filterCols: number): boolean {
  return 2 ** bits > Math.max(filterRows, filterCols);
}

/** The tiles of 2^bits x 2^bits that score rows x cols output cells. */
export function transformTiles(bits: number, rows: number, cols: number, filterRows: number, filterCols: number): number {
  const n = 2 ** bits;
  return Math.ceil(rows / (n - filterRows + 1)) * Math.ceil(cols / (n - filterCols + 1));
}

/** n cosines, then n sines, of 2πj / n: the FFT kernels' twiddles. */
export function fftTwiddles(n: number): Float32Array {
  const t = new Float32Array(2 * n);
  for (let j = 0; j < n; j++) {
    t[j] = Math.cos((2 * Math.PI * j) / n);
    t[n + j] = Math.sin((2 * Math.PI * j) / n);
  }
  return t;
}

/** Bytes of a tile size's spectra of `filters` filters (f32_correlate_fft_spectra__simd128: pairs of planes). */
export function transformSpectraBytes(bits: number, filters: number): number {
  return 8 * 4 ** bits * Math.ceil(FHOG_PLANES / 2) * filters;
}

/** Bytes of one thread's scratch for the transform bank: a tile's planes and filters' spectra, and the FFT's second tile. */
export function transformScratchBytes(bits: number, filters: number): number {
  return (8 * 4 ** bits + 192) * (Math.ceil(FHOG_PLANES / 2) + filters + 1);
}

/**
 * Each filter's plane filters, filterRows x filterCols row-major, filter by
 * filter, plane by plane: what the bank's steps sum to, the sum of the
 * plane's rank-1 terms (column times row) where dlib splits the filter, else
 * the filter's own weights.
 */
export function planeFilters(description: HogDetectorDescription, filterbank: SeparableTerm[][]): Float32Array {
  const { filters, filterRows, filterCols } = description;
  const size = filterRows * filterCols;
  const out = new Float32Array(filters.length * FHOG_PLANES * size);
  filters.forEach((filter, f) => {
    const terms = filterbank[f];
    if (!usesSeparableTerms(terms.length, filterRows, filterCols)) {
      out.set(filter.weights.subarray(0, FHOG_PLANES * size), f * FHOG_PLANES * size);
      return;
    }
    const sums = new Float64Array(FHOG_PLANES * size);
    for (const { plane, row, column } of terms) {
      for (let m = 0; m < filterRows; m++)
        for (let n = 0; n < filterCols; n++) sums[plane * size + m * filterCols + n] += column[m] * row[n];
    }
    out.set(sums, f * FHOG_PLANES * size);
  });
  return out;
}
