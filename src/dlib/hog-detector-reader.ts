import { InputError } from '../errors.js';
import { DlibByteReader, matrixSize } from './serialization.js';

/** fHOG planes per cell: 18 contrast-sensitive orientations, 9 insensitive, 4 gradient energies. */
export const FHOG_PLANES = 31;

/** One linear filter of a HOG detector and its detection threshold. */
export interface HogFilter {
  /** `[plane][row][col]`, `FHOG_PLANES * filterRows * filterCols` values, cross-correlated with the fHOG planes. */
  weights: Float64Array;
  /** A window is a detection when its score is at least this (plus the caller's adjustment). */
  threshold: number;
  /** Byte offset of the filter's weight vector in the file. */
  offset: number;
}

/**
 * dlib's `object_detector<scan_fhog_pyramid<pyramid_down<N>>>` as its
 * `serialize` writes it (see `shared/reference/FRONTAL_FACE_DETECTOR.md`).
 * The file does not say N; every detector dlib makes (the frontal face
 * detector and `train_simple_object_detector`'s) uses 6.
 */
export interface HogDetectorDescription {
  /** Pixels per fHOG cell side. */
  cellSize: number;
  /** Cells of context added around the detection window on every side. */
  padding: number;
  windowWidth: number;
  windowHeight: number;
  maxPyramidLevels: number;
  minPyramidLayerWidth: number;
  minPyramidLayerHeight: number;
  /** A training setting, kept for completeness. */
  nuclearNormRegularizationStrength: number;
  /** The filter size in cells (the window plus padding): dlib's fhog window height and width. */
  filterRows: number;
  filterCols: number;
  /** dlib's `test_box_overlap`: two boxes overlap when either threshold is exceeded. */
  overlap: { iouThreshold: number; percentCoveredThreshold: number };
  filters: HogFilter[];
}

/** Window sizes, cell size and padding far beyond any trained detector: a larger value is a corrupt field. */
const MAX_WINDOW_SIDE = 4096;
const MAX_CELL_SIZE = 256;
const MAX_PADDING = 64;
/** Filters are split by an SVD per plane at load: a larger filter would make loading crawl. */
const MAX_FILTER_CELLS = 64;
const MAX_FILTERS = 4096;
/** The shortest serialized double (`01 00 01 00`), for checking a matrix size against the bytes left. */
const MIN_DOUBLE_BYTES = 4;

/**
 * dlib's `compute_fhog_window_size`: the window `centered_rect((0,0), w, h)`
 * mapped to fHOG cells with `image_to_fhog` (C++ division, truncating toward
 * zero), grown by the padding.
 */
export function fhogWindowSize(
  windowWidth: number,
  windowHeight: number,
  cellSize: number,
  padding: number,
): { rows: number; cols: number } {
  const cells = (size: number) => {
    const low = -Math.trunc(size / 2);
    const high = low + size - 1;
    const toCell = (p: number) => Math.trunc((p - 1) / cellSize) - 1;
    return Math.max(toCell(high) - toCell(low) + 1 + 2 * padding, 0);
  };
  return { rows: cells(windowHeight), cols: cells(windowWidth) };
}

/** Reads dlib's serialized HOG object detector (`object_detector` versions 1 and 2). */
export function readHogDetector(source: Uint8Array | ArrayBuffer): HogDetectorDescription {
  const tag = Object.prototype.toString.call(source);
  if (tag !== '[object Uint8Array]' && tag !== '[object ArrayBuffer]') {
    throw new InputError(`a detector's bytes must be a Uint8Array or ArrayBuffer, not ${tag.slice(8, -1)}`);
  }
  const r = new DlibByteReader(source);
  if (r.remaining === 0) r.fail('the file is empty');
  const version = r.version('object_detector', 1, 2);
  r.version('scan_fhog_pyramid', 1);
  const cacheStart = r.offset;
  r.count('cached feature pyramid max_size');
  if (r.count('cached feature pyramid size') !== 0) {
    r.fail('the detector holds a cached feature pyramid, which dlib never saves', cacheStart);
  }
  const cellSizeAt = r.offset;
  const cellSize = r.int('cell_size', { max: MAX_CELL_SIZE });
  if (cellSize < 1) r.fail(`cell_size is ${cellSize}`, cellSizeAt);
  const padding = r.count('padding', MAX_PADDING);
  const windowWidth = positive(r, 'window_width', MAX_WINDOW_SIDE);
  const windowHeight = positive(r, 'window_height', MAX_WINDOW_SIDE);
  const maxPyramidLevels = positive(r, 'max_pyramid_levels', Number.MAX_SAFE_INTEGER);
  const minPyramidLayerWidth = positive(r, 'min_pyramid_layer_width', Number.MAX_SAFE_INTEGER);
  const minPyramidLayerHeight = positive(r, 'min_pyramid_layer_height', Number.MAX_SAFE_INTEGER);
  const nuclearNormRegularizationStrength = r.real('nuclear_norm_regularization_strength');
  const { rows: filterRows, cols: filterCols } = fhogWindowSize(windowWidth, windowHeight, cellSize, padding);
  if (filterRows > MAX_FILTER_CELLS || filterCols > MAX_FILTER_CELLS) {
    r.fail(
      `a ${windowWidth}x${windowHeight} window with cell size ${cellSize} and padding ${padding} is a filter of ${filterRows}x${filterCols} cells, more than the ${MAX_FILTER_CELLS}x${MAX_FILTER_CELLS} supported`,
      cellSizeAt,
    );
  }
  const dimensionsAt = r.offset;
  const dimensions = r.int('num_dimensions');
  if (dimensions !== FHOG_PLANES * filterRows * filterCols || dimensions === 0) {
    r.fail(
      `num_dimensions is ${dimensions}, but a ${windowWidth}x${windowHeight} window with cell size ${cellSize} and padding ${padding} has ${FHOG_PLANES} x ${filterRows} x ${filterCols} = ${FHOG_PLANES * filterRows * filterCols}`,
      dimensionsAt,
    );
  }
  const filters: HogFilter[] = [];
  let overlap: HogDetectorDescription['overlap'];
  if (version === 1) {
    filters.push(readFilter(r, dimensions, 0));
    overlap = readOverlapTester(r);
  } else {
    overlap = readOverlapTester(r);
    const count = r.count('number of filters', MAX_FILTERS);
    for (let i = 0; i < count; i++) filters.push(readFilter(r, dimensions, i));
  }
  if (filters.length === 0) r.fail('the detector has no filters');
  return {
    cellSize,
    padding,
    windowWidth,
    windowHeight,
    maxPyramidLevels,
    minPyramidLayerWidth,
    minPyramidLayerHeight,
    nuclearNormRegularizationStrength,
    filterRows,
    filterCols,
    overlap,
    filters,
  };
}

function positive(r: DlibByteReader, what: string, max: number): number {
  const at = r.offset;
  const value = r.count(what, max);
  if (value === 0) r.fail(`${what} is 0`, at);
  return value;
}

function readOverlapTester(r: DlibByteReader): HogDetectorDescription['overlap'] {
  const iouAt = r.offset;
  const iouThreshold = r.real('test_box_overlap iou_thresh');
  if (!(iouThreshold >= 0 && iouThreshold <= 1)) r.fail(`test_box_overlap iou_thresh ${iouThreshold} is not in [0, 1]`, iouAt);
  const coveredAt = r.offset;
  const percentCoveredThreshold = r.real('test_box_overlap percent_covered_thresh');
  if (!(percentCoveredThreshold >= 0 && percentCoveredThreshold <= 1)) {
    r.fail(`test_box_overlap percent_covered_thresh ${percentCoveredThreshold} is not in [0, 1]`, coveredAt);
  }
  return { iouThreshold, percentCoveredThreshold };
}

/** A `matrix<double,0,1>` of `dimensions` filter weights and the threshold after them. */
function readFilter(r: DlibByteReader, dimensions: number, index: number): HogFilter {
  const offset = r.offset;
  const what = `filter ${index}`;
  const { rows, cols } = matrixSize(r, what);
  if (cols !== 1 || rows !== dimensions + 1) {
    r.fail(`${what} is a ${rows}x${cols} matrix; expected ${dimensions + 1}x1 (the weights and the threshold)`, offset);
  }
  if (rows * MIN_DOUBLE_BYTES > r.remaining) r.fail(`unexpected end of data: ${what} needs ${rows} numbers, ${r.remaining} bytes left`);
  const weights = new Float64Array(dimensions);
  // One name for all the weights (an error's byte offset says which): 15,500 names would take longer than the reading.
  const weightWhat = `${what} weight`;
  r.finiteReals(weights, 0, dimensions, weightWhat);
  const threshold = r.finiteReal(`${what} threshold`);
  return { weights, threshold, offset };
}
