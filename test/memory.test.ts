import { describe, expect, it } from 'vitest';
import { DisposedError, loadFaceRecognitionModel, loadNetwork } from '../src/index.js';
import { expectSameValues, faceModelBytes, fixture, fixtureJson, fixturePng } from './helpers.js';

describe('memory', () => {
  it('does not grow over thousands of runs of a net', async () => {
    const net = fixtureJson('zoo/residual_mini.json');
    const network = await loadNetwork(fixture('zoo/residual_mini.dat'), { printout: net.dlib_printout, threads: 1, batchSize: 4 });
    const image = fixturePng(`zoo/${net.input_png}`);
    await network.run([image, image, image, image, image]);
    const settled = network.memoryBytes;
    let first: Float32Array | undefined;
    for (let i = 0; i < 3000; i++) {
      const [out] = await network.run(i % 2 ? [image] : [image, image, image]);
      first ??= out;
      if (i % 500 === 0) expectSameValues(out, first, `run ${i}`);
    }
    expect(network.memoryBytes).toBe(settled);
    network.dispose();
    expect(network.memoryBytes).toBe(0);
    await expect(network.run([image])).rejects.toThrow(DisposedError);
  });

  it('holds the face model in about its size plus one batch of activations', async () => {
    const model = await loadFaceRecognitionModel(faceModelBytes(), { threads: 1, batchSize: 8 });
    const chip = fixturePng('chips/faces/sample1_f00.png');
    await model.computeFaceDescriptors(Array(8).fill(chip));
    const settled = model.network.memoryBytes;
    // 22.5 MB of weights; a batch of 8 at 150x150 needs under 20 MB of activations.
    expect(settled).toBeLessThan(48 * 1024 * 1024);
    for (let i = 0; i < 20; i++) await model.computeFaceDescriptors(Array((i % 8) + 1).fill(chip));
    expect(model.network.memoryBytes).toBe(settled);
    model.dispose();
    expect(model.network.memoryBytes).toBe(0);
  });
});
