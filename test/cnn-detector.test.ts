import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../src/cli/decode-image.js';
import {
  DatFormatError,
  DisposedError,
  DlibNetwork,
  InputError,
  loadCnnFaceDetector,
  loadFacePipeline,
  loadNetwork,
  readDlibNetwork,
  readDlibNetworkPrefix,
  UnsupportedLayerError,
  type CnnFaceDetector,
  type LayerDescription,
  type RgbImage,
} from '../src/index.js';
import { imageToTiledPyramid, tiledPyramidLayout, tiledPyramidTensor, tiledPyramidToImage } from '../src/input/tiled-image-pyramid.js';
import { detectObjects, type MmodDetectorDescription } from '../src/loss/detect-objects.js';
import { outputToInputPoint } from '../src/loss/mmod-detections.js';
import { landmarkModel5Bytes, photo } from './support/face-fixtures.js';
import { concatBytes, faceModelBytes, fixture, fixtureJson } from './support/helpers.js';
import { QUICK, sampled } from './support/suite.js';

// dlib 19.24's MMOD detectors (dlib-models) on dlib's example photos: `dlib-models/mmod/`
// holds dlib's detections and score maps (test/fixtures/README.md says how they were made).

const MODELS = ['mmod_human_face_detector', 'mmod_rear_end_vehicle_detector', 'mmod_front_and_rear_end_vehicle_detector'] as const;
type Model = (typeof MODELS)[number];

interface DlibDetection {
  rect: { left: number; top: number; right: number; bottom: number };
  confidence: number;
  label: string;
}
interface DlibCase {
  image: string;
  upsample: number;
  scoresShape: [number, number, number, number];
  /** The rows of the score maps kept in the fixture (all of them but for the largest photos). */
  scoreRows?: [number, number];
  detections: DlibDetection[];
}

const REFERENCE = fixtureJson<Record<Model, DlibCase[]>>('dlib-models/mmod/detections.json');
const modelBytes = (model: Model) => fixture(`dlib-models/${model}.dat`);
const stem = (image: string) => image.replace(/\.jpg$/, '');

const cars = new Map<string, Promise<RgbImage>>();
function image(name: string): Promise<RgbImage> {
  if (!name.startsWith('mmod_cars')) return photo(name);
  if (!cars.has(name)) cars.set(name, decodeImage(fixture(`dlib-models/mmod/${name}`)));
  return cars.get(name)!;
}

/** The score maps dlib's fixture keeps (rows scoreRows of each channel), as flat NCHW floats. */
function dlibScores(model: Model, c: DlibCase): Float32Array {
  const bytes = fixture(`dlib-models/mmod/${model}.${stem(c.image)}.scores.f32`);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

function cropRows(scores: Float32Array, [, k, nr, nc]: DlibCase['scoresShape'], [r0, r1]: [number, number]): Float32Array {
  const out = new Float32Array(k * (r1 - r0) * nc);
  for (let c = 0; c < k; c++) out.set(scores.subarray((c * nr + r0) * nc, (c * nr + r1) * nc), c * (r1 - r0) * nc);
  return out;
}

/** Detections as dlib's: the same rects and labels in the same order, confidences within 1e-4 relative. */
function expectDlibDetections(found: DlibDetection[], expected: DlibDetection[]) {
  expect(found.map((d) => [d.rect, d.label])).toEqual(expected.map((d) => [d.rect, d.label]));
  found.forEach((d, i) =>
    expect(Math.abs(d.confidence - expected[i].confidence)).toBeLessThanOrEqual(1e-4 * Math.abs(expected[i].confidence)),
  );
}

/** A photo small enough to up-sample in the suite's time (detectFaces' default checks another, 2008_001009). */
const UPSAMPLED = ['2008_002506.jpg'];
/** The largest photos (bald_guys' pyramid is 2008x5578) run only in the full suite. */
const LARGE = ['bald_guys.jpg', 'mmod_cars_test_image2.jpg'];

describe.each(MODELS)('%s is dlib: score maps and detections', (model) => {
  let network: DlibNetwork;
  beforeAll(async () => {
    // The vehicle files hold a shape predictor after the net: loadNetwork takes the file whole.
    network = await loadNetwork(modelBytes(model), { threads: 2 });
  });
  afterAll(() => network?.dispose());

  const cases = REFERENCE[model].filter(
    (c) => (c.upsample === 0 && !(QUICK && LARGE.includes(c.image))) || (c.upsample === 1 && UPSAMPLED.includes(c.image)),
  );
  it.each(sampled(cases, 3).map((c) => [`${c.image} upsample ${c.upsample}`, c] as const))('%s', async (_, c) => {
    const outputs: Float32Array[] = [];
    // The scores are the output of the run detect makes, caught on their way.
    const runs = {
      description: network.description,
      run: async (inputs: Parameters<DlibNetwork['run']>[0]) => {
        const out = await network.run(inputs);
        outputs.push(out[0]);
        return out;
      },
    };
    const found = await detectObjects(runs, await image(c.image), { upsample: c.upsample });
    expectDlibDetections(found, c.detections);
    expect(outputs.length).toBe(1);
    if (c.upsample > 0) return;
    const [, k, nr, nc] = c.scoresShape;
    expect(outputs[0].length).toBe(k * nr * nc);
    const expected = dlibScores(model, c);
    const ours = cropRows(outputs[0], c.scoresShape, c.scoreRows!);
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
      worst = Math.max(worst, Math.abs(ours[i] - expected[i]));
    }
    expect(worst).toBeLessThanOrEqual(1e-4 * scale);
  });
});

describe('DlibNetwork.detect and loadCnnFaceDetector', () => {
  let detector: CnnFaceDetector;
  beforeAll(async () => {
    detector = await loadCnnFaceDetector(modelBytes('mmod_human_face_detector'), { threads: 2 });
  });
  afterAll(() => detector?.dispose());

  it("detectFaces up-samples once by default, as dlib's example: dlib's detections with upsample 1", async () => {
    const expected = REFERENCE.mmod_human_face_detector.find((c) => c.image === '2008_001009.jpg' && c.upsample === 1)!;
    const found = await detector.detectFaces(await photo('2008_001009.jpg'));
    expectDlibDetections(
      found.map((d) => ({ ...d, label: '' })),
      expected.detections,
    );
    expect(found.map((d) => d.weightIndex)).toEqual(expected.detections.map(() => 0));
  });

  it('DlibNetwork.detect gives rect, confidence and label: the front and rear labels of the vehicle windows', async () => {
    const network = await loadNetwork(modelBytes('mmod_front_and_rear_end_vehicle_detector'), { threads: 2 });
    try {
      const expected = REFERENCE.mmod_front_and_rear_end_vehicle_detector.find((c) => c.image === 'mmod_cars_test_image.jpg')!;
      const found = await network.detect(await image('mmod_cars_test_image.jpg'));
      expect(found.every((d) => Object.keys(d).sort().join() === 'confidence,label,rect')).toBe(true);
      expectDlibDetections(found, expected.detections);
      expect(found.length).toBeGreaterThan(0);
      expect(found.every((d) => d.label === 'rear' || d.label === 'front')).toBe(true);
    } finally {
      network.dispose();
    }
  });

  it('an image smaller than the window, or empty, has no detection and no error', async () => {
    for (const [width, height] of [
      [0, 0],
      [1, 1],
      [3, 40],
      [20, 20],
      [79, 120],
    ]) {
      expect(await detector.detectFaces({ width, height, data: new Uint8Array(width * height * 3).fill(128) }, { upsample: 0 })).toEqual(
        [],
      );
    }
  });

  it('bad options are InputErrors; adjustThreshold moves the threshold', async () => {
    const image = await photo('2008_001009.jpg');
    for (const options of [{ adjustThreshold: Number.NaN }, { upsample: -1 }, { upsample: 1.5 }, { upsample: '1' }, null]) {
      await expect(detector.detectFaces(image, options as never)).rejects.toThrow(InputError);
    }
    // dlib's two faces score 1.0723 and 1.0652: a threshold between them keeps the first.
    const expected = REFERENCE.mmod_human_face_detector.find((c) => c.image === '2008_001009.jpg' && c.upsample === 0)!;
    const strict = await detector.detectFaces(image, { upsample: 0, adjustThreshold: 1.07 });
    expectDlibDetections(
      strict.map((d) => ({ ...d, label: '' })),
      expected.detections.slice(0, 1),
    );
  });

  it("loadFacePipeline with detectorKind 'cnn' locates dlib's CNN faces; an unknown kind is an InputError", async () => {
    const models = { detector: modelBytes('mmod_human_face_detector'), landmarks: landmarkModel5Bytes(), recognition: faceModelBytes() };
    await expect(loadFacePipeline(models, { detectorKind: 'dnn' as never })).rejects.toThrow(/detectorKind must be 'hog' or 'cnn'/);
    const pipeline = await loadFacePipeline(models, { detectorKind: 'cnn', threads: 2 });
    try {
      const faces = await pipeline.locate(await photo('2008_001009.jpg'), { upsample: 0 });
      const expected = REFERENCE.mmod_human_face_detector.find((c) => c.image === '2008_001009.jpg' && c.upsample === 0)!;
      expect(faces.map((f) => [f.rect, f.weightIndex, f.landmarks.length, f.chip.width])).toEqual(
        expected.detections.map((d) => [d.rect, 0, 5, 150]),
      );
    } finally {
      pipeline.dispose();
    }
  });

  it('a corrupt or wrong file is a typed error; a disposed detector a DisposedError', async () => {
    const bytes = modelBytes('mmod_human_face_detector');
    await expect(loadCnnFaceDetector(bytes.subarray(0, 5000))).rejects.toThrow(DatFormatError);
    await expect(loadCnnFaceDetector(fixture('zoo/conv_variants.dat'))).rejects.toThrow(/loss_mmod/);
    await expect(loadCnnFaceDetector(fixture('zoo/conv_variants.dat'))).rejects.toThrow(InputError);
    const once = await loadCnnFaceDetector(bytes, { threads: 1 });
    once.dispose();
    await expect(once.detectFaces(await photo('2008_001009.jpg'))).rejects.toThrow(DisposedError);
  });

  it('detect on a net that is no MMOD detector, and run on an image of a pyramid net, are InputErrors', async () => {
    const plain = await loadNetwork(fixture('zoo/conv_variants.dat'), { threads: 1 });
    try {
      await expect(plain.detect({ width: 8, height: 8, data: new Uint8Array(192) })).rejects.toThrow(/detect runs dlib's MMOD detectors/);
    } finally {
      plain.dispose();
    }
    const pyramid = await loadNetwork(modelBytes('mmod_human_face_detector'), { threads: 1 });
    try {
      const small = { width: 90, height: 90, data: new Uint8Array(90 * 90 * 3) };
      await expect(pyramid.run([small])).rejects.toThrow(/detect\(image\) tiles it/);
      await expect(pyramid.detect(small, null as never)).rejects.toThrow(/^detect options must be an object$/);
      await expect(pyramid.detect(small, { upsample: 9 })).rejects.toThrow(/upsample must be an integer from 0 to 8, not 9/);
    } finally {
      pyramid.dispose();
    }
  });

  it('bounding box regression, which none of dlib-models uses, is an UnsupportedLayerError', async () => {
    const description = readDlibNetwork(modelBytes('mmod_human_face_detector')) as MmodDetectorDescription;
    const options = { ...description.loss.options, useBoundingBoxRegression: true };
    const network = await DlibNetwork.create({ ...description, loss: { kind: 'loss_mmod', options } }, { threads: 1 });
    try {
      const error = await network.detect({ width: 90, height: 90, data: new Uint8Array(90 * 90 * 3) }).catch((e: unknown) => e);
      expect([error instanceof UnsupportedLayerError, (error as Error).message]).toEqual([
        true,
        'layer<0>: loss_mmod with bounding box regression cannot be decoded yet',
      ]);
    } finally {
      network.dispose();
    }
  });

  it('loadNetwork: a vehicle file whole or its net alone; other bytes after the net are a DatFormatError where it ends', async () => {
    const bytes = modelBytes('mmod_rear_end_vehicle_detector');
    const { end } = readDlibNetworkPrefix(bytes);
    for (const source of [bytes, bytes.subarray(0, end)]) {
      const network = await loadNetwork(source, { threads: 1 });
      expect(network.description.loss.kind).toBe('loss_mmod');
      network.dispose();
    }
    const stray = thrownAsync(loadNetwork(concatBytes(bytes.subarray(0, end), [9, 9, 9]), { threads: 1 }));
    const error = (await stray) as DatFormatError;
    expect([error instanceof DatFormatError, error.offset, error.message]).toEqual([
      true,
      end,
      expect.stringMatching(/^3 unexpected bytes after the network/),
    ]);
  });
});

async function thrownAsync(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('the tiled pyramid and the geometry, against dlib', () => {
  const input = readDlibNetwork(modelBytes('mmod_human_face_detector')).input;
  if (input.kind !== 'input_rgb_image_pyramid') throw new Error('the face detector has a pyramid input');

  it("lays the levels out as dlib's compute_tiled_image_pyramid_details", () => {
    // 360x480: a first column of 5 levels, the others back up the right edge; 5 rows is the last level dlib keeps.
    const layout = tiledPyramidLayout({ width: 360, height: 480 }, input);
    expect([layout.width, layout.height, layout.levels.length]).toEqual([382, 1782, 24]);
    expect(layout.levels.slice(0, 2)).toEqual([
      { left: 11, top: 11, right: 370, bottom: 490 },
      { left: 11, top: 501, right: 310, bottom: 900 },
    ]);
    expect(layout.levels[5]).toEqual({ left: 227, top: 1580, right: 370, bottom: 1770 });
    expect(layout.levels.at(-1)).toEqual({ left: 368, top: 512, right: 370, bottom: 516 });
    expect(tiledPyramidLayout({ width: 0, height: 7 }, input)).toEqual({ width: 0, height: 0, levels: [] });
  });

  it('the tensor holds the normalized image at level 0 and zeros in the padding', () => {
    const img = { width: 10, height: 10, data: new Uint8Array(300).fill(200) };
    const { tensor, layout } = tiledPyramidTensor(img, input);
    const { left, top } = layout.levels[0];
    expect(tensor.data[top * tensor.cols + left]).toBe(Math.fround(200 - Math.fround(input.mean[0])) / 256);
    expect(tensor.data[0]).toBe(0);
    // A flat image stays flat down the pyramid (bilinear weights sum to 1, within f32).
    const last = layout.levels.at(-1)!;
    expect(tensor.data[last.top * tensor.cols + last.left]).toBeCloseTo(tensor.data[top * tensor.cols + left], 6);
  });

  it('image_space_to_tensor_space and tensor_space_to_image_space are inverses at each level', () => {
    const layout = tiledPyramidLayout({ width: 500, height: 375 }, input);
    const rect = { left: 100, top: 80, right: 179, bottom: 159 };
    for (const level of [0, 1, 3]) {
      const inTensor = imageToTiledPyramid(layout, input, (5 / 6) ** level, rect);
      const back = tiledPyramidToImage(layout, input, inTensor);
      for (const side of ['left', 'top', 'right', 'bottom'] as const) expect(back[side]).toBeCloseTo(rect[side], 9);
    }
  });

  it("maps output points to input points as dlib's map_output_to_input, through skips to their tags", () => {
    const face = readDlibNetwork(modelBytes('mmod_human_face_detector')).layers;
    // Three 5x5 stride-2 convs: 2p + 2, thrice.
    expect(outputToInputPoint(face, 3, 5)).toEqual([8 * 3 + 14, 8 * 5 + 14]);
    const con = face.find((l) => l.kind === 'con' && l.strideX === 2)!;
    const pool: LayerDescription = {
      kind: 'max_pool',
      index: 3,
      offset: 0,
      windowRows: 3,
      windowCols: 3,
      strideY: 2,
      strideX: 2,
      padY: 1,
      padX: 1,
    };
    const layers: LayerDescription[] = [
      { kind: 'tag', index: 5, offset: 0, id: 1 },
      { ...con, index: 4 },
      pool,
      { kind: 'skip', index: 2, offset: 0, tag: 1 },
      { kind: 'relu', index: 1, offset: 0 },
    ];
    expect(outputToInputPoint(layers, 4, 6)).toEqual([4, 6]);
    expect(outputToInputPoint(layers.slice(1, 3), 4, 6)).toEqual([(4 * 2 - 1 + 1) * 2 + 2, (6 * 2 - 1 + 1) * 2 + 2]);
  });
});
