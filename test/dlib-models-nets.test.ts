import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DlibNetwork, loadNetwork } from '../src/index.js';
import { fixture, fixtureJsonLines as jsonLines, fixturePng, fixtureText as text, maxAbsDiff } from './support/helpers.js';
import { sampled } from './support/suite.js';

// dlib's published models that are not the face model, run by loadNetwork
// against dlib 19.24's outputs (test/fixtures/README.md, dlib-models/).

const load = (name: string) =>
  loadNetwork(fixture(`dlib-models/${name}.dat`), { printout: text(`dlib-models/${name}.printout.txt`), threads: 1 });

describe('face_recognition_densenet_model_v1 (concat, repeat, padded con_ and max_pool_)', () => {
  const chips = sampled(
    jsonLines<{ id: string; descriptor: number[] }>('dlib-models/face_recognition_densenet_model_v1.descriptors.jsonl'),
  );
  let net: DlibNetwork;
  beforeAll(async () => {
    net = await load('face_recognition_densenet_model_v1');
  });
  afterAll(() => net?.dispose());

  it(`gives dlib's descriptors of ${chips.length} 150x150 chips within 1e-4`, async () => {
    const descriptors = await net.run(chips.map(({ id }) => fixturePng(`chips/faces/${id}.png`)));
    const off = chips
      .map(({ id, descriptor }, i) => ({ id, diff: maxAbsDiff(descriptors[i], descriptor) }))
      .filter(({ diff }) => !(diff <= 1e-4));
    expect(off).toEqual([]);
  }, 120_000);

  it('gives the same descriptor layer by layer, unfused (each tensor kept, no concat in place)', async () => {
    const [{ id, descriptor }] = chips;
    const layers = await net.layerOutputs(fixturePng(`chips/faces/${id}.png`));
    expect(layers.get(1)!.shape).toEqual([1, 128, 1, 1]);
    expect(maxAbsDiff(layers.get(1)!.data, descriptor)).toBeLessThanOrEqual(1e-4);
    // A concat's output: its first input's channels, then its second's (dlib's NCHW order).
    const concat = layers.get(269)!;
    expect(concat.shape).toEqual([1, 48, 38, 38]);
    const plane = 38 * 38;
    expect(concat.data.subarray(0, 32 * plane)).toEqual(layers.get(278)!.data);
    expect(concat.data.subarray(32 * plane)).toEqual(layers.get(270)!.data);
  });
});

describe('dnn_gender_classifier_v1 (multiply)', () => {
  const faces = sampled(jsonLines<{ id: string; logits: number[]; label: number }>('dlib-models/dnn_gender_classifier_v1.outputs.jsonl'));
  let net: DlibNetwork;
  beforeAll(async () => {
    net = await load('dnn_gender_classifier_v1');
  });
  afterAll(() => net?.dispose());

  const chips = () => faces.map(({ id }) => fixturePng(`dlib-models/dnn_gender_classifier_v1.chips/${id}.png`));

  it(`gives dlib's logits of ${faces.length} 32x32 chips within 1e-4`, async () => {
    const logits = await net.run(chips());
    const off = faces.map(({ id, logits: dlib }, i) => ({ id, diff: maxAbsDiff(logits[i], dlib) })).filter(({ diff }) => !(diff <= 1e-4));
    expect(off).toEqual([]);
  });

  it("classifies them with dlib's labels (0 female, 1 male) and the softmax of dlib's logits", async () => {
    const classified = await net.classify(chips());
    expect(classified.map(({ label }) => label)).toEqual(faces.map(({ label }) => label));
    const softmax = ([a, b]: number[]) => [1 / (1 + Math.exp(b - a)), 1 / (1 + Math.exp(a - b))];
    const off = faces.filter(({ logits }, i) => !(maxAbsDiff(classified[i].probabilities, softmax(logits)) <= 1e-5));
    expect(off).toEqual([]);
    expect(classified.every(({ probabilities: [female, male] }) => Math.abs(female + male - 1) <= 1e-6)).toBe(true);
  });
});
