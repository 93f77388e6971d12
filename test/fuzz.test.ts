import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import encodeJpeg, { init as initJpegEncoder } from '@jsquash/jpeg/encode.js';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../src/cli/decode-image.js';
import { readHogDetector } from '../src/dlib/hog-detector-reader.js';
import { readShapePredictor } from '../src/dlib/shape-predictor-reader.js';
import {
  DlibWasmError,
  InputError,
  faceRecognitionTopology,
  loadFaceRecognitionModel,
  loadFrontalFaceDetector,
  loadNetwork,
  loadShapePredictor,
  readDlibNetwork,
  type RgbImage,
} from '../src/index.js';
import { FUZZ, fuzz, mutateBytes, mutatePng, structuralOffsets, structureOf, type FuzzReport, type Rng } from './support/fuzzing.js';
import { faceModelBytes, fixture, fixtureJson, fixturePng, concatBytes } from './support/helpers.js';
import { encodePng, fakeFrameBehindFillByte, jpegMarkerAt, pngFile, withFrameSize, zerosDeflated } from './support/image-files.js';
import { writeShapePredictor } from './support/shape-predictor-writer.js';

// Mutated images and model files, seeded (see support/fuzzing.ts): each must end
// in a typed error or a usable result, within a time bound, with memory
// bounded. `npm run fuzz -- --count N` runs the same stages deeper.

const MB = 1024 * 1024;
/** A stage's whole time bound: the suite's, scaled with `npm run fuzz -- --count N`. */
const stageTimeout = (suiteMs: number) => suiteMs * Math.max(1, FUZZ.scale);
const root = fileURLToPath(new URL('..', import.meta.url));

/** The outcome of a decode: "image" (checked to be whole) or "InputError"; anything else fails the case. */
async function decodeOutcome(bytes: Uint8Array, rng: Rng): Promise<string> {
  const allowDamaged = rng.next() < 0.5;
  // Rerunning one case: what it was, to look into.
  const told = (outcome: string) =>
    FUZZ.only !== undefined && console.log(`${bytes.length} bytes, allowDamaged ${allowDamaged}: ${outcome}`);
  try {
    const image = await decodeImage(bytes, { allowDamaged });
    expect(image.width * image.height * 4).toBe(image.data.length);
    told(`${image.width}x${image.height} image, warnings ${JSON.stringify(image.warnings)}`);
    return 'image';
  } catch (error) {
    told(String(error));
    if (!(error instanceof InputError)) throw error;
    // Our words, not a library's internals.
    expect(error.message).not.toMatch(/Program terminated|waitng|Aborted\(/);
    return 'InputError';
  }
}

/** The outcome of reading and loading a model: a typed error's class, "read" (same structure as one run), or "ran". */
async function modelOutcome(read: () => unknown, loadAndRun: () => Promise<void> | void, seen: Set<string>): Promise<string> {
  let description: unknown;
  try {
    description = read();
  } catch (error) {
    if (!(error instanceof DlibWasmError)) throw error;
    return error.name;
  }
  const structure = structureOf(description);
  if (!FUZZ.runEveryLoad && seen.has(structure)) return 'read';
  seen.add(structure);
  try {
    await loadAndRun();
  } catch (error) {
    if (!(error instanceof DlibWasmError)) throw error;
    return `load: ${error.name}`;
  }
  return 'ran';
}

/** That a stage met `outcome` more than `atLeast` times: it tested what it means to (not checked when rerunning one case). */
const expectOutcome = (report: FuzzReport, outcome: string, atLeast: number) => {
  if (FUZZ.only === undefined) expect(report.outcomes.get(outcome) ?? 0, `${outcome} outcomes`).toBeGreaterThan(atLeast);
};

const expectRssBounded = (report: FuzzReport, bound: number) => {
  if (process.env.DLIB_WASM_FUZZ_VERBOSE) console.log(report);
  expect(report.maxRss - report.startRss, `RSS grew from ${(report.startRss / MB) | 0} MB to ${(report.maxRss / MB) | 0} MB`).toBeLessThan(
    bound,
  );
};

/** A 64x64 crop of a face chip, RGBA. */
function faceCrop(size: number): RgbImage {
  const chip = fixturePng('chips/johns/John_Savage/000290_01099067.png');
  const data = new Uint8Array(size * size * 4);
  const offset = Math.floor((chip.width - size) / 2);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const from = ((y + offset) * chip.width + x + offset) * 4;
      data.set(chip.data.subarray(from, from + 4), (y * size + x) * 4);
    }
  }
  return { width: size, height: size, data };
}

describe("decoders' size checks on hostile headers", () => {
  // Peak memory is the process's high-water RSS; each file may raise it by a slack plus 16 bytes per
  // pixel it declares (RGBA out of the decoder, its copy, libjpeg's coefficients), and by only the
  // slack if what it declares is past the size limit (it must be refused before any allocation).
  const SLACK = 64 * MB;
  const photo = fixture('photos/Tom_Cruise_avp_2014_4.jpg');
  const sof = jpegMarkerAt(photo, 0xc0) >= 0 ? jpegMarkerAt(photo, 0xc0) : jpegMarkerAt(photo, 0xc2);
  const beforeFrame = (bytes: Uint8Array, inserted: ArrayLike<number>) =>
    concatBytes(bytes.subarray(0, sof), inserted, bytes.subarray(sof));
  const hostile: [string, () => Uint8Array, number][] = [
    ['JPEG: 16000x16000 behind a fill byte, a fake 16x16 frame in a COM segment', () => fakeFrameBehindFillByte(photo, 16000, 16000), 0],
    ['JPEG: 65535x65535', () => withFrameSize(photo, 65535, 65535), 0],
    ['JPEG: 20000x300', () => withFrameSize(photo, 20000, 300), 0],
    ['JPEG: 2000x2000 from 66 KB, behind fill bytes', () => beforeFrame(withFrameSize(photo, 2000, 2000), [0xff, 0xff, 0xff]), 2000 * 2000],
    ['JPEG: 16000x4000 from 66 KB', () => withFrameSize(photo, 16000, 4000), 0],
    [
      'PNG: 16x16 interlaced, data inflating to 256 MB',
      () => pngFile(16, 16, 8, 2, 1, new Uint8Array(0), [], zerosDeflated(1 + 258 * 1_000_000)),
      256,
    ],
    [
      'PNG: 16x16, data inflating to 256 MB',
      () => pngFile(16, 16, 8, 6, 0, new Uint8Array(0), [], zerosDeflated(1 + 258 * 1_000_000)),
      256,
    ],
    ['PNG: 16384x4096 from a few bytes', () => pngFile(16384, 4096, 8, 6, 0, new Uint8Array(1000)), 16384 * 4096],
    ['PNG: 100000x100000', () => pngFile(100000, 100000, 8, 2, 0, new Uint8Array(1000)), 0],
    ['PNG: 16-bit palette', () => pngFile(64, 64, 16, 3, 0, new Uint8Array(1000)), 0],
  ];

  it.each(hostile)('%s: an InputError, peak memory within its bound', async (_name, make, allowedPixels) => {
    const file = make();
    const highWater = process.resourceUsage().maxRSS * 1024;
    const rss = process.memoryUsage().rss;
    await expect(decodeImage(file)).rejects.toThrow(InputError);
    const bound = Math.max(highWater, rss + SLACK + 16 * allowedPixels);
    const peak = process.resourceUsage().maxRSS * 1024;
    expect(peak, `peak RSS ${(peak / MB) | 0} MB, bound ${(bound / MB) | 0} MB`).toBeLessThanOrEqual(bound);
  });
});

describe('mutated images through one decoder', () => {
  const jpegs: Uint8Array[] = [];
  const pngs: Uint8Array[] = [];

  beforeAll(async () => {
    await initJpegEncoder(
      await WebAssembly.compile(await readFile(new URL(import.meta.resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm')))),
    );
    const face = faceCrop(64);
    const imageData = { ...face, data: new Uint8ClampedArray(face.data), colorSpace: 'srgb' } as ImageData;
    for (const options of [
      {},
      { progressive: false },
      { progressive: false, color_space: 1 },
      { auto_subsample: false, chroma_subsample: 1, quality: 95 },
    ]) {
      jpegs.push(new Uint8Array(await encodeJpeg(imageData, options)));
    }
    const rgb = Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => face.data[Math.floor(i / 3) * 4 + (i % 3)]);
    const grey = Uint8Array.from({ length: 32 * 32 }, (_, i) => face.data[i * 4]);
    pngs.push(
      encodePng(32, 32, rgb, 3, false),
      encodePng(32, 32, rgb, 3, true),
      encodePng(32, 32, grey, 1, true),
      encodePng(
        16,
        16,
        grey.subarray(0, 256).map((v) => v & 15),
        1,
        true,
        Uint8Array.from({ length: 48 }, (_, i) => i * 5),
      ),
      new Uint8Array(PNG.sync.write(Object.assign(new PNG({ width: 32, height: 32 }), { data: Buffer.from(faceCrop(32).data) }))),
    );
  });

  it(
    '2,000 mutated JPEGs: each an InputError or a whole image within 1 s, RSS bounded',
    async () => {
      const report = await fuzz('jpeg', 2000, 1000, (rng) => decodeOutcome(mutateBytes(rng.pick(jpegs), rng), rng));
      expectOutcome(report, 'image', report.cases / 20);
      expectOutcome(report, 'InputError', report.cases / 20);
      expectRssBounded(report, 128 * MB);
    },
    stageTimeout(60_000),
  );

  it(
    '1,000 mutated PNGs: each an InputError or a whole image within 1 s, RSS bounded',
    async () => {
      const report = await fuzz('png', 1000, 1000, (rng) => decodeOutcome(mutatePng(rng.pick(pngs), rng), rng));
      expectOutcome(report, 'image', report.cases / 20);
      expectOutcome(report, 'InputError', report.cases / 20);
      expectRssBounded(report, 128 * MB);
    },
    stageTimeout(60_000),
  );
});

describe('mutated model files', () => {
  const chip = fixturePng('chips/johns/John_Savage/000290_01099067.png');

  it(
    "1,000 face nets (the zoo's and the face model, mostly their structure): each a typed error, or loads and runs",
    async () => {
      const { nets } = fixtureJson<{ nets: string[] }>('zoo/index.json');
      const zoo = nets.map((name) => {
        const { dlib_printout: printout, input_png: input } = fixtureJson(`zoo/${name}.json`);
        const bytes = fixture(`zoo/${name}.dat`);
        return {
          bytes,
          printout,
          input: fixturePng(`zoo/${input}`),
          structure: structuralOffsets(() => readDlibNetwork(bytes, { printout })),
        };
      });
      const face = faceModelBytes();
      const faceStructure = structuralOffsets(() => readDlibNetwork(face, { printout: faceRecognitionTopology() }));
      const seen = new Set<string>();
      const report = await fuzz('face-net', 1000, 10_000, (rng) => {
        if (rng.next() < 0.04) {
          const bytes = mutateBytes(face, rng, faceStructure, 3);
          return modelOutcome(
            () => readDlibNetwork(bytes, { printout: faceRecognitionTopology() }),
            async () => {
              const model = await loadFaceRecognitionModel(bytes);
              await model.computeFaceDescriptor(chip);
              model.dispose();
            },
            seen,
          );
        }
        const net = rng.pick(zoo);
        const bytes = mutateBytes(net.bytes, rng, net.structure, 3);
        return modelOutcome(
          () => readDlibNetwork(bytes, { printout: net.printout }),
          async () => {
            const network = await loadNetwork(bytes, { printout: net.printout });
            await network.run([net.input]);
            network.dispose();
          },
          seen,
        );
      });
      expectOutcome(report, 'DatFormatError', report.cases / 4);
      expectOutcome(report, 'ran', 0);
      expectRssBounded(report, 512 * MB);
    },
    stageTimeout(60_000),
  );

  it(
    '1,000 HOG detectors (mostly their structure): each a typed error, or loads and detects',
    async () => {
      const detector = new Uint8Array(readFileSync(`${root}models/frontal_face_detector.dat`));
      const structure = structuralOffsets(() => readHogDetector(detector));
      const image = { ...faceCrop(64), width: 64, height: 64 };
      const seen = new Set<string>();
      const report = await fuzz('hog-detector', 1000, 10_000, (rng) => {
        const bytes = mutateBytes(detector, rng, structure, 3);
        return modelOutcome(
          () => readHogDetector(bytes),
          async () => {
            const loaded = await loadFrontalFaceDetector(bytes, { threads: 1 });
            loaded.detectFaces(image, { upsample: 0 });
            loaded.dispose();
          },
          seen,
        );
      });
      expectOutcome(report, 'DatFormatError', report.cases / 4);
      expectOutcome(report, 'ran', 0);
      expectRssBounded(report, 256 * MB);
    },
    stageTimeout(60_000),
  );

  it(
    "1,000 shape predictors (a small one, and dlib's 5-point one): each a typed error, or loads and predicts",
    async () => {
      const leaf = (k: number) => Array.from({ length: 10 }, (_, i) => ((i + k) % 5) / 50 - 0.04);
      const small = writeShapePredictor({
        initialShape: [0.2, 0.3, 0.8, 0.3, 0.5, 0.5, 0.3, 0.8, 0.7, 0.8],
        levels: [0, 1].map((level) => ({
          trees: [0, 1, 2].map((t) => ({
            splits: [
              [0, 1, 5 + t],
              [1, 2, -3],
              [2, 3, level],
            ] as [number, number, number][],
            leaves: [0, 1, 2, 3].map((k) => leaf(k + t)),
          })),
          anchors: [0, 1, 2, 3],
          deltas: [
            [0.01, 0],
            [0, 0.02],
            [-0.01, 0.01],
            [0.02, -0.02],
          ],
        })),
      });
      const fivePoint = new Uint8Array(readFileSync(`${root}models/shape_predictor_5_face_landmarks_lfw.dat`));
      const bases = [small, fivePoint].map((bytes) => ({ bytes, structure: structuralOffsets(() => readShapePredictor(bytes)) }));
      const rect = { left: 4, top: 4, right: 59, bottom: 59 };
      const image = faceCrop(64);
      const report = await fuzz('shape-predictor', 1000, 10_000, (rng) => {
        const base = rng.next() < 0.03 ? bases[1] : bases[0];
        const bytes = mutateBytes(base.bytes, rng, base.structure, 3);
        return modelOutcome(
          () => readShapePredictor(bytes),
          async () => {
            const points = (await loadShapePredictor(bytes)).predict(image, rect);
            expect(points.every(([x, y]) => Number.isInteger(x) && Number.isInteger(y))).toBe(true);
          },
          new Set(),
        );
      });
      expectOutcome(report, 'DatFormatError', report.cases / 4);
      expectOutcome(report, 'ran', 0);
      expectRssBounded(report, 256 * MB);
    },
    stageTimeout(60_000),
  );
});
