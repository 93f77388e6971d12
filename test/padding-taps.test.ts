import { describe, expect, it } from 'vitest';
import { DlibNetwork, type ConLayer, type NetworkDescription } from '../src/index.js';
import { convIndirection } from '../src/plan/indirection.js';
import { relativeDiff } from './helpers.js';

// Kernel taps that read only padding (as the face model's 3x3 conv over a 1x1
// input) are left out of the GEMM: the indirection names the kernel positions
// it keeps, the weights are packed for those only, and the result is still
// the whole convolution's.

/** A deterministic pseudo-random sequence in [-1, 1). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

const floats = (n: number, next: () => number) => Float32Array.from({ length: n }, next);

interface Geometry {
  inputs: number; filters: number; size: number; stride: number; pad: [number, number]; h: number; w: number;
}

function con(index: number, g: Geometry, next: () => number): ConLayer {
  return {
    kind: 'con', index, offset: 0, numFilters: g.filters, inputChannels: g.inputs, kernelRows: g.size, kernelCols: g.size,
    strideY: g.stride, strideX: g.stride, padY: g.pad[0], padX: g.pad[1],
    filters: floats(g.filters * g.inputs * g.size * g.size, next), bias: floats(g.filters, next),
  };
}

const outputSize = (size: number, kernel: number, stride: number, pad: number) => Math.floor((size + 2 * pad - kernel) / stride) + 1;

/** The convolution in double precision; x and y are `[c][h][w]`, as dlib's tensors. */
function reference(layer: ConLayer, x: Float32Array, h: number, w: number): Float64Array {
  const { numFilters: k, inputChannels: c, kernelRows: kh, kernelCols: kw, strideY: sy, strideX: sx, padY: py, padX: px } = layer;
  const oh = outputSize(h, kh, sy, py);
  const ow = outputSize(w, kw, sx, px);
  const y = new Float64Array(k * oh * ow);
  for (let f = 0; f < k; f++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let sum = layer.bias![f];
        for (let ch = 0; ch < c; ch++) {
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * sy - py + ky;
              const ix = ox * sx - px + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              sum += x[(ch * h + iy) * w + ix] * layer.filters[((f * c + ch) * kh + ky) * kw + kx];
            }
          }
        }
        y[(f * oh + oy) * ow + ox] = sum;
      }
    }
  }
  return y;
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
  // Every tap reads the input somewhere: nothing left out.
  { inputs: 3, filters: 8, size: 3, stride: 1, pad: [1, 1], h: 4, w: 4, positions: [0, 1, 2, 3, 4, 5, 6, 7, 8] },
];

describe.each(cases)('a $size x $size / $stride conv, padding $pad, over $h x $w', (g) => {
  const next = random(g.inputs * 100 + g.size * 10 + g.h);
  const conv = con(1, g, next);
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
      layers: [con(2, { ...g, filters: g.inputs, inputs: 3, size: 1, stride: 1, pad: [0, 0] }, next), conv],
    };
    const network = await DlibNetwork.create(description, { batchSize: 2, threads: 1 });
    const inputs = Array.from({ length: 3 }, () => ({ channels: 3, rows: g.h, cols: g.w, data: floats(3 * g.h * g.w, next) }));
    const results = await network.run(inputs);
    for (const [i, input] of inputs.entries()) {
      const layers = await network.layerOutputs(input);
      const expected = reference(conv, layers.get(2)!.data, g.h, g.w);
      expect(relativeDiff(results[i], expected)).toBeLessThanOrEqual(1e-6);
    }
    const executed = (await network.profile(inputs.slice(0, 1))).find((step) => step.label.startsWith('layer<1>'))!.macs;
    expect(executed).toBe(output.h * output.w * g.filters * g.inputs * g.positions.length);
    network.dispose();
  });
});
