import { FHOG_PLANES, readHogDetector, type HogDetectorDescription } from '../dlib/hog-detector-reader.js';
import { growKernelMemory, instantiateKernels, type Kernels, type WasmSource } from '../engine/kernels.js';
import { alignBuffer, pagesFor, RESERVED_BYTES } from '../memory-layout.js';
import { runWhole, type ItemArgs, type ItemSplit, type ParallelCall } from '../engine/parallel-call.js';
import { hardwareThreads } from '../engine/spawn-workers.js';
import { loadKernelsAndMemory, ThreadTeam } from '../engine/thread-team.js';
import { DisposedError, InputError } from '../errors.js';
import type { Rectangle } from '../geometry/point-transforms.js';
import { describeRgbImage, type RgbImage } from '../image.js';
import { readModelSource, type ModelSource } from '../model-source.js';
import {
  fhogHistogramCols,
  fhogHistogramRows,
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
import { LevelWindow, levelWindow } from './hog-schedule.js';
import { planHogWorkspace, SCORE_STEP_BYTES, STAGED_PIXELS, workspaceKey, type HogWorkspace } from './hog-workspace.js';
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
  /** The scans of the last sizes detected in, the current first. */
  private scans: CompiledScan[] = [];
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
    this.scans = [];
  }

  detectFaces(image: RgbImage, options: DetectFacesOptions = {}): FaceDetection[] {
    const rt = this.runtime;
    if (!rt) throw new DisposedError('the detector has been disposed');
    const { upsample, adjustThreshold } = checkDetectOptions(options);
    const { width, height, pixelStride } = describeRgbImage(image, 'the image', 0);
    if (width === 0 || height === 0) return [];
    const { ws, ops } = this.prepareScan(rt.memory, width, height, pixelStride, upsample);
    // The cells whose score reaches the threshold: an f32 score is at or above the threshold exactly when it is at or above the least f32 that is.
    const thresholds = this.description.filters.map((filter) => leastF32AtLeast(filter.threshold + adjustThreshold));
    // Each level's windows by filter, in row order; kept by level, so that they come in level order whatever order the bands run in.
    const found = ws.levels.map(() => this.description.filters.map((): Window[] => []));
    const { memory, kernels: k } = rt;
    // Views made once: the memory does not grow during a detection.
    const bytes = new Uint8Array(memory.buffer);
    const words = new Int32Array(memory.buffer);
    for (const op of ops) {
      if (op.kind === 'call') run(rt, op.call);
      else if (op.kind === 'table') words.set(op.values, op.at / 4);
      else if (op.kind === 'slide') {
        for (let i = 0; i < op.moves.length; i += 3) bytes.copyWithin(op.moves[i], op.moves[i + 1], op.moves[i + 2]);
      } else if (op.kind === 'stage') {
        for (let at = op.rowStart * width, last = op.rowEnd * width; at < last; at += STAGED_PIXELS) {
          const end = Math.min(at + STAGED_PIXELS, last);
          bytes.set(image.data.subarray(at * pixelStride, end * pixelStride), ws.staging);
          k.u8_rgb_to_planar__simd128(ws.staging, pixelStride, op.base + at, op.planeBytes, 0, end - at);
        }
      } else this.collectHits(rt, ws, op, thresholds, found[op.level]);
    }
    rt.team?.park();

    // dlib sorts each filter's windows by score, then all filters' by confidence (both
    // highest first; its sort is not stable, so the order of exact ties is unspecified).
    const byDescending =
      <T>(key: (x: T) => number) =>
      (a: T, b: T) =>
        key(b) - key(a);
    const candidates = this.description.filters.flatMap((filter, f) =>
      found
        .flatMap((byFilter) => byFilter[f])
        .sort(byDescending((w) => w.score))
        .map((w) => ({ rect: w.rect, confidence: w.score - filter.threshold, weightIndex: f })),
    );
    candidates.sort(byDescending((d) => d.confidence));
    const kept = suppressOverlaps(candidates, this.description.overlap);
    return upsample === 0 ? kept : kept.map((d) => ({ ...d, rect: rectDownFromUpsampled(d.rect, upsample) }));
  }

  /**
   * The scan for this size: its workspace, grown into the memory with its
   * tables written, and its steps compiled into kernel calls. The last few
   * sizes' scans are kept, so that photos of a few sizes in turn are not
   * planned again each time (their tables are written again: they share the
   * memory).
   */
  private prepareScan(memory: WebAssembly.Memory, width: number, height: number, pixelStride: number, upsample: number): CompiledScan {
    const key = workspaceKey({ width, height }, pixelStride, upsample);
    const current = this.scans[0];
    if (current?.ws.key === key) return current;
    let scan = this.scans.find(({ ws }) => ws.key === key);
    if (!scan) {
      const ws = planHogWorkspace(
        { width, height },
        pixelStride,
        upsample,
        this.description,
        (g) => this.scoringOf(g),
        this.steps.length,
        this.transforms.reduce((most, { bits }) => Math.max(most, transformScratchBytes(bits, this.description.filters.length)), 0),
        this.threads,
        this.workspaceStart,
      );
      if (ws.end > MAX_DETECTOR_MEMORY_BYTES) {
        const level0 = ws.chain[upsample] ?? { width, height };
        throw new InputError(
          `a ${width}x${height} image up-sampled ${upsample} times (${level0.width}x${level0.height}) needs ${(ws.end / 2 ** 30).toFixed(1)} GiB to scan, more than the ${MAX_DETECTOR_MEMORY_BYTES / 2 ** 30} GiB allowed${smallerScanHint(upsample)}`,
        );
      }
      scan = { ws, ops: this.compileScan(ws) };
    }
    const { ws } = scan;
    growKernelMemory(memory, ws.end, `scanning a ${width}x${height} image up-sampled ${upsample} times`, smallerScanHint(upsample));
    const bytes = new Uint8Array(memory.buffer);
    for (const { resize } of ws.chain) {
      if (!resize) continue;
      bytes.set(resize.tables.rows, resize.rows);
      bytes.set(resize.tables.groups, resize.groups);
      bytes.set(resize.tables.tail, resize.tail);
    }
    for (const { cells } of ws.levels) {
      bytes.set(cells.tables.rows, cells.rows);
      bytes.set(cells.tables.columns, cells.columns);
      new Int32Array(memory.buffer, cells.firstPixelRows, cells.tables.firstPixelRows.length).set(cells.tables.firstPixelRows);
    }
    // The latest first; the oldest go once the kept ones' tables and calls pass the budget (the latest always stays).
    const kept = [scan];
    let held = keptBytes(ws);
    for (const other of this.scans) {
      if (other === scan) continue;
      held += keptBytes(other.ws);
      if (held > KEPT_WORKSPACE_BYTES) break;
      kept.push(other);
    }
    this.scans = kept;
    return scan;
  }

  /** How a level of this geometry is scored: by the correlation bank or by FFT tiles, whichever costs less for its size (see chooseScoring). */
  private scoringOf(g: FhogGeometry): Scoring {
    const { filterRows, filterCols } = this.description;
    return chooseScoring(g.planeRows - filterRows + 1, g.planeCols - filterCols + 1, this.scoreMacsPerCell, filterRows, filterCols);
  }

  /** A workspace's steps as the kernel calls and copies that make them, each window's rows where they are at that step. */
  private compileScan(ws: HogWorkspace): ScanOp[] {
    const scan = new ScanCompiler(ws, this.description.cellSize);
    for (const step of ws.steps) {
      if (step.kind === 'stage') scan.stage(step.rowStart, step.rowEnd);
      else if (step.kind === 'resize') scan.resize(step.image, step.rowStart, step.rowEnd);
      else if (step.kind === 'slide') scan.slide(step.window, step.rowStart, step.rowEnd);
      else if (step.kind === 'cells') scan.cells(step.level, step.rowStart, step.rowEnd);
      else if (step.kind === 'score') {
        const { scoring } = ws.levels[step.level];
        if (scoring.kind === 'bank') this.scoreByBank(scan, step.level, step.rowStart, step.rowEnd);
        else this.scoreByTransform(scan, step.level, step.rowStart, step.rowEnd, scoring);
        this.hitsOf(scan, step.level, step.rowStart, step.rowEnd);
      } else scan.features(step.kind, step.level, step.rowStart, step.rowEnd);
    }
    return scan.ops;
  }

  /**
   * Every filter's score at every cell of the rows, as dlib sums it: each
   * step correlates its plane (a rank-1 term along rows, then down columns;
   * or the whole plane filter) and is added to its filter's scores in the
   * filter's order (each correlation's own products in the kernels' order,
   * with fused multiply-adds in the relaxed-SIMD build: the last bits differ
   * from dlib's). Going plane by plane keeps each filter's order, reads each
   * feature plane once for all filters and lets the bank pair two terms of a
   * plane; the bank runs all steps in one call, its threads each on a band of
   * rows.
   */
  private scoreByBank(scan: ScanCompiler, l: number, rowStart: number, rowEnd: number): void {
    const { ws } = scan;
    const { fhog: g, area } = ws.levels[l];
    const { filterRows, filterCols } = this.description;
    const features = scan.window(l, LevelWindow.Features);
    const scores = scan.window(l, LevelWindow.Scores);
    const fields = SCORE_STEP_BYTES / 4;
    const table = new Int32Array(this.steps.length * fields);
    this.steps.forEach((step, k) => {
      const full = step.kind === 'full';
      const at = k * fields;
      table[at] = scan.base(features, step.plane);
      table[at + 1] = scan.base(scores, step.filter);
      table[at + 2] = step.first ? 0 : 1;
      table[at + 3] = full ? 1 : 0;
      table[at + 4] = full ? step.taps : step.rowTaps;
      table[at + 5] = full ? 0 : step.columnTaps;
    });
    scan.emit({ kind: 'table', at: ws.scoreSteps, values: table });
    // A band of rows per thread, each with its own row sums (and those of the 9 rows around it).
    const bandRows = Math.ceil((rowEnd - rowStart) / this.threads);
    const bands = Math.ceil((rowEnd - rowStart) / bandRows);
    scan.call({
      kernel: 'f32_correlate_bank__simd128',
      args: [
        ws.scoreSteps,
        this.steps.length,
        g.planeCols,
        filterRows,
        filterCols,
        area.top,
        area.left,
        g.padTop,
        g.padTop + g.hogRows,
        rowStart,
        rowEnd,
        area.left,
        area.right + 1,
        ws.correlation,
        bandRows,
      ],
      split: { first: 0, items: bands, macs: this.scoreMacsPerCell * (rowEnd - rowStart) * (area.right + 1 - area.left) },
    });
  }

  /**
   * Every filter's score at every cell of the rows (which start on the
   * tiles' grid), each the sum over the planes of the plane's correlation
   * with the filter's plane filter (what the bank's steps sum to), by
   * overlap-save FFT tiles: the planes' spectra once a tile for all filters,
   * one inverse transform a filter. The sums round otherwise than dlib's: off
   * the bank's by 2.9e-6 at most over the reference photos' levels
   * (bench/RESULTS.md, session fftbank). The threads take a group of tiles each.
   */
  private scoreByTransform(
    scan: ScanCompiler,
    l: number,
    rowStart: number,
    rowEnd: number,
    scoring: Scoring & { kind: 'transform' },
  ): void {
    const { ws } = scan;
    const { fhog: g, area } = ws.levels[l];
    const { filterRows, filterCols, filters } = this.description;
    const transform = this.transforms.find((t) => t.bits === scoring.bits);
    if (!transform) throw new Error(`no spectra for tiles of 2^${scoring.bits}`);
    const features = scan.window(l, LevelWindow.Features);
    const scores = scan.window(l, LevelWindow.Scores);
    scan.emit({ kind: 'table', at: ws.scoreOutputs, values: Int32Array.from(filters, (_, f) => scan.base(scores, f)) });
    const n = 2 ** scoring.bits;
    const tiles = Math.ceil((rowEnd - rowStart) / (n - filterRows + 1)) * Math.ceil((area.right + 1 - area.left) / (n - filterCols + 1));
    const groups = Math.min(this.threads, tiles);
    const tilesPerGroup = Math.ceil(tiles / groups);
    scan.call({
      kernel: 'f32_correlate_fft_bank__simd128',
      args: [
        scan.base(features, 0),
        FHOG_PLANES,
        ws.windows[features].planeBytes,
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
        rowStart,
        rowEnd,
        area.left,
        area.right + 1,
        ws.transformScratch,
        tilesPerGroup,
      ],
      split: { first: 0, items: Math.ceil(tiles / tilesPerGroup), macs: tiles * transform.bankMacs },
    });
  }

  /** Where score rows [rowStart, rowEnd) of each scored filter are, for collectHits. */
  private hitsOf(scan: ScanCompiler, l: number, rowStart: number, rowEnd: number): void {
    const scores = scan.window(l, LevelWindow.Scores);
    const filters = this.description.filters.flatMap((_, f) => (this.scored[f] ? [f] : []));
    scan.emit({ kind: 'hits', level: l, rowStart, rowEnd, filters, planes: filters.map((f) => scan.base(scores, f)) });
  }

  /** The windows of a score band whose score reaches its filter's threshold, added to `found` by filter in row-major order. */
  private collectHits(rt: Runtime, ws: HogWorkspace, op: HitsOp, thresholds: number[], found: Window[][]): void {
    const { memory, kernels: k } = rt;
    const { fhog: g, area } = ws.levels[op.level];
    const { cellSize, filterRows, filterCols, padding } = this.description;
    const boxRows = filterRows - 2 * padding;
    const boxCols = filterCols - 2 * padding;
    const values = new Float32Array(memory.buffer);
    const hitCount = new Int32Array(memory.buffer, ws.scoreHits, 1);
    op.filters.forEach((f, i) => {
      hitCount[0] = 0;
      k.f32_indices_at_least__simd128(
        op.planes[i],
        g.planeCols,
        thresholds[f],
        area.left,
        area.right + 1,
        ws.scoreHits + 4,
        ws.scoreHits,
        op.rowStart,
        op.rowEnd,
      );
      for (const cell of new Int32Array(memory.buffer, ws.scoreHits + 4, hitCount[0])) {
        const r = Math.trunc(cell / g.planeCols);
        const c = cell - r * g.planeCols;
        const box = {
          left: c - Math.trunc(boxCols / 2),
          top: r - Math.trunc(boxRows / 2),
          right: c - Math.trunc(boxCols / 2) + boxCols - 1,
          bottom: r - Math.trunc(boxRows / 2) + boxRows - 1,
        };
        // The plane's row 0 is at op.planes[i] (below the window's rows: the sum wraps in 32 bits as the kernels' does).
        const score = values[((op.planes[i] + cell * 4) | 0) / 4];
        found[f].push({ score, rect: rectUpFromLevel(fhogRectToImage(box, cellSize, filterRows, filterCols), op.level) });
      }
    });
  }
}

/** A window found by a filter: its score and where it is in the caller's image, as up-sampled. */
interface Window {
  score: number;
  rect: Rectangle;
}

/** The hits of a score band: each scored filter's plane (where its row 0 would be). */
interface HitsOp {
  kind: 'hits';
  level: number;
  rowStart: number;
  rowEnd: number;
  filters: number[];
  planes: number[];
}

/**
 * One step of a compiled scan: a kernel call; a table written for the next
 * call; a window's rows moved (target, start, end triples of byte offsets);
 * rows of the caller's image staged into the first image's window (`base`:
 * where its pixel 0 would be); a score band's hits collected.
 */
type ScanOp =
  | { kind: 'call'; call: ParallelCall }
  | { kind: 'table'; at: number; values: Int32Array }
  | { kind: 'slide'; moves: number[] }
  | { kind: 'stage'; rowStart: number; rowEnd: number; base: number; planeBytes: number }
  | HitsOp;

/** A workspace and its steps compiled. */
interface CompiledScan {
  ws: HogWorkspace;
  ops: ScanOp[];
}

/**
 * The JavaScript memory a detector keeps for the last sizes' workspaces (their
 * tables and kernel calls), so that photos of a few sizes in turn, as a
 * folder of photos has, are not planned again at each change of size: a
 * dozen 500x375 photos' plans, or three 12-megapixel ones'.
 */
const KEPT_WORKSPACE_BYTES = 16 << 20;
/** About what a step's kernel calls take in the JavaScript heap. */
const STEP_BYTES = 256;

/** What a kept workspace holds on to: its tables, and its steps' calls. */
function keptBytes(ws: HogWorkspace): number {
  let bytes = ws.steps.length * STEP_BYTES;
  for (const { resize } of ws.chain)
    if (resize) bytes += resize.tables.rows.byteLength + resize.tables.groups.byteLength + resize.tables.tail.byteLength;
  for (const { cells } of ws.levels)
    bytes += cells.tables.rows.byteLength + cells.tables.columns.byteLength + cells.tables.firstPixelRows.byteLength;
  return bytes;
}

/**
 * Compiles a workspace's steps into kernel calls, following where each
 * window's rows are as they slide: the image, resize, cell and feature steps
 * (the detector compiles the scoring, which needs its filters).
 */
class ScanCompiler {
  readonly ops: ScanOp[] = [];
  /** The first row each window holds at the step being compiled. */
  private readonly low: number[];

  constructor(
    readonly ws: HogWorkspace,
    private readonly cellSize: number,
  ) {
    this.low = ws.windows.map((w) => w.firstRow);
  }

  emit(op: ScanOp): void {
    this.ops.push(op);
  }

  call(call: ParallelCall): void {
    this.emit({ kind: 'call', call });
  }

  /** A level's window's index. */
  window(l: number, which: LevelWindow): number {
    return levelWindow(this.ws.chain.length, l, which);
  }

  /**
   * Where row 0 of plane `plane` of window `w` would be: the window's row r
   * is at base + r * rowBytes for the rows it holds. It may lie below the
   * window, even below 0: the kernels add the row's offset in 32 bits.
   */
  base(w: number, plane = 0): number {
    const { start, planeBytes, rowBytes } = this.ws.windows[w];
    return (start + plane * planeBytes - this.low[w] * rowBytes) | 0;
  }

  /** Rows [rowStart, rowEnd) of the caller's image into the first image's planes. */
  stage(rowStart: number, rowEnd: number): void {
    this.emit({ kind: 'stage', rowStart, rowEnd, base: this.base(0), planeBytes: this.ws.windows[0].planeBytes });
  }

  /** dlib's bilinear `resize_image` from one image of the chain to the next: rows [rowStart, rowEnd) of image i. */
  resize(i: number, rowStart: number, rowEnd: number): void {
    const from = this.ws.chain[i - 1];
    const to = this.ws.chain[i];
    const tables = to.resize;
    if (!tables) throw new Error('the first image of the chain is not resized from another');
    this.call({
      kernel: 'u8_planar_resize_bilinear__simd128',
      args: [
        this.base(i - 1),
        from.width,
        this.ws.windows[i - 1].planeBytes,
        this.base(i),
        to.width,
        this.ws.windows[i].planeBytes,
        tables.rows,
        tables.groups,
        tables.tables.groupCount,
        tables.tail,
        tables.tables.tailCount,
      ],
      split: rows(rowStart, rowEnd, to.width * RESIZE_MACS_PER_PIXEL),
    });
  }

  /** Keeps rows [rowStart, rowEnd) of window w, moved to its start. */
  slide(w: number, rowStart: number, rowEnd: number): void {
    const { start, planes, planeBytes, rowBytes } = this.ws.windows[w];
    const from = (rowStart - this.low[w]) * rowBytes;
    const length = (rowEnd - rowStart) * rowBytes;
    if (from > 0 && length > 0) {
      const moves: number[] = [];
      for (let p = 0; p < planes; p++)
        moves.push(start + p * planeBytes, start + p * planeBytes + from, start + p * planeBytes + from + length);
      this.emit({ kind: 'slide', moves });
    }
    this.low[w] = rowStart;
  }

  /** The first stage of dlib's `extract_fhog_features`: a level's 18-bin cell histograms, rows [rowStart, rowEnd) (whole chunks). */
  cells(l: number, rowStart: number, rowEnd: number): void {
    const { ws } = this;
    const { image, fhog: g, cells, chunkRows } = ws.levels[l];
    const histogram = this.window(l, LevelWindow.Histogram);
    const { voteBytes } = ws;
    const histRows = fhogHistogramRows(g);
    const firstChunk = rowStart / chunkRows;
    const chunkEnd = Math.ceil(rowEnd / chunkRows);
    this.call({
      kernel: 'f32_fhog_cells__simd128',
      args: [
        this.base(image),
        ws.chain[image].width,
        ws.windows[image].planeBytes,
        ORIENTATIONS,
        g.visibleCols,
        g.eightWideEnd,
        cells.rows,
        cells.columns,
        cells.firstPixelRows,
        this.base(histogram),
        ws.windows[histogram].planeBytes,
        fhogHistogramCols(g) * 4,
        histRows,
        // Chunk c sums in votes + c * voteBytes: the call's first chunk in the first slice.
        ws.votes - firstChunk * voteBytes,
        voteBytes,
        // The calls go down the rows in order: each takes the row the one before stored for it, and stores the next one's.
        firstChunk > 0 ? firstChunk : -1,
        rowEnd < histRows ? chunkEnd - 1 : -1,
        chunkRows,
      ],
      // One chunk of rows per thread, each summing in its own slice of the votes.
      split: {
        first: firstChunk,
        items: chunkEnd - firstChunk,
        macs: (rowEnd - rowStart) * this.cellSize * g.visibleCols * FHOG_MACS_PER_PIXEL,
      },
    });
  }

  /**
   * The second stage of dlib's `extract_fhog_features`, from a level's
   * histograms to its padded feature planes: cell rows [rowStart, rowEnd) of
   * the energies, or of the block norms, or feature rows of the features
   * with their padding: the columns each side, and the planes' padding rows
   * with the first rows and the last (a whole plane filter reads them).
   */
  features(kind: 'energy' | 'blocks' | 'features', l: number, rowStart: number, rowEnd: number): void {
    const { ws } = this;
    const { fhog: g } = ws.levels[l];
    const histogram = this.window(l, LevelWindow.Histogram);
    const norms = this.window(l, LevelWindow.Norms);
    const features = this.window(l, LevelWindow.Features);
    const { planeBytes, rowBytes } = ws.windows[features];
    const args = (
      out: number,
      outRows: number,
      cellRows: number,
      padTop: number,
      phase: number,
    ): ItemArgs<'f32_fhog_features__simd128'> => [
      this.base(histogram),
      fhogHistogramCols(g),
      ws.windows[histogram].planeBytes,
      cellRows,
      g.cellCols,
      this.base(norms, 0),
      this.base(norms, 1),
      this.base(norms, 2),
      ws.normStride,
      out,
      outRows,
      g.planeCols,
      planeBytes,
      padTop,
      g.padLeft,
      phase,
    ];
    this.call({
      kernel: 'f32_fhog_features__simd128',
      args: args(this.base(features), g.planeRows, g.cellRows, g.padTop, FHOG_PHASES[kind]),
      split: rows(rowStart, rowEnd, g.cellCols * FHOG_PLANES),
    });
    if (kind !== 'features') return;
    // The padding phase over a plane of just these rows: its padding rows are the plane's above the first rows, below the last.
    const first = rowStart === 0 ? 0 : g.padTop + rowStart;
    const last = rowEnd === g.hogRows ? g.planeRows : g.padTop + rowEnd;
    this.call({
      kernel: 'f32_fhog_features__simd128',
      args: args(this.base(features) + first * rowBytes, last - first, rowEnd - rowStart + 2, rowStart === 0 ? g.padTop : 0, FHOG_PADDING),
      split: rows(0, 0, 0),
    });
  }
}

/** f32_fhog_features__simd128's phases. */
const FHOG_PHASES = { energy: 0, blocks: 1, features: 2 } as const;
const FHOG_PADDING = 3;
