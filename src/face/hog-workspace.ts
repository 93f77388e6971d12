import { FHOG_PLANES, type HogDetectorDescription } from '../dlib/hog-detector-reader.js';
import { alignBuffer, BUFFER_SLACK } from '../memory-layout.js';
import {
  bilinearResizeTables,
  RESIZE_GROUP_BYTES,
  RESIZE_ROW_BYTES,
  RESIZE_TAIL_BYTES,
  type BilinearResizeTables,
} from './bilinear-resize.js';
import {
  FHOG_BINS,
  FHOG_TABLE_ENTRY_BYTES,
  fhogCellTables,
  fhogGeometry,
  fhogHistogramCols,
  fhogHistogramRows,
  fhogVoteBytes,
  type FhogCellTables,
  type FhogGeometry,
} from './fhog.js';
import { detectorLevelCount, pyramidDownSize, pyramidUpSize, type Size } from './image-pyramid.js';

/** One image of the chain a detection runs through: the caller's, the up-sampled ones, the pyramid levels. */
export interface ChainImage extends Size {
  /** Byte offset of its first (red) plane; the others follow `planeBytes` apart. */
  address: number;
  planeBytes: number;
  /** How it is resized from the image before it in the chain (none for the first). */
  resizeTables: BilinearResizeTables | undefined;
}

export interface ScanLevel {
  image: ChainImage;
  /** Undefined when the level is too small to hold a feature cell (dlib scans nothing there). */
  fhog: FhogGeometry | undefined;
  /** The cell kernel's tables for that geometry. */
  cellTables: FhogCellTables | undefined;
  /**
   * The level's 31 feature planes, then one score plane per filter: in its
   * image's buffer, over the image, which is dead by then (see planHogWorkspace).
   */
  features: number;
  scores: number[];
}

/** A level with feature cells: the detector scans it. */
export type ScannedLevel = ScanLevel & { fhog: FhogGeometry; cellTables: FhogCellTables };

export const isScanned = (level: ScanLevel): level is ScannedLevel => level.fhog !== undefined && level.cellTables !== undefined;

/**
 * Where everything one detection needs lives in the detector's memory, for
 * one image size, upsampling and pixel format. Buffers are reused across
 * levels, so the largest level (the first) sizes them; the same inputs give
 * the same layout, so memory stays flat over repeated calls. The kernels'
 * resize and cell tables depend on the sizes alone: they are computed here
 * once, not at every detection of an image of this size.
 *
 * The images of the chain take turns in two buffers, and a level's features
 * and scores go in its own image's buffer: the detector makes the level's
 * histograms, then the next level's image (in the other buffer), and only
 * then the features, over the image no longer needed. Every page the
 * workspace takes is touched once, and a fresh page costs as much as
 * hundreds of pixels' work (~10 us a fault on some machines): a 1986x1545
 * photo up-sampled once takes 84 MB this way, 124 MB with the features and
 * scores in buffers of their own and the caller's pixels copied in whole.
 */
export interface HogWorkspace {
  key: string;
  /** End of the workspace: the memory it needs. */
  end: number;
  /** The caller's interleaved pixels, STAGED_PIXELS at a time, on their way to planes. */
  staging: number;
  /** The caller's image in planes, then each up-sampling of it; the last is level 0. */
  upsampling: ChainImage[];
  levels: ScanLevel[];
  resizeRows: number;
  resizeGroups: number;
  resizeTail: number;
  cellRowTable: number;
  cellColumnTable: number;
  cellFirstPixelRows: number;
  histogram: number;
  /** The cell kernel's vote sums, one slice per thread. */
  votes: number;
  energy: number;
  blockNorm: number;
  blockScale: number;
  /** Floats a row of the three normalization scratch planes. */
  normStride: number;
  /** The correlation bank's row sums, a band of rows per thread. */
  correlation: number;
  /** How many of a score plane's cells reach the threshold (an i32), then their indices (room for every cell). */
  scoreHits: number;
  /** The score correlations' table, rewritten for each level (SCORE_STEP_BYTES a step). */
  scoreSteps: number;
  /** The score planes' addresses (an i32 each), for the transform bank. */
  scoreOutputs: number;
  /** The transform bank's scratch, one share per thread. */
  transformScratch: number;
}

/** Bytes of a step of the correlation bank's table (f32_correlate_bank__simd128). */
export const SCORE_STEP_BYTES = 24;

/** Pixels of the caller's image copied in at a time (256 KB of RGBA): the image itself is not copied whole. */
export const STAGED_PIXELS = 1 << 16;

/** Lays out one detection's buffers from `start` on; `end` tells how much memory it needs. */
export function planHogWorkspace(
  size: Size,
  pixelStride: number,
  upsample: number,
  detector: HogDetectorDescription,
  scoreStepCount: number,
  transformScratchBytes: number,
  threads: number,
  start: number,
): HogWorkspace {
  let end = start;
  const take = (bytes: number) => {
    const at = end;
    end = alignBuffer(end + bytes + BUFFER_SLACK);
    return at;
  };
  const staging = take(Math.min(size.width * size.height, STAGED_PIXELS) * pixelStride);

  const sizes: Size[] = [size];
  for (let i = 0; i < upsample; i++) sizes.push(pyramidUpSize(sizes[sizes.length - 1]));
  const level0 = sizes[sizes.length - 1];
  const levelCount =
    level0.width * level0.height === 0
      ? 0
      : detectorLevelCount(level0, detector.minPyramidLayerWidth, detector.minPyramidLayerHeight, detector.maxPyramidLevels);
  for (let l = 1; l < levelCount; l++) sizes.push(pyramidDownSize(sizes[sizes.length - 1]));
  const geometries = sizes.map((s, i) =>
    i < upsample ? undefined : fhogGeometry(s.width, s.height, detector.cellSize, detector.filterRows, detector.filterCols),
  );
  // Within its buffer, a level's features (from the buffer's start) and scores.
  const scanLayouts = geometries.map((g) => {
    if (!g) return { scores: [] as number[], end: 0 };
    // The kernels take the feature planes one after another, the score planes each on its own.
    const planeBytes = g.planeRows * g.planeCols * 4;
    const scoresStart = alignBuffer(FHOG_PLANES * planeBytes + BUFFER_SLACK);
    const scoreBytes = alignBuffer(planeBytes + BUFFER_SLACK);
    const scores = detector.filters.map((_, f) => scoresStart + f * scoreBytes);
    return { scores, end: scoresStart + detector.filters.length * scoreBytes };
  });
  // The chain alternates between two buffers, each as large as the most an image of its turn needs.
  const bufferBytes = [0, 1].map((parity) =>
    sizes.reduce((most, s, i) => (i % 2 === parity ? Math.max(most, 3 * s.width * s.height, scanLayouts[i].end) : most), 0),
  );
  const buffers = bufferBytes.map((bytes) => take(bytes));
  const chain = sizes.map(
    (s, i): ChainImage => ({
      ...s,
      address: buffers[i % 2],
      planeBytes: s.width * s.height,
      resizeTables: i > 0 ? bilinearResizeTables(sizes[i - 1], s) : undefined,
    }),
  );

  const widest = sizes.reduce((most, s) => Math.max(most, s.width), 0);
  const tallest = sizes.reduce((most, s) => Math.max(most, s.height), 0);
  const resizeRows = take(tallest * RESIZE_ROW_BYTES);
  const resizeGroups = take(Math.ceil(widest / 4) * RESIZE_GROUP_BYTES);
  const resizeTail = take(widest * RESIZE_TAIL_BYTES);

  const levels = chain.slice(upsample).map((image, l): ScanLevel => {
    const fhog = geometries[upsample + l];
    return {
      image,
      fhog,
      cellTables: fhog && fhogCellTables(fhog, detector.cellSize),
      features: image.address,
      scores: scanLayouts[upsample + l].scores.map((at) => image.address + at),
    };
  });
  // Level 0 is the largest; when it holds no feature cell, no level does.
  const g = levels[0]?.fhog;
  const cellRows = g?.cellRows ?? 0;
  const cellCols = g?.cellCols ?? 0;
  const planeBytes = g ? g.planeRows * g.planeCols * 4 : 0;
  const normStride = Math.ceil(cellCols / 4) * 4 + 4;
  const cellRowTable = take(level0.height * FHOG_TABLE_ENTRY_BYTES);
  const cellColumnTable = take(level0.width * FHOG_TABLE_ENTRY_BYTES);
  const cellFirstPixelRows = take((g ? fhogHistogramRows(g) + 2 : 0) * 4);
  const histogram = take(FHOG_BINS * (g ? fhogHistogramRows(g) * fhogHistogramCols(g) : 0) * 4);
  const votes = take(threads * (g ? fhogVoteBytes(g) : 0));
  const energy = take(cellRows * normStride * 4);
  const blockNorm = take(cellRows * normStride * 4);
  const blockScale = take(cellRows * normStride * 4);
  // The bank's row sums: each thread's band of output rows and the filter's rows - 1 around it, three
  // times (up to three terms of a plane at a time).
  const bandRows = Math.ceil((g ? g.hogRows : 0) / threads);
  const correlation = take(threads * 3 * (bandRows + detector.filterRows - 1) * (g?.planeCols ?? 0) * 4);
  const scoreHits = take(4 + planeBytes);
  const scoreSteps = take(scoreStepCount * SCORE_STEP_BYTES);
  const scoreOutputs = take(detector.filters.length * 4);
  const transformScratch = take(g ? threads * transformScratchBytes : 0);
  return {
    key: workspaceKey(size, pixelStride, upsample),
    end,
    staging,
    upsampling: chain.slice(0, upsample + 1),
    levels,
    resizeRows,
    resizeGroups,
    resizeTail,
    cellRowTable,
    cellColumnTable,
    cellFirstPixelRows,
    histogram,
    votes,
    energy,
    blockNorm,
    blockScale,
    normStride,
    correlation,
    scoreHits,
    scoreSteps,
    scoreOutputs,
    transformScratch,
  };
}

export function workspaceKey(size: Size, pixelStride: number, upsample: number): string {
  return `${size.width}x${size.height}x${pixelStride}/${upsample}`;
}
