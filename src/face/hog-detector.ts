import { FHOG_PLANES, readHogDetector, type HogDetectorDescription } from '../dlib/hog-detector-reader.js';
import { growKernelMemory, instantiateKernels, type Kernels, type WasmSource } from '../engine/kernels.js';
import { alignBuffer, pagesFor, RESERVED_BYTES } from '../memory-layout.js';
import { runWhole, type ItemSplit, type ParallelCall } from '../engine/parallel-call.js';
import { hardwareThreads } from '../engine/spawn-workers.js';
import { loadKernelsAndMemory, ThreadTeam } from '../engine/thread-team.js';
import { DisposedError, InputError } from '../errors.js';
import type { Rectangle } from '../geometry/point-transforms.js';
import { describeRgbImage, type RgbImage } from '../image.js';
import { readModelSource, type ModelSource } from '../model-source.js';
import {
  fhogHistogramCols,
  fhogHistogramRows,
  fhogVoteBytes,
  fhogRectToImage,
  FHOG_DIRECTIONS,
  ORIENTATION_RANGE,
  ORIENTATION_TABLE_BYTES,
  type FhogGeometry,
} from './fhog.js';
import { type SeparableTerm, separableTerms, usesSeparableTerms } from './fhog-filterbank.js';
import {
  chooseScoring,
  fftTwiddles,
  planeFilters,
  TRANSFORM_TILES,
  tileFits,
  transformScratchBytes,
  transformSpectraBytes,
  type Scoring,
} from './hog-score-plan.js';
import {
  planHogWorkspace,
  SCORE_STEP_BYTES,
  STAGED_PIXELS,
  workspaceKey,
  type ChainImage,
  type HogWorkspace,
  isScanned,
  type ScannedLevel,
} from './hog-workspace.js';
import { rectDownFromUpsampled, rectUpFromLevel } from './image-pyramid.js';
import { suppressOverlaps } from './non-max-suppression.js';
import { leastF32AtLeast } from '../math/f32-rounding.js';
import { checkDetectOptions, type DetectFacesOptions } from './detect-options.js';

export { DEFAULT_UPSAMPLE, MAX_UPSAMPLE, type DetectFacesOptions } from './detect-options.js';

/** A face found by the detector, as dlib's `rect_detection`. */
export interface FaceDetection {
  /** In the caller's image, with dlib's inclusive pixel bounds. */
  rect: Rectangle;
  /** The window's score minus its filter's threshold: above 0 for a detection at the default threshold. */
  confidence: number;
  /** Which of the detector's filters found it (the frontal face detector's 0-4: frontal, looking left, looking right, rotated left, rotated right). */
  weightIndex: number;
}

export interface FrontalFaceDetectorOptions {
  wasm?: WasmSource;
  /**
   * Threads that share each image's resizing and filtering (by rows), where
   * the runtime can share memory with workers. Default: the cores the
   * runtime reports, as the network's `threads`; 1 starts no worker.
   */
  threads?: number;
  /** Where the threads' worker script is, where blob: workers are forbidden (see EngineOptions.workerUrl). */
  workerUrl?: string | URL;
  /**
   * This very detector's filterbank as its `filterbank` gave it (a cache's):
   * taken instead of splitting every filter by its SVD again (20-35 ms).
   */
  filterbank?: SeparableTerm[][];
}

/** dlib's HOG face detector (or any detector saved from dlib's `object_detector<scan_fhog_pyramid<pyramid_down<6>>>`). */
export interface FrontalFaceDetector {
  /**
   * The faces in an image (RGB or RGBA bytes), as dlib reports them: after
   * non-max suppression, highest confidence first. An image with no pixels,
   * or too small for one feature cell, has none.
   */
  detectFaces(image: RgbImage, options?: DetectFacesOptions): FaceDetection[];
  /** The detector as read from its file (frozen). */
  readonly description: HogDetectorDescription;
  /** Each filter's rank-1 terms (dlib's build_fhog_filterbank, see separableTerms), as the detector scores with them or not. */
  readonly filterbank: SeparableTerm[][];
  /** Bytes of WebAssembly memory held; 0 once disposed. */
  readonly memoryBytes: number;
  /** The threads it really uses (1 where the runtime cannot share memory with workers). */
  readonly threads: number;
  /** Frees the detector's memory; any later call throws DisposedError. */
  dispose(): void;
}

/** The most WebAssembly memory one detection may take, so that absurd sizes fail before allocating. */
export const MAX_DETECTOR_MEMORY_BYTES = 2 ** 31;
/** The detector's constants start with the orientation table. */
const ORIENTATIONS = RESERVED_BYTES;
/**
 * Rough work per pixel, as multiply-adds, for the thread team to judge whether a
 * kernel's rows are worth splitting: a bilinear sample of three planes; a
 * pixel's gradients in three planes and its votes into four cells.
 */
const RESIZE_MACS_PER_PIXEL = 12;
const FHOG_MACS_PER_PIXEL = 16;

/**
 * Loads dlib's serialized HOG detector (`frontal_face_detector.dat`, which is
 * `serialize(get_frontal_face_detector())`) and compiles the kernels.
 */
export async function loadFrontalFaceDetector(source: ModelSource, options: FrontalFaceDetectorOptions = {}): Promise<FrontalFaceDetector> {
  const description = readHogDetector(await readModelSource(source));
  // Detection reads its settings from here: the caller may look, not change.
  for (const part of [description, description.overlap, description.filters, ...description.filters]) Object.freeze(part);
  const { filterRows, filterCols } = description;
  const threads = options.threads ?? (await hardwareThreads());

  // Constants first: the orientation table, then the directions it is made of, then every filter's taps.
  let constantsEnd = ORIENTATIONS + Math.ceil(ORIENTATION_TABLE_BYTES / 16) * 16;
  const placed: Array<{ at: number; values: Float32Array }> = [];
  const place = (values: Float32Array) => {
    const at = constantsEnd;
    placed.push({ at, values });
    constantsEnd += values.byteLength;
    return at;
  };
  const directions = place(FHOG_DIRECTIONS);
  const steps: ScoreStep[] = [];
  const filterbank = options.filterbank ?? description.filters.map((f) => separableTerms(f, filterRows, filterCols));
  checkFilterbank(filterbank, description);
  description.filters.forEach((f, filter) => {
    const terms = filterbank[filter];
    if (usesSeparableTerms(terms.length, filterRows, filterCols)) {
      terms.forEach((t, i) =>
        steps.push({
          filter,
          plane: t.plane,
          first: i === 0,
          kind: 'rank-1',
          rowTaps: place(t.row),
          columnTaps: place(t.column),
        }),
      );
    } else {
      const size = filterRows * filterCols;
      for (let plane = 0; plane < FHOG_PLANES; plane++) {
        const planeTaps = Float32Array.from(f.weights.subarray(plane * size, (plane + 1) * size));
        steps.push({ filter, plane, first: plane === 0, kind: 'full', taps: place(planeTaps) });
      }
    }
  });
  // Then each transform tile size's twiddles and the filters' spectra, computed once loaded.
  const filterCount = description.filters.length;
  const transforms = TRANSFORM_TILES.filter(({ bits }) => tileFits(bits, filterRows, filterCols)).map(({ bits, bankMacs }): Transform => {
    const twiddles = place(fftTwiddles(2 ** bits));
    constantsEnd = alignBuffer(constantsEnd);
    const spectra = constantsEnd;
    constantsEnd += transformSpectraBytes(bits, filterCount);
    return { bits, bankMacs, twiddles, spectra };
  });
  // The spectra are computed from the plane filters in the memory the workspace takes later.
  const filtersAt = alignBuffer(constantsEnd);
  const perPlane = planeFilters(description, filterbank);
  const spectraScratch = alignBuffer(filtersAt + perPlane.byteLength);
  const loadingEnd = spectraScratch + transforms.reduce((most, { bits }) => Math.max(most, 16 * 4 ** bits), 0);
  const { module, sharedMemory, spawn, memory } = await loadKernelsAndMemory(
    threads,
    options.wasm ?? {},
    options.workerUrl,
    pagesFor(Math.max(constantsEnd, loadingEnd)) + 1,
  );
  const kernels = await instantiateKernels(module, memory);
  for (const { at, values } of placed) new Float32Array(memory.buffer, at, values.length).set(values);
  const orientationRows = 2 * ORIENTATION_RANGE + 1;
  kernels.u8_direction_bins__simd128(directions, FHOG_DIRECTIONS.length / 2, ORIENTATION_RANGE, ORIENTATIONS, 0, orientationRows);
  new Float32Array(memory.buffer, filtersAt, perPlane.length).set(perPlane);
  for (const { bits, twiddles, spectra } of transforms) {
    kernels.f32_correlate_fft_spectra__simd128(
      filtersAt,
      FHOG_PLANES,
      filterCount,
      filterRows,
      filterCols,
      bits,
      twiddles,
      spectra,
      spectraScratch,
    );
  }
  const team = sharedMemory && spawn ? await ThreadTeam.create(spawn, module, memory, threads) : undefined;
  return new HogDetector(description, steps, transforms, { memory, kernels, team }, alignBuffer(constantsEnd), filterbank);
}

/** A filterbank given in options must be one of this detector's shape: a list of terms per filter, each over a plane, with its taps. */
function checkFilterbank(filterbank: SeparableTerm[][], { filters, filterRows, filterCols }: HogDetectorDescription): void {
  const fits =
    Array.isArray(filterbank) &&
    filterbank.length === filters.length &&
    filterbank.every(
      (terms) =>
        Array.isArray(terms) &&
        terms.every(
          (t) =>
            Number.isInteger(t?.plane) &&
            t.plane >= 0 &&
            t.plane < FHOG_PLANES &&
            t.row instanceof Float32Array &&
            t.row.length === filterCols &&
            t.column instanceof Float32Array &&
            t.column.length === filterRows,
        ),
    );
  if (!fits) {
    throw new InputError(
      `the filterbank option must be ${filters.length} lists of terms ({ plane, row: ${filterCols} taps, column: ${filterRows} taps }), as this detector's filterbank gives them`,
    );
  }
}

/**
 * One correlation added to a filter's scores, as dlib adds them: a rank-1
 * term (row taps, then column taps) when dlib splits the filter, or a whole
 * plane's filter (row-major taps) when it applies it unseparated.
 */
type ScoreStep = {
  filter: number;
  plane: number;
  /** The filter's first step, which writes its scores rather than adding to them. */
  first: boolean;
} & ({ kind: 'rank-1'; rowTaps: number; columnTaps: number } | { kind: 'full'; taps: number });

/** A transform tile size (log2), its cost as the bank's multiply-adds (TRANSFORM_TILES), and where its twiddles and the filters' spectra are. */
interface Transform {
  bits: number;
  bankMacs: number;
  twiddles: number;
  spectra: number;
}

/** The detector's memory, the kernels instantiated over it, and its threads if it has any. */
interface Runtime {
  memory: WebAssembly.Memory;
  kernels: Kernels;
  team: ThreadTeam | undefined;
}

/** Runs a kernel call on the detector's threads where it has any, else on the calling thread. */
function run(rt: Runtime, call: ParallelCall): void {
  if (rt.team) rt.team.run(rt.kernels, call);
  else runWhole(rt.kernels, call);
}

/**
 * Rows [rowStart, rowEnd) of a kernel whose last two arguments are a range of
 * rows, split among the threads where they are worth it: `macsPerRow` is the
 * multiply-adds of a row (or as much work).
 */
function rows(rowStart: number, rowEnd: number, macsPerRow: number): ItemSplit {
  return { first: rowStart, items: rowEnd - rowStart, macs: (rowEnd - rowStart) * macsPerRow };
}

/** What to try when scanning needs too much memory: each up-sampling doubles the image's sides. */
function smallerScanHint(upsample: number): string {
  return upsample > 0 ? `; try a smaller upsample (${upsample - 1}), or a smaller image` : '; try a smaller image';
}

class HogDetector implements FrontalFaceDetector {
  /** Dropped whole on dispose: the kernels' instance holds the memory too. */
  private runtime: Runtime | null;
  private workspace: HogWorkspace | undefined;
  /** Every filter's steps grouped by the feature plane they read, each filter's in its order. */
  private readonly steps: ScoreStep[];
  /** Whether a filter has any step (dlib scores nothing for a filter whose terms were all dropped). */
  private readonly scored: boolean[];
  /** Multiply-adds of all steps for one cell. */
  private readonly scoreMacsPerCell: number;

  constructor(
    readonly description: HogDetectorDescription,
    steps: ScoreStep[],
    private readonly transforms: Transform[],
    runtime: Runtime,
    private readonly workspaceStart: number,
    readonly filterbank: SeparableTerm[][],
  ) {
    this.runtime = runtime;
    this.steps = Array.from({ length: FHOG_PLANES }, (_, plane) => steps.filter((s) => s.plane === plane)).flat();
    this.scored = description.filters.map((_, filter) => steps.some((s) => s.filter === filter));
    const { filterRows, filterCols } = description;
    this.scoreMacsPerCell = steps.reduce((sum, s) => sum + (s.kind === 'full' ? filterRows * filterCols : filterRows + filterCols), 0);
  }

  get memoryBytes(): number {
    return this.runtime?.memory.buffer.byteLength ?? 0;
  }

  get threads(): number {
    return this.runtime?.team?.threads ?? 1;
  }

  dispose(): void {
    this.runtime?.team?.dispose();
    this.runtime = null;
    this.workspace = undefined;
  }

  detectFaces(image: RgbImage, options: DetectFacesOptions = {}): FaceDetection[] {
    const rt = this.runtime;
    if (!rt) throw new DisposedError('the detector has been disposed');
    const { upsample, adjustThreshold } = checkDetectOptions(options);
    const { width, height, pixelStride } = describeRgbImage(image, 'the image', 0);
    if (width === 0 || height === 0) return [];
    const { memory, kernels: k } = rt;
    const ws = this.prepareWorkspace(memory, width, height, pixelStride, upsample);
    const first = ws.upsampling[0];
    const pixels = width * height;
    for (let at = 0; at < pixels; at += STAGED_PIXELS) {
      const end = Math.min(at + STAGED_PIXELS, pixels);
      new Uint8Array(memory.buffer, ws.staging, (end - at) * pixelStride).set(image.data.subarray(at * pixelStride, end * pixelStride));
      k.u8_rgb_to_planar__simd128(ws.staging, pixelStride, first.address + at, first.planeBytes, 0, end - at);
    }
    for (let i = 1; i < ws.upsampling.length; i++) resize(rt, ws, ws.upsampling[i - 1], ws.upsampling[i]);

    const { cellSize, filterRows, filterCols, padding } = this.description;
    const boxRows = filterRows - 2 * padding;
    const boxCols = filterCols - 2 * padding;
    const found = this.description.filters.map((): Array<{ score: number; rect: Rectangle }> => []);
    ws.levels.forEach((level, l) => {
      // Levels get smaller: below the first with no feature cell, none has any.
      if (!isScanned(level)) return;
      const g = level.fhog;
      fhogCells(rt, ws, level, cellSize);
      // The next level's image before this one's features, which are written over this image.
      const next = ws.levels[l + 1];
      if (next && isScanned(next)) resize(rt, ws, level.image, next.image);
      fhogFeatures(rt, ws, level);
      const area = this.score(rt, ws, level);
      this.description.filters.forEach((filter, f) => {
        if (!this.scored[f]) return;
        const { planeCols } = g;
        // The cells whose score reaches the threshold, in row-major order (an f32 score is at or
        // above the threshold exactly when it is at or above the least f32 that is).
        new Int32Array(memory.buffer, ws.scoreHits, 1)[0] = 0;
        const threshold = leastF32AtLeast(filter.threshold + adjustThreshold);
        k.f32_indices_at_least__simd128(
          level.scores[f],
          planeCols,
          threshold,
          area.left,
          area.right + 1,
          ws.scoreHits + 4,
          ws.scoreHits,
          area.top,
          area.bottom + 1,
        );
        const hits = new Int32Array(memory.buffer, ws.scoreHits + 4, new Int32Array(memory.buffer, ws.scoreHits, 1)[0]);
        const scores = new Float32Array(memory.buffer, level.scores[f], g.planeRows * planeCols);
        for (const cell of hits) {
          const r = Math.trunc(cell / planeCols);
          const c = cell - r * planeCols;
          const box = {
            left: c - Math.trunc(boxCols / 2),
            top: r - Math.trunc(boxRows / 2),
            right: c - Math.trunc(boxCols / 2) + boxCols - 1,
            bottom: r - Math.trunc(boxRows / 2) + boxRows - 1,
          };
          found[f].push({ score: scores[cell], rect: rectUpFromLevel(fhogRectToImage(box, cellSize, filterRows, filterCols), l) });
        }
      });
    });

    rt.team?.park();
    // dlib sorts each filter's windows by score, then all filters' by confidence (both
    // highest first; its sort is not stable, so the order of exact ties is unspecified).
    const byDescending =
      <T>(key: (x: T) => number) =>
      (a: T, b: T) =>
        key(b) - key(a);
    const candidates = found.flatMap((windows, f) =>
      windows
        .sort(byDescending((w) => w.score))
        .map((w) => ({ rect: w.rect, confidence: w.score - this.description.filters[f].threshold, weightIndex: f })),
    );
    candidates.sort(byDescending((d) => d.confidence));
    const kept = suppressOverlaps(candidates, this.description.overlap);
    return upsample === 0 ? kept : kept.map((d) => ({ ...d, rect: rectDownFromUpsampled(d.rect, upsample) }));
  }

  /** The workspace for this size, grown into the memory the first time it is needed. */
  private prepareWorkspace(memory: WebAssembly.Memory, width: number, height: number, pixelStride: number, upsample: number): HogWorkspace {
    const key = workspaceKey({ width, height }, pixelStride, upsample);
    if (this.workspace?.key === key) return this.workspace;
    const ws = planHogWorkspace(
      { width, height },
      pixelStride,
      upsample,
      this.description,
      this.steps.length,
      this.transforms.reduce((most, { bits }) => Math.max(most, transformScratchBytes(bits, this.description.filters.length)), 0),
      this.threads,
      this.workspaceStart,
    );
    if (ws.end > MAX_DETECTOR_MEMORY_BYTES) {
      const level0 = ws.upsampling[ws.upsampling.length - 1];
      throw new InputError(
        `a ${width}x${height} image up-sampled ${upsample} times (${level0.width}x${level0.height}) needs ${(ws.end / 2 ** 30).toFixed(1)} GiB to scan, more than the ${MAX_DETECTOR_MEMORY_BYTES / 2 ** 30} GiB allowed${smallerScanHint(upsample)}`,
      );
    }
    growKernelMemory(memory, ws.end, `scanning a ${width}x${height} image up-sampled ${upsample} times`, smallerScanHint(upsample));
    this.workspace = ws;
    return ws;
  }

  /**
   * Every filter's score at every cell of a level: by the correlation bank
   * (scoreByBank) or by FFT tiles (scoreByTransform), whichever costs less
   * for the level's size (see chooseScoring). Returns the cells scored.
   */
  private score(rt: Runtime, ws: HogWorkspace, level: ScannedLevel): Rectangle {
    const g = level.fhog;
    const { filterRows, filterCols } = this.description;
    const firstRow = Math.trunc(filterRows / 2);
    const firstCol = Math.trunc(filterCols / 2);
    const lastRow = g.planeRows - Math.trunc((filterRows - 1) / 2);
    const lastCol = g.planeCols - Math.trunc((filterCols - 1) / 2);
    const area = { left: firstCol, top: firstRow, right: lastCol - 1, bottom: lastRow - 1 };
    const scoring = this.scoringOf(g);
    if (scoring.kind === 'bank') this.scoreByBank(rt, ws, level, area);
    else this.scoreByTransform(rt, ws, level, area, scoring);
    return area;
  }

  /** How a level of this geometry is scored. */
  private scoringOf(g: FhogGeometry): Scoring {
    const { filterRows, filterCols } = this.description;
    return chooseScoring(g.planeRows - filterRows + 1, g.planeCols - filterCols + 1, this.scoreMacsPerCell, filterRows, filterCols);
  }

  /**
   * Every filter's score at every cell of `area`, as dlib sums it: each
   * step correlates its plane (a rank-1 term along rows, then down columns;
   * or the whole plane filter) and is added to its filter's scores in the
   * filter's order (each correlation's own products in the kernels' order,
   * with fused multiply-adds in the relaxed-SIMD build: the last bits differ
   * from dlib's). Going plane by plane keeps each filter's order, reads each
   * feature plane once for all filters and lets the bank pair two terms of a
   * plane; the bank runs all steps in one call, its threads each on a band of
   * rows.
   */
  private scoreByBank(rt: Runtime, ws: HogWorkspace, level: ScannedLevel, area: Rectangle): void {
    const { memory } = rt;
    const g = level.fhog;
    const { filterRows, filterCols } = this.description;
    const firstRow = area.top;
    const firstCol = area.left;
    const lastRow = area.bottom + 1;
    const lastCol = area.right + 1;
    const planeBytes = g.planeRows * g.planeCols * 4;
    // Only the feature rows can give nonzero row sums; the padding rows' sums are zero.
    const featureRows = [g.padTop, g.padTop + g.hogRows];
    const table = new Int32Array(memory.buffer, ws.scoreSteps, (this.steps.length * SCORE_STEP_BYTES) / 4);
    const fields = SCORE_STEP_BYTES / 4;
    this.steps.forEach((step, k) => {
      const full = step.kind === 'full';
      const at = k * fields;
      table[at] = level.features + step.plane * planeBytes;
      table[at + 1] = level.scores[step.filter];
      table[at + 2] = step.first ? 0 : 1;
      table[at + 3] = full ? 1 : 0;
      table[at + 4] = full ? step.taps : step.rowTaps;
      table[at + 5] = full ? 0 : step.columnTaps;
    });
    // A band of rows per thread, each with its own row sums (and those of the 9 rows around it).
    const bandRows = Math.ceil((lastRow - firstRow) / this.threads);
    const bands = Math.ceil((lastRow - firstRow) / bandRows);
    run(rt, {
      kernel: 'f32_correlate_bank__simd128',
      args: [
        ws.scoreSteps,
        this.steps.length,
        g.planeCols,
        filterRows,
        filterCols,
        firstRow,
        firstCol,
        featureRows[0],
        featureRows[1],
        firstRow,
        lastRow,
        firstCol,
        lastCol,
        ws.correlation,
        bandRows,
      ],
      split: { first: 0, items: bands, macs: this.scoreMacsPerCell * (lastRow - firstRow) * (lastCol - firstCol) },
    });
  }

  /**
   * Every filter's score at every cell of `area`, each the sum over the
   * planes of the plane's correlation with the filter's plane filter (what
   * the bank's steps sum to), by overlap-save FFT tiles: the planes'
   * spectra once a tile for all filters, one inverse transform a filter. The
   * sums round otherwise than dlib's: off the bank's by 2.9e-6 at most over
   * the reference photos' levels (bench/RESULTS.md, session fftbank). The threads take a
   * group of tiles each.
   */
  private scoreByTransform(
    rt: Runtime,
    ws: HogWorkspace,
    level: ScannedLevel,
    area: Rectangle,
    scoring: Scoring & { kind: 'transform' },
  ): void {
    const g = level.fhog;
    const { filterRows, filterCols, filters } = this.description;
    const transform = this.transforms.find((t) => t.bits === scoring.bits);
    if (!transform) throw new Error(`no spectra for tiles of 2^${scoring.bits}`);
    new Int32Array(rt.memory.buffer, ws.scoreOutputs, filters.length).set(level.scores);
    const groups = Math.min(this.threads, scoring.tiles);
    const tilesPerGroup = Math.ceil(scoring.tiles / groups);
    run(rt, {
      kernel: 'f32_correlate_fft_bank__simd128',
      args: [
        level.features,
        FHOG_PLANES,
        g.planeRows * g.planeCols * 4,
        g.planeCols,
        g.padTop,
        g.padTop + g.hogRows,
        ws.scoreOutputs,
        filters.length,
        transform.spectra,
        transform.bits,
        transform.twiddles,
        filterRows,
        filterCols,
        Math.trunc(filterRows / 2),
        Math.trunc(filterCols / 2),
        area.top,
        area.bottom + 1,
        area.left,
        area.right + 1,
        ws.transformScratch,
        tilesPerGroup,
      ],
      split: { first: 0, items: Math.ceil(scoring.tiles / tilesPerGroup), macs: scoring.tiles * transform.bankMacs },
    });
  }
}

/** dlib's bilinear `resize_image` from one image of the chain to the next. */
function resize(rt: Runtime, ws: HogWorkspace, from: ChainImage, to: ChainImage): void {
  const tables = to.resizeTables;
  if (!tables) throw new Error('the first image of the chain is not resized from another');
  const bytes = new Uint8Array(rt.memory.buffer);
  bytes.set(tables.rows, ws.resizeRows);
  bytes.set(tables.groups, ws.resizeGroups);
  bytes.set(tables.tail, ws.resizeTail);
  run(rt, {
    kernel: 'u8_planar_resize_bilinear__simd128',
    args: [
      from.address,
      from.width,
      from.planeBytes,
      to.address,
      to.width,
      to.planeBytes,
      ws.resizeRows,
      ws.resizeGroups,
      tables.groupCount,
      ws.resizeTail,
      tables.tailCount,
    ],
    split: rows(0, to.height, to.width * RESIZE_MACS_PER_PIXEL),
  });
}

/** The first stage of dlib's `extract_fhog_features`: a level's 18-bin cell histograms. */
function fhogCells(rt: Runtime, ws: HogWorkspace, { image, fhog: g, cellTables: tables }: ScannedLevel, cellSize: number): void {
  const { memory } = rt;
  const histRows = fhogHistogramRows(g);
  const histCols = fhogHistogramCols(g);
  const bytes = new Uint8Array(memory.buffer);
  bytes.set(tables.rows, ws.cellRowTable);
  bytes.set(tables.columns, ws.cellColumnTable);
  new Int32Array(memory.buffer, ws.cellFirstPixelRows, tables.firstPixelRows.length).set(tables.firstPixelRows);
  const chunkRows = Math.ceil(histRows / (rt.team?.threads ?? 1));
  const chunks = Math.ceil(histRows / chunkRows);
  run(rt, {
    kernel: 'f32_fhog_cells__simd128',
    args: [
      image.address,
      image.width,
      image.planeBytes,
      ORIENTATIONS,
      g.visibleCols,
      g.eightWideEnd,
      ws.cellRowTable,
      ws.cellColumnTable,
      ws.cellFirstPixelRows,
      ws.histogram,
      histRows * histCols * 4,
      histCols * 4,
      histRows,
      ws.votes,
      fhogVoteBytes(g),
      chunkRows,
    ],
    // One chunk of rows per thread, each summing in its own slice of the votes.
    split: { first: 0, items: chunks, macs: histRows * cellSize * g.visibleCols * FHOG_MACS_PER_PIXEL },
  });
}

/** The second stage of dlib's `extract_fhog_features`: a level's histograms into its padded feature planes. */
function fhogFeatures(rt: Runtime, ws: HogWorkspace, { fhog: g, features }: ScannedLevel): void {
  const histCols = fhogHistogramCols(g);
  const featureArgs = [
    ws.histogram,
    histCols,
    fhogHistogramRows(g) * histCols * 4,
    g.cellRows,
    g.cellCols,
    ws.energy,
    ws.blockNorm,
    ws.blockScale,
    ws.normStride,
    features,
    g.planeRows,
    g.planeCols,
    g.planeRows * g.planeCols * 4,
    g.padTop,
    g.padLeft,
  ] as const;
  // Its phases in turn (each reads the one before), split by rows: energies, block norms, features; then the padding.
  [g.cellRows, g.cellRows - 1, g.cellRows - 2, 0].forEach((phaseRows, phase) => {
    run(rt, {
      kernel: 'f32_fhog_features__simd128',
      args: [...featureArgs, phase],
      split: rows(0, Math.max(0, phaseRows), g.cellCols * FHOG_PLANES),
    });
  });
}
