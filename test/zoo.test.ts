import { describe, expect, it } from 'vitest';
import { loadNetwork } from '../src/index.js';
import { expectSameValues, fixture, fixtureJson, fixturePng, relativeDiff } from './support/helpers.js';

interface ZooTensor {
  shape: number[];
  data: number[];
}
interface ZooNet {
  name: string;
  dlib_printout: string;
  input_png: string;
  input_tensor: ZooTensor;
  output: ZooTensor;
  label: number | number[];
  layers: { idx: number; kind: string; output: ZooTensor }[];
}

// dlib 19.24's outputs for small random-weight nets covering every layer option.
const TOLERANCE = 1e-5; // max |ours - dlib| / max |dlib|, per layer
const { nets } = fixtureJson<{ nets: string[] }>('zoo/index.json');

const asTensor = (t: ZooTensor) => ({ channels: t.shape[1], rows: t.shape[2], cols: t.shape[3], data: Float32Array.from(t.data) });
const argmax = (v: ArrayLike<number>) => Array.from(v).reduce((best, x, i, a) => (x > a[best] ? i : best), 0);

describe.each(nets)('zoo net %s matches dlib', (name) => {
  const net = fixtureJson<ZooNet>(`zoo/${name}.json`);

  it('every layer, run layer by layer', async () => {
    const network = await loadNetwork(fixture(`zoo/${name}.dat`), { printout: net.dlib_printout });
    const outputs = await network.layerOutputs(asTensor(net.input_tensor));
    const report = net.layers.map((layer) => {
      const ours = outputs.get(layer.idx);
      return {
        layer: `layer<${layer.idx}> ${layer.kind}`,
        shape: ours?.shape.join('x'),
        ok: ours !== undefined && relativeDiff(ours.data, layer.output.data) <= TOLERANCE,
      };
    });
    expect(report.filter((r) => !r.ok)).toEqual([]);
    expect(report.every((r, i) => r.shape === net.layers[i].output.shape.join('x'))).toBe(true);
    network.dispose();
  });

  it("the fused plan's output, from the tensor and from the PNG", async () => {
    const network = await loadNetwork(fixture(`zoo/${name}.dat`), { printout: net.dlib_printout });
    const [fromTensor, fromPng] = await network.run([asTensor(net.input_tensor), fixturePng(`zoo/${net.input_png}`)]);
    expect(relativeDiff(fromTensor, net.output.data)).toBeLessThanOrEqual(TOLERANCE);
    expect(relativeDiff(fromPng, net.output.data)).toBeLessThanOrEqual(TOLERANCE);
    if (typeof net.label === 'number') expect(argmax(fromTensor)).toBe(net.label);
    network.dispose();
  });

  it("normalizes the PNG exactly as dlib's input layer", async () => {
    const network = await loadNetwork(fixture(`zoo/${name}.dat`), { printout: net.dlib_printout });
    const outputs = await network.layerOutputs(fixturePng(`zoo/${net.input_png}`));
    const input = outputs.get(network.description.input.index);
    expectSameValues(input!.data, Float32Array.from(net.input_tensor.data), 'input tensor');
    network.dispose();
  });
});
