import { describe, expect, it } from 'vitest';
import { classifyLogits, DlibNetwork, InputError, readDlibNetwork } from '../src/index.js';
import { faceModelBytes, fixture, fixtureJson, fixturePng, maxAbsDiff } from './support/helpers.js';

// loss_multiclass_log's label and probabilities (dlib's to_label and
// tt::softmax), and DlibNetwork.classify, which only classifiers have.

describe('classifyLogits', () => {
  it('labels the largest logit, the first of equal ones, as dlib index_of_max', () => {
    expect(classifyLogits(Float32Array.of(0.5, 2, -1)).label).toBe(1);
    expect(classifyLogits(Float32Array.of(3, 1, 3)).label).toBe(0);
    expect(classifyLogits(Float32Array.of(-7)).label).toBe(0);
  });

  it('gives the softmax in float32, from exp(x - max): no overflow at large logits', () => {
    const { probabilities, logits } = classifyLogits(Float32Array.of(0, Math.log(3)));
    expect(probabilities).toBeInstanceOf(Float32Array);
    expect(maxAbsDiff(probabilities, [0.25, 0.75])).toBeLessThanOrEqual(1e-7);
    expect([...logits]).toEqual([0, Math.fround(Math.log(3))]);
    expect([...classifyLogits(Float32Array.of(1000, 0, 1000)).probabilities]).toEqual([0.5, 0, 0.5]);
  });
});

describe('DlibNetwork.classify', () => {
  it('is an InputError naming the loss on a net under loss_metric (the face model: use run)', async () => {
    const net = await DlibNetwork.create(readDlibNetwork(faceModelBytes()), { threads: 1 });
    try {
      const error = await net.classify([{ width: 150, height: 150, data: new Uint8Array(150 * 150 * 3) }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toBe(
        "classify needs a net under loss_multiclass_log; this one's loss is loss_metric: use run() for its outputs",
      );
    } finally {
      net.dispose();
    }
  });

  it("is an InputError where the layer under the loss has more than one pixel (dlib's to_label asserts 1x1)", async () => {
    const zoo = fixtureJson<{ dlib_printout: string; input_png: string }>('zoo/conv_variants.json');
    const description = readDlibNetwork(fixture('zoo/conv_variants.dat'), { printout: zoo.dlib_printout });
    // Without its fc and global pool, and under loss_multiclass_log: a classifier of a conv's score maps.
    const headless = { ...description, loss: { kind: 'loss_multiclass_log' as const }, layers: description.layers.slice(0, -2) };
    const net = await DlibNetwork.create(headless, { threads: 1 });
    try {
      const image = fixturePng(`zoo/${zoo.input_png}`);
      const error = await net.classify([image]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(
        /^loss_multiclass_log takes one value per class, but the layer under it gives \d+x\d+x\d+ for input 0 \(19x23\)$/,
      );
    } finally {
      net.dispose();
    }
  });
});
