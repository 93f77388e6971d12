import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../src/cli/decode-image.js';
import { SIMD_SHARED_KERNELS_BASE64 } from '../src/engine/kernels-wasm.generated.js';
import { hardwareThreads } from '../src/engine/spawn-workers.js';
import { MAX_WORKERS } from '../src/engine/thread-protocol.js';
import {
  DatFormatError,
  DEFAULT_UPSAMPLE,
  DisposedError,
  InputError,
  loadFrontalFaceDetector,
  readHogDetector,
  type FaceDetection,
  type FrontalFaceDetector,
  type RgbImage,
} from '../src/index.js';
import { fixture, fixtureJson, thrown, concatBytes } from './support/helpers.js';
import { sampled } from './support/suite.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const detectorBytes = new Uint8Array(readFileSync(`${root}models/frontal_face_detector.dat`));

interface DlibDetection {
  rect: FaceDetection['rect'];
  confidence: number;
  weight_index: number;
}

/** dlib's detections of each photo, in dlib's order: `faces/<photo>_fNN.json`, none for a photo without a file. */
function dlibDetections(): Array<[string, DlibDetection[]]> {
  const faces = readdirSync(`${root}test/fixtures/faces`)
    .filter((f) => /_f\d\d\.json$/.test(f))
    .sort();
  const photos = readdirSync(`${root}test/fixtures/photos`)
    .filter((f) => f.endsWith('.jpg'))
    .sort();
  return photos.map((file) => {
    const stem = file.replace(/\.jpg$/, '');
    return [file, faces.filter((f) => f.slice(0, -9) === stem).map((f) => fixtureJson(`faces/${f}`).detection as DlibDetection)];
  });
}

/**
 * How close a confidence must be to dlib's, relative to the window's score (the confidence
 * plus the filter's threshold, ~3-4), which is what the detector sums. The fHOG cell
 * histograms are summed band by band rather than in dlib's pixel order, and the scores sum the
 * same products as dlib's in another order, with fused multiply-adds where the runtime has
 * relaxed SIMD (for speed), so their last bits differ: by up to 1.4e-6 (3 units in the last
 * place of a score near 4) over the reference photos. The larger pyramid levels are scored
 * by FFT tiles, whose rounding spreads over a tile: their scores are off the bank's by up to
 * 2.9e-6 (bench/RESULTS.md, session fftbank). Relative to the confidence
 * itself, one unit in the last place of the score is already 1e-4 of a confidence of 0.005.
 * Rects, filters and their order must be dlib's.
 */
const SCORE_TOLERANCE = 1e-5;

/** Our detections are dlib's: the same rects and filters in the same order, confidences within SCORE_TOLERANCE. */
function expectAsDlib(found: FaceDetection[], expected: DlibDetection[], thresholds: number[], what: string): void {
  expect(
    found.map((d) => ({ rect: d.rect, weight_index: d.weightIndex })),
    what,
  ).toEqual(expected.map((d) => ({ rect: d.rect, weight_index: d.weight_index })));
  expectConfidencesClose(found, expected, thresholds, what);
}

/** Each confidence within SCORE_TOLERANCE of the expected one, relative to its window's score, in order. */
function expectConfidencesClose(found: FaceDetection[], expected: Array<{ confidence: number }>, thresholds: number[], what: string): void {
  expect(found.length, what).toBe(expected.length);
  found.forEach((d, i) => {
    const score = expected[i].confidence + thresholds[d.weightIndex];
    const error = Math.abs(d.confidence - expected[i].confidence) / Math.abs(score);
    expect(error, `${what}: detection ${i}, confidence ${d.confidence} against ${expected[i].confidence}`).toBeLessThanOrEqual(
      SCORE_TOLERANCE,
    );
  });
}

/** A detector's filters' thresholds, by weight index. */
const thresholdsOf = (detector: FrontalFaceDetector) => detector.description.filters.map((f) => f.threshold);

/**
 * hog/full-rank-detector.dat: filter 0 perturbed to full rank (254 rank-1 terms, so dlib
 * correlates whole plane filters), filter 1 as it was (58 terms, separable); each photo's
 * detections upsampled once must be dlib's.
 */
async function expectFullRankDetectionsAsDlib(threads: number): Promise<void> {
  const fullRank = await loadFrontalFaceDetector(fixture('hog/full-rank-detector.dat'), { threads });
  const expected = fixtureJson('hog/full-rank-detections.json').upsample_1 as Record<string, DlibDetection[]>;
  for (const [name, detections] of Object.entries(expected)) {
    expectAsDlib(fullRank.detectFaces(await photo(name), { upsample: 1 }), detections, thresholdsOf(fullRank), name);
  }
  fullRank.dispose();
}

const decoded = new Map<string, Promise<RgbImage>>();
/** A photo of fixtures/photos/ as dlib's decoder gives it, decoded once. */
function photo(name: string): Promise<RgbImage> {
  if (!decoded.has(name)) decoded.set(name, decodeImage(fixture(`photos/${name}`)));
  return decoded.get(name)!;
}

describe('HOG face detector', () => {
  let detector: FrontalFaceDetector;
  beforeAll(async () => {
    detector = await loadFrontalFaceDetector(detectorBytes, { threads: 1 });
  });
  afterAll(() => detector.dispose());

  it("reads the 5 filters and settings of dlib's frontal face detector", () => {
    const d = detector.description;
    expect([d.cellSize, d.padding, d.windowWidth, d.windowHeight, d.filterRows, d.filterCols]).toEqual([8, 0, 80, 80, 10, 10]);
    expect(d.overlap).toEqual({ iouThreshold: 0.33008212188056446, percentCoveredThreshold: 0.7885714285714286 });
    expect(d.filters.map((f) => f.threshold.toFixed(4))).toEqual(['3.2745', '3.9868', '3.8959', '3.5149', '3.5580']);
    expect(d.filters[0].weights[0]).toBe(-0.030968253163276605);
  });

  // dlib's own run (faces/*.json): Python's detector(img, 1).
  it.each(sampled(dlibDetections()))('finds in %s what dlib finds, upsampled once', async (name, expected) => {
    const image = await photo(name);
    expectAsDlib(detector.detectFaces(image, { upsample: 1 }), expected, thresholdsOf(detector), name);
  });

  // The same, without upsampling and upsampled twice: dlib's detections from
  // hog/dlib_hog_detections.cpp, which reproduces faces/*.json exactly at upsample 1.
  const generated = fixtureJson('hog/dlib-detections.json') as Record<string, Record<string, DlibDetection[]>>;
  it.each(
    sampled(
      [
        ...Object.entries(generated.upsample_0).map(([name, expected]) => [name, 0, expected] as const),
        ...Object.entries(generated.upsample_2).map(([name, expected]) => [name, 2, expected] as const),
      ],
      4,
    ),
  )('finds in %s what dlib finds, upsampled %i times', async (name, upsample, expected) => {
    const image = await photo(name);
    expectAsDlib(detector.detectFaces(image, { upsample }), expected, thresholdsOf(detector), name);
  });

  it('scores a filter dlib applies unseparated as dlib does', () => expectFullRankDetectionsAsDlib(1));

  it("finds Tom Cruise where dlib's Python tests do, without upsampling", async () => {
    // tools/python/test/shape.pkl of dlib (via shared/data/dlib-examples/reference_expectations.json).
    const image = await photo('Tom_Cruise_avp_2014_4.jpg');
    const found = detector.detectFaces(image, { upsample: 0 });
    expect(found.map((d) => d.rect)).toEqual([{ left: 39, top: 286, right: 485, bottom: 732 }]);
  });

  it('takes its filterbank back (a cache of it) instead of splitting the filters again: the same detections; one of another shape is an InputError', async () => {
    const { filterbank } = detector;
    expect(filterbank).toHaveLength(5);
    expect(filterbank.flat()).toHaveLength(305);
    const image = await photo('2008_002470.jpg');
    const given = await loadFrontalFaceDetector(detectorBytes, { threads: 1, filterbank });
    expect(given.detectFaces(image)).toEqual(detector.detectFaces(image));
    // Taken as given: a filter's terms scaled give other scores.
    const scaled = filterbank.map((terms, f) => (f === 0 ? terms.map((t) => ({ ...t, row: t.row.map((v) => 2 * v) })) : terms));
    const changed = await loadFrontalFaceDetector(detectorBytes, { threads: 1, filterbank: scaled });
    expect(changed.detectFaces(image)).not.toEqual(detector.detectFaces(image));
    for (const malformed of [filterbank.slice(1), [filterbank[0].map((t) => ({ ...t, row: t.row.subarray(1) })), ...filterbank.slice(1)]]) {
      await expect(loadFrontalFaceDetector(detectorBytes, { threads: 1, filterbank: malformed })).rejects.toThrow(InputError);
    }
    given.dispose();
    changed.dispose();
  });

  it("up-samples once unless told, as the face pipeline and dlib's examples detect", async () => {
    const image = await photo('2008_002470.jpg');
    const once = detector.detectFaces(image, { upsample: 1 });
    expect(DEFAULT_UPSAMPLE).toBe(1);
    expect(detector.detectFaces(image)).toEqual(once);
    expect(detector.detectFaces(image, { upsample: 0 }).length).toBeLessThan(once.length);
  });

  it('shares its rows among the cores unless told, as the network does; 1 thread starts no worker', async () => {
    const cores = await hardwareThreads();
    const byDefault = await loadFrontalFaceDetector(detectorBytes);
    expect(byDefault.threads).toBe(Math.min(cores, MAX_WORKERS + 1));
    byDefault.dispose();
    expect(detector.threads).toBe(1);
    expect((detector as unknown as { runtime: { team?: unknown } }).runtime.team).toBeUndefined();
  });

  it('takes RGBA and RGB bytes alike, and a lower threshold finds more', async () => {
    const rgba = await photo('2008_001322.jpg');
    const pixels = rgba.width * rgba.height;
    const rgb = { ...rgba, data: new Uint8Array(pixels * 3) };
    for (let i = 0; i < pixels; i++) rgb.data.set(rgba.data.subarray(4 * i, 4 * i + 3), 3 * i);
    const found = detector.detectFaces(rgba);
    expect(detector.detectFaces(rgb)).toEqual(found);
    // Windows below the usual threshold come after every usual detection and cannot suppress one.
    const more = detector.detectFaces(rgba, { adjustThreshold: -1 });
    expect(more.length).toBeGreaterThan(found.length);
    expect(more.slice(0, found.length)).toEqual(found);
    for (const d of more.slice(found.length)) expect(d.confidence).toBeGreaterThanOrEqual(-1);
    expect(detector.detectFaces(rgba, { adjustThreshold: 10 })).toEqual([]);
  });

  it('gives the same detections with either kernel build and a precompiled shared-memory module', async () => {
    const image = await photo('2008_002470.jpg');
    const expected = detector.detectFaces(image, { upsample: 1 });
    // The builds round differently where one fuses multiply-adds: close, not identical.
    const sameButRounding = (found: FaceDetection[], what: string) => {
      expect(
        found.map((d) => ({ ...d, confidence: 0 })),
        what,
      ).toEqual(expected.map((d) => ({ ...d, confidence: 0 })));
      expectConfidencesClose(found, expected, thresholdsOf(detector), what);
    };
    const plain = await loadFrontalFaceDetector(detectorBytes, { wasm: { relaxedSimd: false } });
    sameButRounding(plain.detectFaces(image, { upsample: 1 }), 'plain SIMD');
    plain.dispose();
    const module = await WebAssembly.compile(new Uint8Array(Buffer.from(SIMD_SHARED_KERNELS_BASE64, 'base64')));
    const shared = await loadFrontalFaceDetector(detectorBytes, { wasm: { module, sharedMemory: true } });
    sameButRounding(shared.detectFaces(image, { upsample: 1 }), 'plain SIMD, shared memory');
    shared.dispose();
  });

  it('finds nothing in images too small to hold a feature cell, as dlib', () => {
    expect(detector.detectFaces({ width: 0, height: 0, data: new Uint8Array(0) })).toEqual([]);
    expect(detector.detectFaces({ width: 0, height: 5, data: new Uint8Array(0) }, { upsample: 2 })).toEqual([]);
    expect(detector.detectFaces({ width: 1, height: 1, data: new Uint8Array([1, 2, 3]) }, { upsample: 1 })).toEqual([]);
    expect(detector.detectFaces({ width: 20, height: 20, data: new Uint8Array(20 * 20 * 4).fill(200) })).toEqual([]);
  });

  it('keeps its memory flat over thousands of detections of one size', () => {
    const width = 96;
    const height = 80;
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    const image = { width, height, data };
    const first = detector.detectFaces(image, { adjustThreshold: -2 });
    const settled = detector.memoryBytes;
    for (let i = 0; i < 2000; i++) detector.detectFaces(image, { adjustThreshold: -2 });
    expect(detector.detectFaces(image, { adjustThreshold: -2 })).toEqual(first);
    expect(detector.memoryBytes).toBe(settled);
  });
});

describe('HOG face detector on 2 threads (the rows of each resize, cell histogram, normalization and correlation split)', () => {
  let detector: FrontalFaceDetector;
  beforeAll(async () => {
    detector = await loadFrontalFaceDetector(detectorBytes, { threads: 2 });
  });
  afterAll(() => detector.dispose());

  it('really runs on 2 threads', () => {
    expect(detector.threads).toBe(2);
  });

  it.each(sampled(dlibDetections()))('finds in %s what dlib finds, upsampled once', async (name, expected) => {
    expectAsDlib(detector.detectFaces(await photo(name), { upsample: 1 }), expected, thresholdsOf(detector), name);
  });

  it('scores a filter dlib applies unseparated as dlib does', () => expectFullRankDetectionsAsDlib(2));
});

describe('HOG detector bad input', () => {
  function datError(bytes: Uint8Array, message: RegExp, offset?: number): void {
    const error = thrown(() => readHogDetector(bytes));
    expect(error).toBeInstanceOf(DatFormatError);
    expect((error as Error).message).toMatch(message);
    if (offset !== undefined) expect((error as DatFormatError).offset).toBe(offset);
  }

  function patched(at: number, ...values: number[]): Uint8Array {
    const copy = detectorBytes.slice();
    copy.set(values, at);
    return copy;
  }

  it('reads object_detector version 1 (one filter, the overlap tester after it) like version 2', async () => {
    const scanner = detectorBytes.subarray(2, 0x1e);
    const overlap = detectorBytes.subarray(0x1e, 0x32);
    const filter0 = detectorBytes.subarray(0x34, 31046);
    const version1 = await loadFrontalFaceDetector(concatBytes([0x01, 0x01], scanner, filter0, overlap));
    const version2 = await loadFrontalFaceDetector(concatBytes([0x01, 0x02], scanner, overlap, [0x01, 0x01], filter0));
    const withoutOffsets = (d: typeof version1.description) => ({
      ...d,
      filters: d.filters.map(({ weights, threshold }) => ({ weights, threshold })),
    });
    expect(withoutOffsets(version1.description)).toEqual(withoutOffsets(version2.description));
    expect([version1.description.filters[0].offset, version2.description.filters[0].offset]).toEqual([0x1e, 0x34]);
    const image = await photo('2008_004176.jpg');
    const found = version1.detectFaces(image, { upsample: 1 });
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((d) => d.weightIndex === 0)).toBe(true);
    expect(version2.detectFaces(image, { upsample: 1 })).toEqual(found);
    version1.dispose();
    version2.dispose();
    datError(concatBytes([0x01, 0x02], scanner, overlap, [0x01, 0x00]), /no filters/);
  });

  it('reports a truncated file with the byte where it ends', async () => {
    for (const length of [0, 1, 3, 9, 0x1b, 0x33, 0x40, 31046, detectorBytes.length - 1]) {
      datError(detectorBytes.subarray(0, length), /end of data|empty/);
    }
    await expect(loadFrontalFaceDetector(detectorBytes.subarray(0, 1000))).rejects.toThrow(DatFormatError);
  });

  it('reports corrupt fields with their byte offset', () => {
    datError(patched(0, 0x01, 0x07), /object_detector version 7/, 0);
    datError(patched(2, 0x01, 0x02), /scan_fhog_pyramid version 2/, 2);
    datError(patched(6, 0x01, 0x03), /cached feature pyramid/, 4);
    datError(patched(0x0c, 0x01, 0x48), /num_dimensions is 3100.*72x80/, 0x1b);
    datError(patched(0x08, 0x81, 0x08), /cell_size is -8/, 0x08);
    datError(patched(0x08, 0x01, 0x01), /filter of 80x80 cells, more than the 64x64/, 0x08);
    datError(patched(0x34, 0x82, 0x1c, 0x0c), /3100x1 matrix; expected 3101x1/, 0x34);
    // Rows negated, cols not: the numbers as stored, not with the signs flipped.
    datError(patched(0x37, 0x01, 0x01), /filter 0 is stored as a -3101x1 matrix: rows and cols must be both negated or neither/, 0x34);
    // A weight whose control byte is not an integer's.
    datError(patched(0x39, 0x09), /bad integer control byte 0x09/, 0x39);
    datError(patched(0x1e, 0x01, 0x02, 0x01, 0x00), /iou_thresh 2 is not in \[0, 1\]/, 0x1e);
    expect(thrown(() => readHogDetector('frontal_face_detector.dat' as never))).toBeInstanceOf(InputError);
  });

  it('rejects bad images and options with InputError, before allocating for absurd sizes', async () => {
    for (const threads of [0, 1.5, -1]) await expect(loadFrontalFaceDetector(detectorBytes, { threads })).rejects.toThrow(InputError);
    const detector = await loadFrontalFaceDetector(detectorBytes);
    const small = { width: 4, height: 4, data: new Uint8Array(48) };
    const cases: Array<[() => unknown, RegExp]> = [
      [() => detector.detectFaces(null as never), /^the image is not an image \{ width, height, data \}$/],
      [() => detector.detectFaces({ width: 4, height: 4, data: new Float32Array(48) } as never), /Uint8Array/],
      [() => detector.detectFaces({ width: 4, height: 4, data: new Uint8Array(47) }), /holds 47 bytes/],
      [
        () => detector.detectFaces({ width: -4, height: 4, data: new Uint8Array(0) }),
        /^the image size -4x4 is not a size in whole pixels$/,
      ],
      [
        () => detector.detectFaces({ width: 1.5, height: 4, data: new Uint8Array(0) }),
        /^the image size 1.5x4 is not a size in whole pixels$/,
      ],
      [
        () => detector.detectFaces({ width: 0, height: 4, data: new Uint8Array(3) }),
        /^the image holds 3 bytes; a 0x4 image needs 0 \(RGB\) or 0 \(RGBA\)$/,
      ],
      [() => detector.detectFaces({ width: 100000, height: 100000, data: new Uint8Array(0) }), /larger than/],
      [() => detector.detectFaces(small, { upsample: -1 }), /upsample/],
      [() => detector.detectFaces(small, { upsample: 1.5 }), /upsample/],
      [() => detector.detectFaces(small, { upsample: 99 }), /upsample/],
      [() => detector.detectFaces(small, { adjustThreshold: Number.NaN }), /adjustThreshold/],
      // The scan's windows of rows are as wide as the images: these are too wide.
      [
        () => detector.detectFaces({ width: 1000, height: 4, data: new Uint8Array(12000) }, { upsample: 8 }),
        /up-sampled 8 times .*GiB.*; try a smaller upsample \(7\), or a smaller image$/,
      ],
      [
        () => detector.detectFaces({ width: 16384, height: 40, data: new Uint8Array(16384 * 40 * 3) }, { upsample: 5 }),
        /GiB to scan, more than the 2 GiB allowed; try a smaller upsample \(4\), or a smaller image$/,
      ],
    ];
    const before = detector.memoryBytes;
    for (const [run, message] of cases) {
      const error = thrown(run);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(message);
    }
    expect(detector.memoryBytes).toBe(before);
    detector.dispose();
    expect(detector.memoryBytes).toBe(0);
    expect(thrown(() => detector.detectFaces(small))).toBeInstanceOf(DisposedError);
  });
});
