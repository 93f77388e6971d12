import { FHOG_PLANES, type HogDetectorDescription } from '../dlib/hog-detector-reader.js';
import type { Rectangle } from '../geometry/point-transforms.js';
import { alignBuffer, ArenaAllocator, BUFFER_SLACK } from '../memory-layout.js';
import { bilinearResizeTables, RESIZE_ROW_BYTES, type BilinearResizeTables } from './bilinear-resize.js';
import {
  FHOG_BINS,
  fhogCellTables,
  fhogGeometry,
  fhogHistogramCols,
  fhogHistogramRows,
  fhogVoteBytes,
  type FhogCellTables,
  type FhogGeometry,
} from './fhog.js';
import { LEVEL_WINDOWS, scheduleHogScan, type HogStep, type ScheduleImage, type ScheduleLevel } from './hog-schedule.js';
import type { Scoring } from './hog-score-plan.js';
import { detectorLevelCount, pyramidDownSize, pyramidUpSize, type Size } from './image-pyramid.js';

/** One image of the chain a detection runs through: the caller's, the up-sampled ones, the pyramid levels. */
export interface ChainImage extends Size {
  /** How it is resized from the image before it in the chain (none for the first), and where those tables are. */
  resize: { tables: BilinearResizeTables; rows: number; groups: number; tail: number } | undefined;
}

/** A level the detector scans: one with feature cells (the levels below the first without any are not made). */
export interface ScanLevel {
  /** Its image in the chain. */
  image: number;
  fhog: FhogGeometry;
  /** The cell kernel's tables for that geometry, and where they are. */
  cells: { tables: FhogCellTables; rows: number; columns: number; firstPixelRows: number };
  scoring: Scoring;
  /** The feature-plane cells scored (where the whole filter lies on the plane). */
  area: Rectangle;
  /** Histogram rows of a chunk of the cell kernel (a thread's share of a call). */
  chunkRows: number;
}

/**
 * Rows of some planes kept in a region of the workspace: plane p's row r at
 * start + p * planeBytes + (r - low) * rowBytes while the window holds rows
 * from `low` on (the schedule's slides move `low` down the image).
 */
export interface RowWindow {
  start: number;
  rowBytes: number;
  planes: number;
  planeBytes: number;
  rows: number;
  /** `low` when a detection starts. */
  firstRow: number;
}

/**
 * Where everything one detection needs lives in the detector's memory, for
 * one image size, upsampling and pixel format, and the schedule of its steps
 * (see hog-schedule.ts): the images, histograms, normalization scratch,
 * features and scores are windows of rows, not whole planes. The same inputs
 * give the same layout, so memory stays flat over repeated calls. The
 * kernels' tables depend on the sizes alone: they are computed here once
 * and written into memory once.
 */
export interface HogWorkspace {
  key: string;
  /** End of the workspace: the memory it needs. */
  end: number;
  /** The caller's interleaved pixels, STAGED_PIXELS at a time, on their way to planes. */
  staging: number;
  /** The caller's image, each up-sampling of it, then the levels scanned. */
  chain: ChainImage[];
  levels: ScanLevel[];
  steps: HogStep[];
  /** The chain images' windows, then LEVEL_WINDOWS for each level (hog-schedule.ts's LevelWindow). */
  windows: RowWindow[];
  /** The cell kernel's vote sums, one slice per thread. */
  votes: number;
  voteBytes: number;
  /** Floats a row of the three normalization scratch planes. */
  normStride: number;
  /** The correlation bank's row sums, a band of rows per thread. */
  correlation: number;
  /** How many of a score band's cells reach the threshold (an i32), then their indices (room for every cell). */
  scoreHits: number;
  /** The score correlations' table, rewritten for each band (SCORE_STEP_BYTES a step). */
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

/**
 * How the schedule bands each image: one of up to WHOLE_IMAGE_PIXELS is made
 * whole, and its level scanned in one go, as whole planes were (a band costs
 * some locality: each kernel's code and tables go cold between bands, 5-7%
 * of a small photo's detection); a larger one ~IMAGE_BAND_PIXELS (at least
 * 64 rows) at a time. Its histograms come in calls of an eighth as many rows
 * (each takes the row the call before stored for it: no pixel row is read
 * twice); a call of the correlation bank makes at least SCORE_BAND_ROWS rows
 * (each sums the 9 rows around its band again).
 */
const WHOLE_IMAGE_PIXELS = 1 << 20;
const IMAGE_BAND_PIXELS = 64 * 4096;
const SCORE_BAND_ROWS = 64;

/** Lays out one detection's buffers from `start` on, and its steps; `end` tells how much memory it needs. */
export function planHogWorkspace(
  size: Size,
  pixelStride: number,
  upsample: number,
  detector: HogDetectorDescription,
  scoringOf: (g: FhogGeometry) => Scoring,
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

  const { cellSize, filterRows, filterCols } = detector;
  const sizes: Size[] = [size];
  for (let i = 0; i < upsample; i++) sizes.push(pyramidUpSize(sizes[sizes.length - 1]));
  const level0 = sizes[sizes.length - 1];
  const levelCount =
    level0.width * level0.height === 0
      ? 0
      : detectorLevelCount(level0, detector.minPyramidLayerWidth, detector.minPyramidLayerHeight, detector.maxPyramidLevels);
  // Levels get smaller: the first without a feature cell ends the chain.
  const geometries: FhogGeometry[] = [];
  for (let l = 0, s = level0; l < levelCount; l++, s = pyramidDownSize(s)) {
    const g = fhogGeometry(s.width, s.height, cellSize, filterRows, filterCols);
    if (!g) break;
    if (l > 0) sizes.push(s);
    geometries.push(g);
  }
  // Nothing to scan, nothing to make.
  if (geometries.length === 0) sizes.length = 0;

  const chain = sizes.map((s, i): ChainImage => {
    if (i === 0) return { ...s, resize: undefined };
    const tables = bilinearResizeTables(sizes[i - 1], s);
    return { ...s, resize: { tables, rows: 0, groups: 0, tail: 0 } };
  });
  const levels = geometries.map((g, l): ScanLevel => {
    const firstRow = Math.trunc(filterRows / 2);
    const firstCol = Math.trunc(filterCols / 2);
    const area = {
      left: firstCol,
      top: firstRow,
      right: g.planeCols - Math.trunc((filterCols - 1) / 2) - 1,
      bottom: g.planeRows - Math.trunc((filterRows - 1) / 2) - 1,
    };
    const tables = fhogCellTables(g, cellSize);
    return {
      image: upsample + l,
      fhog: g,
      cells: { tables, rows: 0, columns: 0, firstPixelRows: 0 },
      scoring: scoringOf(g),
      area,
      chunkRows: 0,
    };
  });

  const whole = ({ width, height }: Size) => width * height <= WHOLE_IMAGE_PIXELS;
  const bandRows = (image: Size) => (whole(image) ? image.height : Math.max(64, Math.ceil(IMAGE_BAND_PIXELS / image.width)));
  for (const level of levels) {
    const image = chain[level.image];
    const histBand = whole(image) ? fhogHistogramRows(level.fhog) : Math.ceil(bandRows(image) / 8);
    level.chunkRows = Math.ceil(histBand / threads);
  }
  const schedule =
    levels.length === 0
      ? { steps: [], windowRows: [], firstRows: [], mostScoreRows: 0, lifetimes: [] }
      : scheduleHogScan(
          chain.map((image): ScheduleImage => {
            if (!image.resize) return { height: image.height, bandRows: bandRows(image) };
            const ints = new Int32Array(image.resize.tables.rows.buffer);
            const words = RESIZE_ROW_BYTES / 4;
            const top = Int32Array.from({ length: image.height }, (_, r) => ints[r * words]);
            const bottom = Int32Array.from({ length: image.height }, (_, r) => ints[r * words + 1]);
            return { height: image.height, bandRows: bandRows(image), sourceRows: { top, bottom } };
          }),
          levels.map(
            (level): ScheduleLevel => ({
              image: level.image,
              histRows: fhogHistogramRows(level.fhog),
              cellRows: level.fhog.cellRows,
              hogRows: level.fhog.hogRows,
              firstPixelRows: level.cells.tables.firstPixelRows,
              padTop: level.fhog.padTop,
              planeRows: level.fhog.planeRows,
              scoreStart: level.area.top,
              scoreEnd: level.area.bottom + 1,
              anchorRow: Math.trunc(filterRows / 2),
              tapRows: filterRows,
              tileRows: level.scoring.kind === 'transform' ? 2 ** level.scoring.bits - filterRows + 1 : undefined,
              histBandRows: level.chunkRows * threads,
            }),
          ),
          SCORE_BAND_ROWS,
        );

  const g0 = geometries[0];
  const normStride = g0 ? Math.ceil(g0.cellCols / 4) * 4 + 4 : 0;
  const windowShapes = [
    ...chain.map((image) => ({ rowBytes: image.width, planes: 3 })),
    ...levels.flatMap(({ fhog: g }) => [
      { rowBytes: fhogHistogramCols(g) * 4, planes: FHOG_BINS },
      { rowBytes: normStride * 4, planes: 3 },
      { rowBytes: g.planeCols * 4, planes: FHOG_PLANES },
      { rowBytes: g.planeCols * 4, planes: detector.filters.length },
    ]),
  ];
  if (windowShapes.length !== chain.length + LEVEL_WINDOWS * levels.length) throw new Error('HOG workspace: windows miscounted');
  // Each window takes its place when first written and gives it back after its last step: a level scanned
  // whole leaves its place to the next level's (as the whole planes took turns in two buffers).
  const arena = new ArenaAllocator();
  const bytesOf = (w: number) => windowShapes[w].planes * schedule.windowRows[w] * windowShapes[w].rowBytes + BUFFER_SLACK;
  const offsets = windowShapes.map(() => 0);
  const ends = schedule.lifetimes.map(([, last], w) => ({ w, last })).sort((a, b) => a.last - b.last);
  const starts = schedule.lifetimes.map(([first], w) => ({ w, first })).sort((a, b) => a.first - b.first);
  for (let s = 0, e = 0; s < starts.length; s++) {
    // Those whose last step came before this one's first are free.
    for (; e < ends.length && ends[e].last < starts[s].first; e++) arena.free(offsets[ends[e].w]);
    offsets[starts[s].w] = arena.allocate(bytesOf(starts[s].w));
  }
  const windowsStart = take(arena.peak);
  const windows = windowShapes.map(({ rowBytes, planes }, w): RowWindow => {
    const rows = schedule.windowRows[w];
    return { start: windowsStart + offsets[w], rowBytes, planes, planeBytes: rows * rowBytes, rows, firstRow: schedule.firstRows[w] };
  });

  for (const image of chain) {
    if (!image.resize) continue;
    const { tables } = image.resize;
    image.resize.rows = take(tables.rows.length);
    image.resize.groups = take(tables.groups.length);
    image.resize.tail = take(tables.tail.length);
  }
  for (const { cells } of levels) {
    cells.rows = take(cells.tables.rows.length);
    cells.columns = take(cells.tables.columns.length);
    cells.firstPixelRows = take(cells.tables.firstPixelRows.byteLength);
  }
  const voteBytes = g0 ? fhogVoteBytes(g0) : 0;
  const votes = take(threads * voteBytes);
  const widestPlane = g0?.planeCols ?? 0;
  // The bank's row sums: each thread's band of output rows and the filter's rows - 1 around it, three
  // times (up to three terms of a plane at a time).
  const bankBandRows = Math.ceil(schedule.mostScoreRows / threads);
  const correlation = take(threads * 3 * (bankBandRows + filterRows - 1) * widestPlane * 4);
  const scoreHits = take(4 + schedule.mostScoreRows * widestPlane * 4);
  const scoreSteps = take(scoreStepCount * SCORE_STEP_BYTES);
  const scoreOutputs = take(detector.filters.length * 4);
  const transformScratch = take(g0 ? threads * transformScratchBytes : 0);
  return {
    key: workspaceKey(size, pixelStride, upsample),
    end,
    staging,
    chain,
    levels,
    steps: schedule.steps,
    windows,
    votes,
    voteBytes,
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
