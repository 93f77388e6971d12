import { describe, expect, it } from 'vitest';
import { DlibNetwork, type NetworkDescription } from '../src/index.js';
import { convIndirection } from '../src/plan/indirection.js';
import { MIN_TAP_SUM_TAPS } from '../src/plan/ops/tap-sum-conv.js';
import { IGEMM_NR } from '../src/plan/pack-weights.js';
import { relativeDiff } from './support/helpers.js';
import { floats, outputSize, random, randomCon, referenceConv, type ConGeometry } from './support/reference-conv.js';

// Kernel taps that read only padding (as the face model's 3x3 conv over a 1x1
// input) are left out of the GEMM: the indirection names the kernel positions
// it keeps, the weights are packed for those only, and the result is still
// the whole convolution's.

interface Geometry extends ConGeometry {
  h: number;
  w: number;
}

const cases: (Geometry & { positions: number[] })[] = [
  // The face model's last 3x3 conv: only the centre reads the input.
  { inputs: 9, filters: 10, size: 3, stride: 1, pad: [1, 1], h: 1, w: 1, positions: [4] },
  // Stride 2 over 2x2: one output, whose top row and left column are padding.
  { inputs: 5, filters: 12, size: 3, stride: 2, pad: [1, 1], h: 2, w: 2, positions: [4, 5, 7, 8] },
  // No horizontal padding: taps are whole kernel rows; only the middle one is live.
  { inputs: 6, filters: 8, size: 3, stride: 1, pad: [1, 0], h: 1, w: 5, positions: [3, 4, 5] },
  // 5x5 over 1x3 with padding 2: only the middle kernel row reaches the input, with all its columns.
  { inputs: 4, filters: 9, size: 5, stride: 1, pad: [2, 2], h: 1, w: 3, positions: [10, 11, 12, 13, 14] },
  // One filter (a detector's last layer, f32_igemm_4x1c4 over 5 taps), its top and bottom kernel rows on padding only.
  { inputs: 7, filters: 1, size: 5, stride: 1, pad: [2, 2], h: 1, w: 3, positions: [10, 11, 12, 13, 14] },
  // Two filters over whole kernel rows (no horizontal padding), every row live: 18 taps, summed by f32_tap_sum_nhwc.
  { inputs: 5, filters: 2, size: 3, stride: 1, pad: [1, 0], h: 3, w: 5, positions: [0, 1, 2, 3, 4, 5, 6, 7, 8] },
  // Two filters, 5x5 over 2x2 with padding 2: the middle 3x3 of the kernel is live, 18 taps summed by f32_tap_sum_nhwc.
  { inputs: 6, filters: 2, size: 5, stride: 1, pad: [2, 2], h: 2, w: 2, positions: [6, 7, 8, 11, 12, 13, 16, 17, 18] },
  // Every tap reads the input somewhere: nothing left out.
  { inputs: 3, filters: 8, size: 3, stride: 1, pad: [1, 1], h: 4, w: 4, positions: [0, 1, 2, 3, 4, 5, 6, 7, 8] },
];

describe.each(cases)('a $size x $size / $stride conv, padding $pad, over $h x $w', (g) => {
  const next = random(g.inputs * 100 + g.size * 10 + g.h);
  const conv = randomCon(1, g, next);
  const output = { c: g.filters, h: outputSize(g.h, g.size, g.stride, g.pad[0]), w: outputSize(g.w, g.size, g.stride, g.pad[1]) };

  it('keeps the kernel positions that reach the input', () => {
    const ind = convIndirection(conv, { c: g.inputs, h: g.h, w: g.w }, output, 3);
    expect(ind.positions).toEqual(g.positions);
    expect(ind.taps * ind.tapChannels).toBe(g.positions.length * g.inputs);
  });

  it('computes the whole convolution', async () => {
    const description: NetworkDescription = {
      loss: { kind: 'loss_multiclass_log' },
      input: { kind: 'input_rgb_image', index: 3, mean: [0, 0, 0] },
      // In the order they run; layer<2>, a 1x1 conv from the 3 input channels, gives the conv under test g.inputs.
      layers: [randomCon(2, { ...g, filters: g.inputs, inputs: 3, size: 1, stride: 1, pad: [0, 0] }, next), conv],
    };
    const network = await DlibNetwork.create(description, { batchSize: 2, threads: 1 });
    const inputs = Array.from({ length: 3 }, () => ({ channels: 3, rows: g.h, cols: g.w, data: floats(3 * g.h * g.w, next) }));
    const results = await network.run(inputs);
    for (const [i, input] of inputs.entries()) {
      const layers = await network.layerOutputs(input);
      const expected = referenceConv(conv, layers.get(2)!.data, g.h, g.w);
      expect(relativeDiff(results[i], expected)).toBeLessThanOrEqual(1e-6);
    }
    const executed = (await network.profile(inputs.slice(0, 1))).find((step) => step.label.startsWith('layer<1>'))!.macs;
    // A layer of 1 or 2 filters and enough live taps is a 1x1 conv of every input pixel to its live taps, in blocks of 8.
    const tapSum = g.filters <= 2 && g.filters * g.positions.length >= MIN_TAP_SUM_TAPS;
    const tapBlocks = Math.ceil((g.filters * g.positions.length) / IGEMM_NR) * IGEMM_NR;
    expect(executed).toBe(tapSum ? g.h * g.w * g.inputs * tapBlocks : output.h * output.w * g.filters * g.inputs * g.positions.length);
    network.dispose();
  });
});
