import { FHOG_PLANES, type HogFilter } from '../dlib/hog-detector-reader.js';
import { singularValueDecomposition } from '../math/singular-value-decomposition.js';

/** One rank-1 term of a plane's filter: the column taps times the row taps. */
export interface SeparableTerm {
  plane: number;
  /** `filterCols` taps along a row. */
  row: Float32Array;
  /** `filterRows` taps down a column. */
  column: Float32Array;
}

/**
 * dlib's `build_fhog_filterbank`: each plane's filter split by its SVD into
 * rank-1 terms, dropping singular values below max(1e-4, 0.001 · largest),
 * each term's vectors scaled by the square root of its singular value and
 * rounded to f32. Terms are in dlib's order, plane by plane and largest
 * singular value first, which is the order their scores are summed in.
 */
export function separableTerms(filter: HogFilter, filterRows: number, filterCols: number): SeparableTerm[] {
  const size = filterRows * filterCols;
  const terms: SeparableTerm[] = [];
  for (let plane = 0; plane < FHOG_PLANES; plane++) {
    const { u, s, v } = singularValueDecomposition(filter.weights.subarray(plane * size, (plane + 1) * size), filterRows, filterCols);
    const keep = Math.max(1e-4, s[0] * 0.001);
    for (let j = 0; j < s.length; j++) {
      if (!(s[j] >= keep)) continue;
      const scale = Math.sqrt(s[j]);
      const column = new Float32Array(filterRows);
      const row = new Float32Array(filterCols);
      for (let i = 0; i < filterRows; i++) column[i] = u[j * filterRows + i] * scale;
      for (let i = 0; i < filterCols; i++) row[i] = v[j * filterCols + i] * scale;
      terms.push({ plane, row, column });
    }
  }
  return terms;
}

/**
 * dlib scores with the rank-1 terms only when they are fewer than
 * planes · min(rows, cols) / 3; otherwise it applies the full filters.
 */
export function usesSeparableTerms(termCount: number, filterRows: number, filterCols: number): boolean {
  return termCount <= (FHOG_PLANES * Math.min(filterRows, filterCols)) / 3;
}
