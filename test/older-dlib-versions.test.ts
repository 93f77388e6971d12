import { describe, expect, it } from 'vitest';
import {
  faceRecognitionTopology,
  loadFaceRecognitionModel,
  loadNetwork,
  readDlibNetwork,
  type NetworkDescription,
  type ReadNetworkOptions,
} from '../src/index.js';
import {
  readDatLayout,
  rewriteToOlderVersions,
  type AffineSelection,
  type DatLayout,
  type OlderVersionRewrites,
} from './support/dat-rewriter.js';
import { faceModelBytes, fixture, fixtureJson, fixturePng, maxAbsDiff, relativeDiff } from './support/helpers.js';

// dlib 19.24 writes only the newest version tags; dlib.net's 2017 face model
// was written with older ones. These files are derived from the reference
// files by rewriting exactly those fields, so dlib's numbers still apply.

const all: AffineSelection = () => true;
const even: AffineSelection = (n) => n % 2 === 0;
const odd: AffineSelection = (n) => n % 2 === 1;

/** What a rewrite changed, as `old→new` counts over the loss, the input add_layer and every payload. */
function changes(original: Uint8Array, derived: Uint8Array): Record<string, number> {
  const before = readDatLayout(original);
  const after = readDatLayout(derived);
  const counts: Record<string, number> = {};
  const count = (from: string, to: string) => {
    if (from !== to) counts[`${from}→${to}`] = (counts[`${from}→${to}`] ?? 0) + 1;
  };
  count(before.loss.tag, after.loss.tag);
  const inputVersion = (layout: DatLayout) => `input add_layer v${layout.wrappers[layout.wrappers.length - 1].version}`;
  count(inputVersion(before), inputVersion(after));
  expect(after.payloads.map((p) => p.index)).toEqual(before.payloads.map((p) => p.index));
  before.payloads.forEach((p, i) => count(p.tag, after.payloads[i].tag));
  return counts;
}

/**
 * Where two descriptions differ, ignoring byte offsets. Arrays may differ by
 * `tolerance` relative to the expected array's largest value.
 */
function differences(actual: NetworkDescription, expected: NetworkDescription, tolerance: number): string[] {
  const found: string[] = [];
  const compare = (where: string, a: Record<string, unknown>, e: Record<string, unknown>) => {
    for (const key of new Set([...Object.keys(a), ...Object.keys(e)])) {
      if (key === 'offset') continue;
      const [x, y] = [a[key], e[key]];
      if (x instanceof Float32Array && y instanceof Float32Array) {
        if (x.length !== y.length || relativeDiff(x, y) > tolerance) found.push(`${where}.${key}`);
      } else if (JSON.stringify(x) !== JSON.stringify(y)) {
        found.push(`${where}.${key}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
      }
    }
  };
  compare('loss', actual.loss, expected.loss);
  compare('input', { ...actual.input }, { ...expected.input });
  if (actual.layers.length !== expected.layers.length) return [...found, `${actual.layers.length} layers vs ${expected.layers.length}`];
  actual.layers.forEach((layer, i) => compare(`layer<${layer.index}>`, { ...layer }, { ...expected.layers[i] }));
  return found;
}

/** dlib computes the bn→affine conversion in float; the affine's gamma and beta come back to float rounding. */
const BN_PARAMS_TOLERANCE = 1e-6;

function expectSameDescription(derived: Uint8Array, original: Uint8Array, options: ReadNetworkOptions, rewrites: OlderVersionRewrites) {
  const expected = readDlibNetwork(original, options);
  if (rewrites.lossMetricV1) expected.loss = { kind: 'loss_metric', margin: 0.1, distanceThreshold: 0.75 };
  const tolerance = rewrites.batchNorm ? BN_PARAMS_TOLERANCE : 0;
  expect(differences(readDlibNetwork(derived, options), expected, tolerance)).toEqual([]);
}

describe("the face model in older dlib versions' formats", () => {
  const original = faceModelBytes();
  const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
  const references = [items[0], items[71], items[142]];
  const cases: { name: string; rewrites: OlderVersionRewrites; changes: Record<string, number> }[] = [
    { name: 'con_4', rewrites: { con4: true }, changes: { 'con_5→con_4': 29 } },
    { name: 'fc_2', rewrites: { fc2: true }, changes: { 'fc_3→fc_2': 1 } },
    { name: 'affine_', rewrites: { affineV1: all }, changes: { 'affine_2→affine_': 29 } },
    { name: 'loss_metric_', rewrites: { lossMetricV1: true }, changes: { 'loss_metric_2→loss_metric_': 1 } },
    { name: 'input add_layer v2', rewrites: { inputAddLayerV2: true }, changes: { 'input add_layer v3→input add_layer v2': 1 } },
    { name: 'bn_con2 in place of affine_2', rewrites: { batchNorm: all }, changes: { 'affine_2→bn_con2': 29 } },
    {
      name: 'all of them together',
      rewrites: { con4: true, fc2: true, affineV1: even, batchNorm: odd, lossMetricV1: true, inputAddLayerV2: true },
      changes: {
        'con_5→con_4': 29,
        'fc_3→fc_2': 1,
        'affine_2→affine_': 15,
        'affine_2→bn_con2': 14,
        'loss_metric_2→loss_metric_': 1,
        'input add_layer v3→input add_layer v2': 1,
      },
    },
  ];

  it.each(cases)("reads $name and gives dlib's descriptors", async ({ rewrites, changes: expectedChanges }) => {
    const derived = rewriteToOlderVersions(original, rewrites);
    expect(changes(original, derived)).toEqual(expectedChanges);
    expectSameDescription(derived, original, { printout: faceRecognitionTopology() }, rewrites);

    const model = await loadFaceRecognitionModel(derived);
    try {
      // 0.6 is stored as a float; 0.75 is dlib's old constant.
      expect(model.distanceThreshold).toBe(rewrites.lossMetricV1 ? 0.75 : Math.fround(0.6));
      const descriptors = await model.computeFaceDescriptors(references.map((item) => fixturePng(item.chip)));
      const diffs = references.map((item, i) => maxAbsDiff(descriptors[i], item.descriptor));
      expect(diffs.reduce((a, b) => Math.max(a, b))).toBeLessThanOrEqual(1e-5);
    } finally {
      model.dispose();
    }
  });
});

interface ZooNet {
  dlib_printout: string;
  input_tensor: { shape: [number, number, number, number]; data: number[] };
  output: { data: number[] };
}

describe("zoo nets in older dlib versions' formats", () => {
  const cases: { net: string; name: string; rewrites: OlderVersionRewrites; changes: Record<string, number> }[] = [
    { net: 'bn_as_affine', name: 'con_4', rewrites: { con4: true }, changes: { 'con_5→con_4': 2 } },
    { net: 'bn_as_affine', name: 'fc_2', rewrites: { fc2: true }, changes: { 'fc_3→fc_2': 2 } },
    { net: 'bn_as_affine', name: 'affine_', rewrites: { affineV1: all }, changes: { 'affine_2→affine_': 3 } },
    // Its affines in CONV_MODE and FC_MODE become bn_con2 and bn_fc2.
    { net: 'bn_as_affine', name: 'bn_con2/bn_fc2', rewrites: { batchNorm: all }, changes: { 'affine_2→bn_con2': 2, 'affine_2→bn_fc2': 1 } },
    {
      net: 'bn_as_affine',
      name: 'all of them together',
      rewrites: { con4: true, fc2: true, affineV1: odd, batchNorm: even, inputAddLayerV2: true },
      changes: {
        'con_5→con_4': 2,
        'fc_3→fc_2': 2,
        'affine_2→affine_': 1,
        'affine_2→bn_con2': 1,
        'affine_2→bn_fc2': 1,
        'input add_layer v3→input add_layer v2': 1,
      },
    },
    { net: 'residual_mini', name: 'con_4', rewrites: { con4: true }, changes: { 'con_5→con_4': 9 } },
    { net: 'residual_mini', name: 'fc_2 (of an fc_no_bias)', rewrites: { fc2: true }, changes: { 'fc_3→fc_2': 1 } },
    { net: 'residual_mini', name: 'affine_', rewrites: { affineV1: all }, changes: { 'affine_2→affine_': 9 } },
    { net: 'residual_mini', name: 'bn_con2', rewrites: { batchNorm: all }, changes: { 'affine_2→bn_con2': 9 } },
    {
      net: 'residual_mini',
      name: 'all of them together',
      rewrites: { con4: true, fc2: true, affineV1: even, batchNorm: odd, lossMetricV1: true, inputAddLayerV2: true },
      changes: {
        'con_5→con_4': 9,
        'fc_3→fc_2': 1,
        'affine_2→affine_': 5,
        'affine_2→bn_con2': 4,
        'loss_metric_2→loss_metric_': 1,
        'input add_layer v3→input add_layer v2': 1,
      },
    },
    // The fc with use_bias=false has no fc_2 form and stays fc_3.
    { net: 'fc_variants', name: 'fc_2', rewrites: { fc2: true }, changes: { 'fc_3→fc_2': 2 } },
    { net: 'fc_variants', name: 'con_4 and fc_2', rewrites: { con4: true, fc2: true }, changes: { 'con_5→con_4': 1, 'fc_3→fc_2': 2 } },
    // Likewise its 1x1 con with use_bias=false stays con_5.
    { net: 'conv_variants', name: 'con_4', rewrites: { con4: true }, changes: { 'con_5→con_4': 4 } },
  ];

  it.each(cases)("$net: reads $name and gives dlib's output", async ({ net, rewrites, changes: expectedChanges }) => {
    const original = fixture(`zoo/${net}.dat`);
    const json = fixtureJson<ZooNet>(`zoo/${net}.json`);
    const derived = rewriteToOlderVersions(original, rewrites);
    expect(changes(original, derived)).toEqual(expectedChanges);
    expectSameDescription(derived, original, { printout: json.dlib_printout }, rewrites);

    const network = await loadNetwork(derived, { printout: json.dlib_printout });
    try {
      const [, channels, rows, cols] = json.input_tensor.shape;
      const [output] = await network.run([{ channels, rows, cols, data: Float32Array.from(json.input_tensor.data) }]);
      expect(relativeDiff(output, json.output.data)).toBeLessThanOrEqual(1e-5);
    } finally {
      network.dispose();
    }
  });
});
