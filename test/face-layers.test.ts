import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFaceRecognitionModel, type FaceRecognitionModel, type LayerOutput } from '../src/index.js';
import { faceModelBytes, fixture, fixtureJson, fixturePng, relativeDiff } from './support/helpers.js';

interface Dump {
  order: number;
  dlib_layer_index: number | null;
  kind: string;
  shape: number[];
  file: string;
}

// dlib's own outputs of 27 layers for one chip, read back with layer<i>(net).forward(x).
const { chip, layers } = fixtureJson<{ chip: string; layers: Dump[] }>('embed-layers/layers.json');
const TOLERANCE = 1e-5; // max |ours - dlib| / max |dlib|

const floats = (file: string) => {
  const bytes = fixture(`embed-layers/${file}`);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};

describe(`face model layer by layer on ${chip}`, () => {
  let model: FaceRecognitionModel;
  let outputs: Map<number, LayerOutput>;
  beforeAll(async () => {
    model = await loadFaceRecognitionModel(faceModelBytes());
    outputs = await model.network.layerOutputs(fixturePng(`chips/${chip}`));
  });
  afterAll(() => model.dispose());

  it.each(layers.map((d) => [`${String(d.order).padStart(3, '0')} layer<${d.dlib_layer_index ?? 'input'}> ${d.kind}`, d]))(
    '%s',
    (_name, dump) => {
      const index = dump.dlib_layer_index ?? model.network.description.input.index;
      const ours = outputs.get(index);
      expect(ours?.shape).toEqual(dump.shape);
      expect(relativeDiff(ours!.data, floats(dump.file))).toBeLessThanOrEqual(TOLERANCE);
    },
  );
});
