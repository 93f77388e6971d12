import { describe, expect, it } from 'vitest';
import { DlibByteReader } from '../src/dlib/serialization.js';
import {
  DatFormatError,
  parsePrintout,
  readDlibNetwork,
  readDlibNetworkPrefix,
  readNetworkAndShapePredictor,
  TopologyError,
  UnsupportedLayerError,
  type LayerDescription,
  type MmodOptions,
  type NetworkDescription,
} from '../src/index.js';
import { exportOnnx } from '../src/onnx/index.js';
import { fixture, fixtureJson, spliceBytes } from './support/helpers.js';
import { readOutcomes } from './support/read-outcomes.js';

// dlib's published models (davisking/dlib-models), each read with dlib's printout of its net.

const NAMES = [
  'mmod_human_face_detector',
  'mmod_rear_end_vehicle_detector',
  'mmod_front_and_rear_end_vehicle_detector',
  'dnn_gender_classifier_v1',
  'face_recognition_densenet_model_v1',
] as const;
type Name = (typeof NAMES)[number];
const VEHICLES: Name[] = ['mmod_rear_end_vehicle_detector', 'mmod_front_and_rear_end_vehicle_detector'];
const DETECTORS: Name[] = ['mmod_human_face_detector', ...VEHICLES];

const bytesOf = (name: Name) => fixture(`dlib-models/${name}.dat`);
const printoutOf = (name: Name) => new TextDecoder().decode(fixture(`dlib-models/${name}.printout.txt`));

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A layer as dlib prints its kind: `tag1`, `concat`, `fc` (with or without bias)... */
function printedKind(layer: LayerDescription): string {
  if (layer.kind === 'tag') return `tag${layer.id}`;
  if (layer.kind === 'skip' || layer.kind === 'add_prev') return `${layer.kind}${layer.tag}`;
  return layer.kind;
}

/** The description's layers against the printout's lines: same count, kinds, ids, con and pool settings. */
function expectPrintoutLayers(net: NetworkDescription, printout: string) {
  const printed = parsePrintout(printout);
  expect(net.layers.length).toBe(printed.layers.length);
  const fromPrintout = printed.layers.map((t) => `layer<${t.index}> ${t.kind === 'fc_no_bias' ? 'fc' : t.kind}${t.id ?? ''}`);
  expect(net.layers.map((l) => `layer<${l.index}> ${printedKind(l)}`).reverse()).toEqual(fromPrintout);
  for (const layer of net.layers) {
    const t = printed.layers[layer.index - 1];
    if (layer.kind === 'con') {
      const settings = [layer.numFilters, layer.kernelRows, layer.kernelCols, layer.strideY, layer.strideX, layer.padY, layer.padX];
      expect(settings.map(String), `layer<${layer.index}>`).toEqual(
        ['num_filters', 'nr', 'nc', 'stride_y', 'stride_x', 'padding_y', 'padding_x'].map((k) => t.params[k]),
      );
      expect(layer.bias === null).toBe(t.params.use_bias === 'false');
    }
    if (layer.kind === 'concat') expect(layer.tags).toEqual(t.tags);
  }
  expect(net.input.index).toBe(printed.input.index);
  expect(net.input.kind).toBe(printed.input.kind === 'input_rgb_image_sized' ? 'input_rgb_image' : printed.input.kind);
}

/** dlib's options as the reference's options.json has them (deserialized by dlib 19.24). */
function referenceOptions(name: Name): MmodOptions {
  const o = fixtureJson(`dlib-models/${name}.options.json`);
  return {
    detectorWindows: o.detector_windows,
    lossPerFalseAlarm: o.loss_per_false_alarm,
    lossPerMissedTarget: o.loss_per_missed_target,
    truthMatchIouThreshold: o.truth_match_iou_threshold,
    overlapsNms: { iouThreshold: o.overlaps_nms.iou, percentCoveredThreshold: o.overlaps_nms.percent_covered },
    overlapsIgnore: { iouThreshold: o.overlaps_ignore.iou, percentCoveredThreshold: o.overlaps_ignore.percent_covered },
    assumeImagePyramid: true,
    useBoundingBoxRegression: o.use_bounding_box_regression,
    bboxRegressionLambda: o.bbr_lambda,
  };
}

const read = (name: Name) => readDlibNetworkPrefix(bytesOf(name), { printout: printoutOf(name) });

describe('the five dlib-models files read, as their printouts list them', () => {
  it.each(NAMES)('%s', (name) => {
    const { description, end } = read(name);
    expectPrintoutLayers(description, printoutOf(name));
    expect(end).toBe(VEHICLES.includes(name) ? end : bytesOf(name).length);
    expect(description.input.mean).toEqual([122.782, 117.001, 104.298].map(Math.fround));
  });

  it.each(DETECTORS)("%s: loss_mmod with dlib's mmod_options, the pyramid input with its paddings", (name) => {
    const { description } = read(name);
    expect(description.loss).toEqual({ kind: 'loss_mmod', options: referenceOptions(name) });
    expect(description.input).toEqual({
      kind: 'input_rgb_image_pyramid',
      index: 20,
      mean: [122.782, 117.001, 104.298].map(Math.fround),
      pyramidDownFactor: 6,
      pyramidPadding: 10,
      pyramidOuterPadding: 11,
    });
    // One score map per detector window.
    const top = description.layers.at(-1)!;
    expect(top.kind === 'con' && top.numFilters).toBe(referenceOptions(name).detectorWindows.length);
  });

  it("the front and rear detector's six windows with their labels", () => {
    const { description } = read('mmod_front_and_rear_end_vehicle_detector');
    if (description.loss.kind !== 'loss_mmod') throw new Error('not loss_mmod');
    expect(description.loss.options.detectorWindows.map((w) => `${w.label}:${w.width}x${w.height}`)).toEqual([
      'front:70x52',
      'front:54x70',
      'front:71x30',
      'rear:70x52',
      'rear:54x70',
      'rear:70x32',
    ]);
    expect(description.loss.options.overlapsNms).toEqual({
      iouThreshold: 0.52156104694078953,
      percentCoveredThreshold: 0.94028444421800961,
    });
  });

  it("the face detector's affine layers hold bn_con payloads, converted as dlib does", () => {
    const bytes = bytesOf('mmod_human_face_detector');
    const { description } = read('mmod_human_face_detector');
    const affines = description.layers.filter((l) => l.kind === 'affine');
    expect(affines.map((l) => l.index)).toEqual([18, 15, 12, 9, 6, 3]);
    const channels = new Map([
      [18, 16],
      [15, 32],
      [12, 32],
      [9, 45],
      [6, 45],
      [3, 45],
    ]);
    for (const layer of affines) {
      const r = new DlibByteReader(bytes);
      r.offset = layer.offset;
      expect(r.string('tag')).toBe('bn_con2');
      expect(layer.kind === 'affine' && [layer.mode, layer.disabled, layer.gamma.length]).toEqual([
        'conv',
        false,
        channels.get(layer.index),
      ]);
    }
  });

  it('the gender classifier: multiply by 0.5, a 32x32 input', () => {
    const { description } = read('dnn_gender_classifier_v1');
    expect(description.layers.filter((l) => l.kind === 'multiply')).toMatchObject([
      { index: 5, value: 0.5 },
      { index: 2, value: 0.5 },
    ]);
    expect(description.input).toMatchObject({ kind: 'input_rgb_image', rows: 32, cols: 32 });
    expect(description.loss).toEqual({ kind: 'loss_multiclass_log' });
  });

  it("the gender classifier's multiply layers hold dropout payloads: the multiplication by 1 - the drop rate", () => {
    const bytes = bytesOf('dnn_gender_classifier_v1');
    const multiply = read('dnn_gender_classifier_v1').description.layers.find((l) => l.index === 2)!;
    const r = new DlibByteReader(bytes);
    r.offset = multiply.offset;
    expect(r.string('tag')).toBe('dropout_');
    const rateAt = r.offset;
    expect(r.real('drop_rate')).toBe(0.5);
    // drop_rate 0.25 (1 * 2^-2) in its place.
    const changed = new Uint8Array([...bytes.subarray(0, rateAt), 0x01, 0x01, 0x81, 0x02, ...bytes.subarray(r.offset)]);
    expect(readDlibNetwork(changed).layers.find((l) => l.index === 2)).toMatchObject({ kind: 'multiply', value: 0.75 });
    const error = thrown(() => readDlibNetwork(changed, { printout: printoutOf('dnn_gender_classifier_v1') }));
    expect([error instanceof TopologyError, (error as Error).message]).toEqual([
      true,
      "layer<2>: multiply's value is 0.75 in the file, 0.5 in the topology",
    ]);
  });

  it('the DenseNet: four repeats of concat blocks, padded con_ and max_pool_, an unsized input', () => {
    const { description } = read('face_recognition_densenet_model_v1');
    expect(description.repeats?.map(({ firstIndex, count, blockLength }) => [firstIndex, count, blockLength])).toEqual([
      [5, 8, 9],
      [81, 12, 9],
      [193, 6, 9],
      [251, 3, 9],
    ]);
    const concats = description.layers.filter((l) => l.kind === 'concat');
    expect(concats).toHaveLength(29);
    expect(concats.every((l) => l.kind === 'concat' && l.tags.join() === '1,2')).toBe(true);
    const byIndex = new Map(description.layers.map((l) => [l.index, l]));
    expect(byIndex.get(281)).toMatchObject({
      kind: 'con',
      numFilters: 32,
      inputChannels: 3,
      kernelRows: 7,
      strideY: 2,
      padY: 3,
      padX: 3,
      bias: null,
    });
    expect(byIndex.get(278)).toMatchObject({ kind: 'max_pool', windowRows: 3, strideY: 2, padY: 1, padX: 1 });
    // Each block's 3x3 con reads the concatenation: 64 channels from its 1x1 con.
    expect(byIndex.get(7)).toMatchObject({ kind: 'con', numFilters: 16, inputChannels: 64, kernelRows: 3, padY: 1 });
    expect(description.input).toEqual({ kind: 'input_rgb_image', index: 282, mean: [122.782, 117.001, 104.298].map(Math.fround) });
    expect(description.loss).toEqual({ kind: 'loss_metric', margin: Math.fround(0.04), distanceThreshold: Math.fround(0.6) });
  });
});

describe('files holding more after the net', () => {
  it.each(VEHICLES)('%s: readDlibNetwork says where the net ends; the shape predictor after it reads', (name) => {
    const bytes = bytesOf(name);
    const printout = printoutOf(name);
    const { end } = readDlibNetworkPrefix(bytes, { printout });
    const error = thrown(() => readDlibNetwork(bytes, { printout })) as DatFormatError;
    expect(error).toBeInstanceOf(DatFormatError);
    expect(error.message).toMatch(/^\d+ unexpected bytes after the network; readDlibNetworkPrefix reads a network followed by more/);
    expect([error.offset, error.message.startsWith(`${bytes.length - end} `)]).toEqual([end, true]);
    // The net alone is a whole file.
    expect(readDlibNetwork(bytes.subarray(0, end), { printout }).layers).toHaveLength(19);

    const { network, shapePredictor, shapePredictorBytes } = readNetworkAndShapePredictor(bytes, { printout });
    expect(network.layers).toHaveLength(19);
    expect(shapePredictorBytes.byteOffset - bytes.byteOffset).toBe(end);
    // dlib's train_shape_predictor defaults: cascade depth 10, 500 trees of depth 4, 400 feature pixels; 4 parts (the box's corners).
    expect(shapePredictor.initialShape).toHaveLength(8);
    expect(shapePredictor.levels).toHaveLength(10);
    for (const level of shapePredictor.levels) {
      expect([level.trees.length, level.anchors.length, level.trees[0].idx1.length, level.trees[0].leaves.length]).toEqual([
        500,
        400,
        15,
        16 * 8,
      ]);
    }
  });

  it('a net with nothing after it has no shape predictor', () => {
    const error = thrown(() => readNetworkAndShapePredictor(bytesOf('dnn_gender_classifier_v1'))) as DatFormatError;
    expect(error).toBeInstanceOf(DatFormatError);
    expect([error.message, error.offset]).toEqual([
      `the file ends with the network: no shape predictor follows it (at byte ${bytesOf('dnn_gender_classifier_v1').length})`,
      bytesOf('dnn_gender_classifier_v1').length,
    ]);
  });

  it('a damaged shape predictor is a DatFormatError at its byte in the whole file', () => {
    const name = 'mmod_rear_end_vehicle_detector';
    const bytes = bytesOf(name);
    const { end } = readDlibNetworkPrefix(bytes);
    const cut = thrown(() => readNetworkAndShapePredictor(bytes.subarray(0, end + 500))) as DatFormatError;
    expect(cut).toBeInstanceOf(DatFormatError);
    expect(cut.message).toMatch(
      /^shape predictor after the network: (unexpected end of data reading|.* more than the \d+ bytes left) .* \(at byte \d+\)$/,
    );
    expect(cut.offset).toBeGreaterThanOrEqual(end);
    expect(cut.offset).toBeLessThanOrEqual(end + 500);
    const changed = bytes.slice();
    changed[end] = 7; // the shape predictor's version
    const version = thrown(() => readNetworkAndShapePredictor(changed)) as DatFormatError;
    expect([version.constructor, version.offset]).toEqual([DatFormatError, end]);
  });
});

describe('what cannot be exported is an UnsupportedLayerError naming the layer', () => {
  it.each(DETECTORS)('exportOnnx(%s): its image pyramid input is no ONNX operator', (name) => {
    const description = readDlibNetworkPrefix(bytesOf(name), { printout: printoutOf(name) }).description;
    const exported = thrown(() => exportOnnx(description, { inputSize: { rows: 64, cols: 64 } }));
    expect([exported instanceof UnsupportedLayerError, (exported as Error).message]).toEqual([
      true,
      'layer<20>: input_rgb_image_pyramid cannot be exported to ONNX',
    ]);
  });
});

/**
 * Byte offsets in the front and rear detector's mmod_options (version 2:
 * windows with labels, no pyramid or regression fields), found by reading
 * them as dlib writes them.
 */
function mmodOptionFields(bytes: Uint8Array) {
  const r = new DlibByteReader(bytes);
  r.int('add_loss_layer version');
  r.string('loss tag');
  const version = r.offset;
  r.int('mmod_options version');
  const windowCount = r.offset;
  r.int('windows');
  r.int('window version');
  const width = r.offset;
  r.int('width');
  r.int('height');
  r.string('label');
  for (let w = 1; w < 6; w++) {
    r.int('window version');
    r.int('width');
    r.int('height');
    r.string('label');
  }
  for (let i = 0; i < 7; i++) r.real('threshold');
  return { version, windowCount, width, end: r.offset };
}

describe("mmod_options' fields", () => {
  const name = 'mmod_front_and_rear_end_vehicle_detector';
  const { end } = readDlibNetworkPrefix(bytesOf(name));
  const bytes = bytesOf(name).subarray(0, end);
  const fields = mmodOptionFields(bytes);
  const changed = (at: number, value: number) => {
    const copy = bytes.slice();
    copy[at] = value;
    return copy;
  };
  /** The options rewritten as version 3 (+ assume_image_pyramid) or 4 (+ use_bounding_box_regression, bbr_lambda = 100 as 100 * 2^0). */
  const rewritten = (version: 3 | 4, pyramid: number, regression = 0x30) =>
    spliceBytes(
      changed(fields.version + 1, version),
      fields.end,
      0,
      version === 3 ? [pyramid] : [pyramid, regression, 0x01, 0x64, 0x01, 0x00],
    );
  const pyramidAt = fields.end;
  const regressionAt = fields.end + 1;

  it('versions 3 and 4: assume_image_pyramid, use_bounding_box_regression and bbr_lambda read', () => {
    const reference = referenceOptions(name);
    const v3 = readDlibNetwork(rewritten(3, 0));
    expect(v3.loss).toEqual({ kind: 'loss_mmod', options: { ...reference, assumeImagePyramid: false } });
    const v4 = readDlibNetwork(rewritten(4, 1));
    expect(v4.loss).toEqual({ kind: 'loss_mmod', options: reference });
  });

  it('bounding box regression on: the con under the loss must then have 5 outputs per window', () => {
    const error = thrown(() => readDlibNetwork(rewritten(4, 1, 0x31))) as DatFormatError;
    expect(error).toBeInstanceOf(DatFormatError);
    expect(error.message).toMatch(
      /^loss_mmod has 6 detector windows with bounding box regression, so the con under it needs 30 filters, not 6 \(in layer<1> at byte \d+\)$/,
    );
  });

  it.each([
    [
      'an mmod_options version 5',
      () => changed(fields.version + 1, 5),
      /^unsupported mmod_options version 5 \(expected 1 or 2 or 3 or 4\)/,
      14,
    ],
    ['no detector window', () => changed(fields.windowCount + 1, 0), /^mmod_options has no detector window/, 14],
    ['an empty window', () => changed(fields.width + 1, 0), /^detector window 0x52 is empty/, 14],
    ['assume_image_pyramid 2', () => rewritten(3, 2), /^assume_image_pyramid is 2, not 0 \(no\) or 1 \(yes\)/, pyramidAt],
    ['a bad bool', () => rewritten(4, 1, 0x02), /^bad bool byte 0x02 for use_bounding_box_regression/, regressionAt],
  ])('%s', (_, bytesOfCase, message, offset) => {
    const error = thrown(() => readDlibNetwork(bytesOfCase())) as DatFormatError;
    expect(error).toBeInstanceOf(DatFormatError);
    expect(error.message).toMatch(message);
    expect([error.offset, error.layerIndex]).toEqual([offset, 0]);
  });

  it("the face detector's options are version 1: one window, no label", () => {
    const r = new DlibByteReader(bytesOf('mmod_human_face_detector'));
    r.offset = 14;
    expect(r.int('version')).toBe(1);
  });
});

/** The file cut to `length` bytes gives an "end of data" DatFormatError at a byte it has. */
function expectTruncated(bytes: Uint8Array, length: number, printout: string) {
  const error = thrown(() => readDlibNetworkPrefix(bytes.subarray(0, length), { printout }));
  const context = `cut to ${length} bytes`;
  expect(error, context).toBeInstanceOf(DatFormatError);
  const { message, offset } = error as DatFormatError;
  expect(message, context).toMatch(
    /^(the file is empty|unexpected end of data reading [\w ]+: needs \d+ bytes, \d+ left|[\w ]+ tensor of shape \[[\d,]+\] needs \d+ bytes, \d+ left|\d+ detector windows cannot fit in the \d+ bytes left) \(/,
  );
  expect(offset, context).toBeLessThanOrEqual(length);
}

describe('truncated and damaged files', () => {
  it('every cut in the structural regions gives a DatFormatError', { timeout: 60_000 }, () => {
    const regions: [Name, number, number][] = [
      // The loss with every mmod_options field, the wrappers' versions and the pyramid input.
      ['mmod_front_and_rear_end_vehicle_detector', 0, 400],
      // The first repeat's count, its first block's versions, the tag on the repeat's input and its first payloads.
      ['face_recognition_densenet_model_v1', 0, 700],
      // The net's end, where the vehicle file's shape predictor begins.
      ['mmod_rear_end_vehicle_detector', 1001698 - 300, 1001698],
      // The gender classifier's multiply payloads, from the outermost fc's.
      ['dnn_gender_classifier_v1', 530926 - 1200, 530926],
    ];
    for (const [name, from, to] of regions) {
      const bytes = bytesOf(name);
      const printout = printoutOf(name);
      for (let length = from; length < to; length++) expectTruncated(bytes, length, printout);
    }
  });

  it('cuts around every repeat of the DenseNet', { timeout: 60_000 }, () => {
    const bytes = bytesOf('face_recognition_densenet_model_v1');
    const printout = printoutOf('face_recognition_densenet_model_v1');
    const { description } = read('face_recognition_densenet_model_v1');
    for (const { offset } of description.repeats!.slice(1)) {
      for (let length = offset - 40; length < offset + 120; length += 3) expectTruncated(bytes, length, printout);
    }
  });

  it.each(['mmod_human_face_detector', 'dnn_gender_classifier_v1', 'face_recognition_densenet_model_v1'] as const)(
    'random changes near the structure of %s give a typed error or a network',
    { timeout: 60_000 },
    (name) => {
      const bytes = bytesOf(name);
      const printout = printoutOf(name);
      const { description } = read(name);
      // Bytes of the framing: the loss, the wrappers, the first bytes of each payload (its tag and header) and each repeat's.
      const near = [0, ...description.layers.map((l) => l.offset), ...(description.repeats ?? []).map((g) => g.offset)];
      let seed = name.length;
      const next = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      function* damaged() {
        for (let i = 0; i < 200; i++) {
          const at = Math.min(bytes.length - 1, near[Math.floor(next() * near.length)] + Math.floor(next() * 16));
          const changed = bytes.slice();
          changed[at] = i % 2 === 0 ? changed[at] ^ (1 << Math.floor(next() * 8)) : Math.floor(next() * 256);
          yield changed;
        }
      }
      const outcomes = readOutcomes(damaged(), (changed) => readDlibNetwork(changed, { printout }));
      expect(outcomes.get('DatFormatError')).toBeGreaterThan(90);
      expect(outcomes.get('read') ?? 0).toBeLessThan(20);
    },
  );

  it('the DenseNet without its printout, or with a block of its printout changed', () => {
    const bytes = bytesOf('face_recognition_densenet_model_v1');
    const bare = thrown(() => readDlibNetwork(bytes)) as DatFormatError;
    expect(bare).toBeInstanceOf(DatFormatError);
    expect(bare.message).toMatch(/a net declared with repeat can only be read with its printout/);
    // The 3x3 con of the third block of the first repeat printed with 32 filters: the repeat's blocks differ.
    const lines = printoutOf('face_recognition_densenet_model_v1').split('\n');
    lines[25] = lines[25].replace('num_filters=16', 'num_filters=32');
    const error = thrown(() => readDlibNetwork(bytes, { printout: lines.join('\n') }));
    expect(error).toBeInstanceOf(TopologyError);
    expect((error as TopologyError).message).toMatch(/^layer<25>: num_filters is 16 in the file, 32 in the topology/);
  });
});
