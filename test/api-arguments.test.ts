import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { DatFormatError, DlibRand, type DlibWasmError, InputError, type ImageChipExtractor, TopologyError } from '../src/index.js';
import { fixture } from './support/helpers.js';

// Every function of the public API, called with null, undefined, wrong types
// and wrong lengths, throws (or rejects with) one of the library's typed
// errors whose message says what was wrong: never a TypeError from deep
// inside, never a silent result.

type ErrorClass = abstract new (...args: never[]) => DlibWasmError;
/** A bad call, the error class it must end in, and what its message must say. */
type BadCall = [call: string, run: () => unknown, error: ErrorClass, message: RegExp];

const bytes3 = new Uint8Array(3);
const zooBytes = fixture('zoo/conv_variants.dat');
const chip150 = { width: 150, height: 150, data: new Uint8Array(150 * 150 * 3) };
const shape5: api.Point[] = [
  [10, 20],
  [17, 23],
  [24, 26],
  [31, 29],
  [38, 32],
];
let extractor: ImageChipExtractor;

beforeAll(async () => {
  extractor = await api.loadImageChipExtractor();
});
afterAll(() => extractor.dispose());

const MODEL_SOURCE = /a model must be bytes, a Response, a Blob or a ReadableStream, got (null|undefined|x|5)/;

const badCalls: Record<string, BadCall[]> = {
  loadNetwork: [
    ['loadNetwork(null)', () => api.loadNetwork(null as never), InputError, MODEL_SOURCE],
    ['loadNetwork(undefined)', () => api.loadNetwork(undefined as never), InputError, MODEL_SOURCE],
    ["loadNetwork('x')", () => api.loadNetwork('x' as never), InputError, MODEL_SOURCE],
    ['loadNetwork(3 bytes)', () => api.loadNetwork(bytes3), DatFormatError, /add_loss_layer version .*at byte 0/],
    [
      'loadNetwork(bytes, null)',
      () => api.loadNetwork(bytes3, null as never),
      InputError,
      /loadNetwork's options must be an object, got null/,
    ],
    [
      'loadNetwork(bytes, { wasm: 5 })',
      () => api.loadNetwork(zooBytes, { wasm: 5 as never }),
      InputError,
      /the wasm option must be an object, got 5/,
    ],
  ],
  loadFaceRecognitionModel: [
    ['loadFaceRecognitionModel(null)', () => api.loadFaceRecognitionModel(null as never), InputError, MODEL_SOURCE],
    ['loadFaceRecognitionModel(5)', () => api.loadFaceRecognitionModel(5 as never), InputError, MODEL_SOURCE],
    ['loadFaceRecognitionModel(3 bytes)', () => api.loadFaceRecognitionModel(bytes3), DatFormatError, /at byte 0/],
  ],
  descriptorDistance: [
    [
      'descriptorDistance(null, [1])',
      () => api.descriptorDistance(null as never, [1]),
      InputError,
      /takes two descriptors of one length, got null and 1 values/,
    ],
    ['descriptorDistance([1], undefined)', () => api.descriptorDistance([1], undefined as never), InputError, /got 1 values and undefined/],
    [
      "descriptorDistance('ab', 'cd')",
      () => api.descriptorDistance('ab' as never, 'cd' as never),
      InputError,
      /a\[0\] is string, not a finite float32/,
    ],
    ['descriptorDistance(5, [1])', () => api.descriptorDistance(5 as never, [1]), InputError, /got a number and 1 values/],
    ['descriptorDistance([1, 2], [1])', () => api.descriptorDistance([1, 2], [1]), InputError, /of one length, got 2 values and 1 values/],
    [
      'descriptorDistance([0, NaN], [0, 0])',
      () => api.descriptorDistance([0, Number.NaN], [0, 0]),
      InputError,
      /a\[1\] is NaN, not a finite float32/,
    ],
    ['descriptorDistance([0], [-Infinity])', () => api.descriptorDistance([0], [-Infinity]), InputError, /b\[0\] is -Infinity/],
    [
      "descriptorDistance([0], ['x'])",
      () => api.descriptorDistance([0], ['x' as never]),
      InputError,
      /b\[0\] is string, not a finite float32/,
    ],
  ],
  chineseWhispers: [
    [
      'chineseWhispers(null)',
      () => api.chineseWhispers(null as never),
      InputError,
      /takes an array of edges or \{ descriptors \}, got null/,
    ],
    ['chineseWhispers(undefined)', () => api.chineseWhispers(undefined as never), InputError, /got undefined/],
    ["chineseWhispers('x')", () => api.chineseWhispers('x' as never), InputError, /got a string/],
    [
      'chineseWhispers([null])',
      () => api.chineseWhispers([null as never]),
      InputError,
      /edges\[0\] must be \[i, j\] or \[i, j, weight\], got null/,
    ],
    ['chineseWhispers([[0]])', () => api.chineseWhispers([[0] as never]), InputError, /edges\[0\] must be \[i, j\] .*got an array of 1/],
    [
      "chineseWhispers([[0, '1']])",
      () => api.chineseWhispers([[0, '1' as never]]),
      InputError,
      /edges\[0\] = \[0, a string\]: node indices must be integers/,
    ],
    [
      "chineseWhispers([[0, 1, 'x']])",
      () => api.chineseWhispers([[0, 1, 'x' as never]]),
      InputError,
      /edges\[0\] has weight a string, not a finite number/,
    ],
    ['chineseWhispers(edges, null)', () => api.chineseWhispers([[0, 1]], null as never), InputError, /options must be an object, got null/],
    [
      "chineseWhispers(edges, { iterations: '5' })",
      () => api.chineseWhispers([[0, 1]], { iterations: '5' as never }),
      InputError,
      /iterations must be a non-negative integer, got a string/,
    ],
    [
      'chineseWhispers(edges, { nodeCount: -1 })',
      () => api.chineseWhispers([[0, 1]], { nodeCount: -1 }),
      InputError,
      /nodeCount must be an integer from 0 to MAX_CLUSTER_NODES .*got -1/,
    ],
    [
      'chineseWhispers(edges, { threshold: 0.5 })',
      () => api.chineseWhispers([[0, 1]], { threshold: 0.5 }),
      InputError,
      /threshold applies to descriptor input only/,
    ],
    [
      'chineseWhispers({ descriptors: null })',
      () => api.chineseWhispers({ descriptors: null as never }),
      InputError,
      /descriptors must be an array of descriptors .*got null/,
    ],
    [
      'chineseWhispers({ descriptors: [null] })',
      () => api.chineseWhispers({ descriptors: [null as never] }),
      InputError,
      /descriptors\[0\] is null, not a descriptor/,
    ],
    [
      'chineseWhispers({ descriptors: [[]] })',
      () => api.chineseWhispers({ descriptors: [[]] }),
      InputError,
      /descriptors\[0\] is an array of 0, not a descriptor/,
    ],
    [
      'chineseWhispers({ descriptors: [[1, 2], [1]] })',
      () => api.chineseWhispers({ descriptors: [[1, 2], [1]] }),
      InputError,
      /descriptors\[1\] has 1 values, descriptors\[0\] has 2: all must be the same length/,
    ],
    [
      'chineseWhispers({ descriptors }, { nodeCount: 2 })',
      () => api.chineseWhispers({ descriptors: [[1], [2]] }, { nodeCount: 2 }),
      InputError,
      /nodeCount applies to edge input only/,
    ],
  ],
  descriptorGraph: [
    [
      'descriptorGraph(null)',
      () => api.descriptorGraph(null as never),
      InputError,
      /descriptors must be an array of descriptors .*got null/,
    ],
    ["descriptorGraph(['ab'])", () => api.descriptorGraph(['ab' as never]), InputError, /descriptors\[0\] is a string, not a descriptor/],
    [
      'descriptorGraph([[1, 2], [3]])',
      () => api.descriptorGraph([[1, 2], [3]]),
      InputError,
      /descriptors\[1\] has 1 values, descriptors\[0\] has 2/,
    ],
    [
      'descriptorGraph([[1]], NaN)',
      () => api.descriptorGraph([[1]], Number.NaN),
      InputError,
      /threshold must be a positive finite distance .*got NaN/,
    ],
    [
      "descriptorGraph([[1]], '0.6')",
      () => api.descriptorGraph([[1]], '0.6' as never),
      InputError,
      /threshold must be a positive finite distance .*got a string/,
    ],
  ],
  readDlibNetwork: [
    ['readDlibNetwork(null)', () => api.readDlibNetwork(null as never), InputError, /must be a Uint8Array or ArrayBuffer, not Null/],
    [
      'readDlibNetwork(undefined)',
      () => api.readDlibNetwork(undefined as never),
      InputError,
      /must be a Uint8Array or ArrayBuffer, not Undefined/,
    ],
    ["readDlibNetwork('x')", () => api.readDlibNetwork('x' as never), InputError, /must be a Uint8Array or ArrayBuffer, not String/],
    ['readDlibNetwork(3 bytes)', () => api.readDlibNetwork(bytes3), DatFormatError, /at byte 0/],
    [
      'readDlibNetwork(bytes, null)',
      () => api.readDlibNetwork(bytes3, null as never),
      InputError,
      /readDlibNetwork's options must be an object, got null/,
    ],
  ],
  readDlibNetworkPrefix: [
    [
      'readDlibNetworkPrefix(null)',
      () => api.readDlibNetworkPrefix(null as never),
      InputError,
      /must be a Uint8Array or ArrayBuffer, not Null/,
    ],
    ['readDlibNetworkPrefix(3 bytes)', () => api.readDlibNetworkPrefix(bytes3), DatFormatError, /at byte 0/],
    [
      'readDlibNetworkPrefix(bytes, null)',
      () => api.readDlibNetworkPrefix(bytes3, null as never),
      InputError,
      /readDlibNetworkPrefix's options must be an object, got null/,
    ],
  ],
  readNetworkAndShapePredictor: [
    [
      "readNetworkAndShapePredictor('x')",
      () => api.readNetworkAndShapePredictor('x' as never),
      InputError,
      /must be a Uint8Array or ArrayBuffer, not String/,
    ],
    ['readNetworkAndShapePredictor(3 bytes)', () => api.readNetworkAndShapePredictor(bytes3), DatFormatError, /at byte 0/],
    [
      'readNetworkAndShapePredictor(bytes, null)',
      () => api.readNetworkAndShapePredictor(bytes3, null as never),
      InputError,
      /readNetworkAndShapePredictor's options must be an object, got null/,
    ],
  ],
  parsePrintout: [
    ["parsePrintout('')", () => api.parsePrintout(''), TopologyError, /printout has no layers/],
    ["parsePrintout('junk')", () => api.parsePrintout('junk'), TopologyError, /printout line 1 is not/],
    ['parsePrintout(null)', () => api.parsePrintout(null as never), InputError, /takes dlib's printout of a net as text .*got null/],
    ['parsePrintout(5)', () => api.parsePrintout(5 as never), InputError, /got 5/],
  ],
  loadShapePredictor: [
    ['loadShapePredictor(null)', () => api.loadShapePredictor(null as never), InputError, MODEL_SOURCE],
    ["loadShapePredictor('x')", () => api.loadShapePredictor('x' as never), InputError, MODEL_SOURCE],
    ['loadShapePredictor(3 bytes)', () => api.loadShapePredictor(bytes3), DatFormatError, /shape_predictor version .*at byte 0/],
  ],
  loadGenderClassifier: [
    ['loadGenderClassifier(null)', () => api.loadGenderClassifier(null as never), InputError, MODEL_SOURCE],
    ['loadGenderClassifier(3 bytes)', () => api.loadGenderClassifier(bytes3), DatFormatError, /at byte 0/],
    [
      'loadGenderClassifier(bytes, null)',
      () => api.loadGenderClassifier(fixture('dlib-models/dnn_gender_classifier_v1.dat'), null as never),
      InputError,
      /the engine options must be an object, got null/,
    ],
  ],
  genderChipDetails: [
    ['genderChipDetails(null)', () => api.genderChipDetails(null as never), InputError, /has 5 or 68 points .*got not an array of points/],
    ['genderChipDetails([])', () => api.genderChipDetails([]), InputError, /got 0 points/],
  ],
  classifyLogits: [
    ['classifyLogits(null)', () => api.classifyLogits(null as never), InputError, /one finite number per class .*got null/],
    ['classifyLogits([])', () => api.classifyLogits([]), InputError, /got an array of 0/],
    ['classifyLogits([1, NaN])', () => api.classifyLogits([1, Number.NaN]), InputError, /got an array of 2/],
    ["classifyLogits('ab')", () => api.classifyLogits('ab' as never), InputError, /got /],
  ],
  getFaceChipDetails: [
    [
      'getFaceChipDetails(null)',
      () => api.getFaceChipDetails(null as never),
      InputError,
      /has 5 or 68 points .*got not an array of points/,
    ],
    ['getFaceChipDetails([])', () => api.getFaceChipDetails([]), InputError, /has 5 or 68 points .*got 0 points/],
    [
      'getFaceChipDetails([null x 5])',
      () => api.getFaceChipDetails(Array(5).fill(null)),
      InputError,
      /shape point 0 is not a finite \[x, y\]/,
    ],
    [
      "getFaceChipDetails(shape, 'x')",
      () => api.getFaceChipDetails(shape5, 'x' as never),
      InputError,
      /chip size must be an integer from 2 to 8192, got x/,
    ],
    [
      'getFaceChipDetails(shape, 150, NaN)',
      () => api.getFaceChipDetails(shape5, 150, Number.NaN),
      InputError,
      /padding must be a finite number >= 0, got NaN/,
    ],
  ],
  loadImageChipExtractor: [
    [
      'loadImageChipExtractor(null)',
      () => api.loadImageChipExtractor(null as never),
      InputError,
      /loadImageChipExtractor's options must be an object, got null/,
    ],
    [
      'loadImageChipExtractor({ wasm: 5 })',
      () => api.loadImageChipExtractor({ wasm: 5 as never }),
      InputError,
      /the wasm option must be an object, got 5/,
    ],
  ],
  loadFrontalFaceDetector: [
    ['loadFrontalFaceDetector(null)', () => api.loadFrontalFaceDetector(null as never), InputError, MODEL_SOURCE],
    ["loadFrontalFaceDetector('x')", () => api.loadFrontalFaceDetector('x' as never), InputError, MODEL_SOURCE],
    ['loadFrontalFaceDetector(3 bytes)', () => api.loadFrontalFaceDetector(bytes3), DatFormatError, /object_detector version .*at byte 0/],
  ],
  loadCnnFaceDetector: [
    ['loadCnnFaceDetector(null)', () => api.loadCnnFaceDetector(null as never), InputError, MODEL_SOURCE],
    ['loadCnnFaceDetector(3 bytes)', () => api.loadCnnFaceDetector(bytes3), DatFormatError, /at byte 0/],
    [
      'loadCnnFaceDetector(bytes, null)',
      () => api.loadCnnFaceDetector(bytes3, null as never),
      InputError,
      /loadCnnFaceDetector's options must be an object, got null/,
    ],
    ['loadCnnFaceDetector(a net that is no detector)', () => api.loadCnnFaceDetector(zooBytes), InputError, /loss_mmod/],
  ],
  readHogDetector: [
    ['readHogDetector(null)', () => api.readHogDetector(null as never), InputError, /not Null/],
    ['readHogDetector(3 bytes)', () => api.readHogDetector(bytes3), DatFormatError, /at byte 0/],
  ],
  jitterImage: [
    [
      'jitterImage(extractor, null, rand)',
      () => api.jitterImage(extractor, null as never, new DlibRand()),
      InputError,
      /^image is not an image \{ width, height, data \}$/,
    ],
    [
      'jitterImage(null, image, rand)',
      () => api.jitterImage(null as never, chip150, new DlibRand()),
      InputError,
      /takes an ImageChipExtractor .*got null/,
    ],
    [
      'jitterImage(extractor, image, null)',
      () => api.jitterImage(extractor, chip150, null as never),
      InputError,
      /draws from a DlibRand, got null/,
    ],
    [
      'jitterImage(extractor, 150x150 of 3 bytes, rand)',
      () => api.jitterImage(extractor, { width: 150, height: 150, data: bytes3 }, new DlibRand()),
      InputError,
      /image holds 3 bytes; a 150x150 image needs 67500/,
    ],
  ],
  drawJitter: [
    [
      'drawJitter(null, rand)',
      () => api.drawJitter(null as never, new DlibRand()),
      InputError,
      /size must be an integer from 8 .*got null/,
    ],
    ["drawJitter('x', rand)", () => api.drawJitter('x' as never, new DlibRand()), InputError, /got a string/],
    ['drawJitter(-1, rand)', () => api.drawJitter(-1, new DlibRand()), InputError, /got -1/],
    ['drawJitter(150, null)', () => api.drawJitter(150, null as never), InputError, /draws from a DlibRand, got null/],
  ],
  loadFacePipeline: [
    [
      'loadFacePipeline(null)',
      () => api.loadFacePipeline(null as never),
      InputError,
      /models \(\{ detector, landmarks, recognition \}\) must be an object, got null/,
    ],
    [
      'loadFacePipeline(models, 5)',
      () => api.loadFacePipeline({ detector: bytes3, landmarks: bytes3, recognition: bytes3 }, 5 as never),
      InputError,
      /options must be an object, got 5/,
    ],
    ['loadFacePipeline({})', () => api.loadFacePipeline({} as never), InputError, MODEL_SOURCE],
    [
      'loadFacePipeline(models of 3 bytes)',
      () => api.loadFacePipeline({ detector: bytes3, landmarks: bytes3, recognition: bytes3 }),
      DatFormatError,
      /at byte 0/,
    ],
  ],
  DlibNetwork: [
    ['DlibNetwork.create(null)', () => api.DlibNetwork.create(null as never), InputError, /takes a NetworkDescription .*got null/],
    ['DlibNetwork.create({})', () => api.DlibNetwork.create({} as never), InputError, /got an object/],
  ],
  FaceMatcher: [
    [
      'FaceMatcher.create(5)',
      () => api.FaceMatcher.create(5 as never),
      InputError,
      /FaceMatcher.create's options must be an object, got 5/,
    ],
    [
      'FaceMatcher.fromJSON(null)',
      () => api.FaceMatcher.fromJSON(null),
      InputError,
      /takes \{ version: 1, names, descriptors \}, got null/,
    ],
    [
      'FaceMatcher.fromJSON({ version: 2 })',
      () => api.FaceMatcher.fromJSON({ version: 2, names: [], descriptors: [] }),
      InputError,
      /version 2 is not known/,
    ],
    [
      "matcher.add('a', [1])",
      async () => (await api.FaceMatcher.create()).add('a', [1]),
      InputError,
      /descriptor must be a descriptor of 128 numbers .*got an array of 1/,
    ],
    [
      'matcher.findBestMatch(null)',
      async () => (await api.FaceMatcher.create()).findBestMatch(null as never),
      InputError,
      /descriptor must be a descriptor of 128 numbers .*got null/,
    ],
    [
      "matcher.findBestMatches('x')",
      async () => (await api.FaceMatcher.create()).findBestMatches('x' as never),
      InputError,
      /descriptors must be an array of descriptors, got a string/,
    ],
  ],
  DlibRand: [
    ['new DlibRand(null)', () => new DlibRand(null as never), InputError, /seed is a string .*got null/],
    ['new DlibRand(5)', () => new DlibRand(5 as never), InputError, /got 5/],
    ['rand.setSeed(null)', () => new DlibRand().setSeed(null as never), InputError, /got null/],
    ['rand.nextUint64Modulo(0)', () => new DlibRand().nextUint64Modulo(0), InputError, /integer n from 1 to 2\^26 .*got 0/],
    [
      "rand.integerInRange('a', 3)",
      () => new DlibRand().integerInRange('a' as never, 3),
      InputError,
      /integers begin <= end, got a string and 3/,
    ],
    ['rand.integerInRange(5, 3)', () => new DlibRand().integerInRange(5, 3), InputError, /got 5 and 3/],
  ],
};

/** Exports with no arguments to check: the error classes (the library constructs them) and a function without parameters. */
const noArguments = new Set([
  'DlibWasmError',
  'DatFormatError',
  'TopologyError',
  'UnsupportedLayerError',
  'InputError',
  'DisposedError',
  'WorkerStartError',
  'WorkerDiedError',
  'WasmMemoryError',
  'faceRecognitionTopology',
  'genderClassifierTopology',
]);

async function errorOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return e;
  }
  return undefined;
}

it('covers every function and class the package exports', () => {
  const callable = Object.entries(api)
    .filter(([, value]) => typeof value === 'function')
    .map(([name]) => name);
  expect(callable.filter((name) => !noArguments.has(name) && !(name in badCalls)).sort()).toEqual([]);
});

describe.each(Object.entries(badCalls))('%s', (_, calls) => {
  it.each(calls)('%s', async (call, run, error, message) => {
    const e = await errorOf(run);
    expect(e, `${call} threw ${String(e)}`).toBeInstanceOf(error);
    expect((e as Error).message).toMatch(message);
  });
});
