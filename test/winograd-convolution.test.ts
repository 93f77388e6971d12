import { describe, expect, it } from 'vitest';
import { DlibNetwork, type ConLayer, type NetworkDescription } from '../src/index.js';
import { runtimeFusesRelaxedMadd, runtimeHasRelaxedSimd } from '../src/engine/kernels.js';
import { relativeDiff } from './support/helpers.js';
import { floats, random, randomCon, referenceConv } from './support/reference-conv.js';

// The Winograd F(2x2, 3x3), F(4x4, 3x3), F(6x6, 3x3), F(2x2, 5x5), F(4x4, 5x5) and F(6x6, 5x5) paths (and 5x5 stride 2 as
// space to depth and F(4x4, 3x3) or F(6x6, 3x3)) against a direct convolution in double
// precision, on shapes the face model does not have: channel and filter
// counts that are not multiples of 4 or 8, odd sizes (edge tiles that stick
// out of the output), every padding, batches the plan's batch does not divide.

// vitest.config.ts turns relaxed SIMD on where Node needs a flag for it.
const relaxed = runtimeHasRelaxedSimd();
/** 5x5 stride-1 convs take 6x6 tiles only where relaxed multiply-adds are fused (the CPU has FMA). */
const relaxedTile5x5 = runtimeFusesRelaxedMadd() ? '6x6' : '4x4';

function con(
  index: number,
  inputs: number,
  filters: number,
  size: number,
  pad: [number, number],
  next: () => number,
  stride = 1,
): ConLayer {
  return randomCon(index, { inputs, filters, size, stride, pad }, next);
}

/** relu(gamma * (conv(x) + bias) + beta) in double precision; x is `[c][h][w]`, as dlib's tensors. */
function reference(layer: ConLayer, x: Float32Array, h: number, w: number, gamma: Float32Array, beta: Float32Array): Float64Array {
  const y = referenceConv(layer, x, h, w);
  const plane = y.length / layer.numFilters;
  return y.map((v, i) => Math.max(0, gamma[Math.floor(i / plane)] * v + beta[Math.floor(i / plane)]));
}

const cases = [
  { size: 3 as const, stride: 1, channels: 17, filters: 19, h: 11, w: 9, pad: [1, 1] as [number, number], threads: 1, tile: '4x4' },
  { size: 3 as const, stride: 1, channels: 20, filters: 16, h: 9, w: 12, pad: [0, 0] as [number, number], threads: 1, tile: '2x2' },
  { size: 3 as const, stride: 1, channels: 16, filters: 21, h: 10, w: 7, pad: [2, 0] as [number, number], threads: 1, tile: '2x2' },
  { size: 3 as const, stride: 1, channels: 19, filters: 24, h: 13, w: 14, pad: [0, 2] as [number, number], threads: 2, tile: '4x4' },
  { size: 3 as const, stride: 1, channels: 17, filters: 18, h: 24, w: 23, pad: [1, 1] as [number, number], threads: 2, tile: '6x6' },
  // The face detector's 5x5 layers (32 or 45 channels, padding 2), smaller and odder: F(6x6, 5x5) with fused multiply-adds
  // (relaxed SIMD), F(4x4, 5x5) without.
  {
    size: 5 as const,
    stride: 1,
    channels: 17,
    filters: 19,
    h: 11,
    w: 9,
    pad: [2, 2] as [number, number],
    threads: 1,
    tile: relaxedTile5x5,
    relaxed: true,
  },
  {
    size: 5 as const,
    stride: 1,
    channels: 17,
    filters: 19,
    h: 11,
    w: 9,
    pad: [2, 2] as [number, number],
    threads: 1,
    tile: '4x4',
    relaxed: false,
  },
  {
    size: 5 as const,
    stride: 1,
    channels: 19,
    filters: 21,
    h: 23,
    w: 20,
    pad: [2, 2] as [number, number],
    threads: 2,
    tile: relaxedTile5x5,
    relaxed: true,
  },
  { size: 5 as const, stride: 1, channels: 20, filters: 16, h: 9, w: 12, pad: [0, 0] as [number, number], threads: 1, tile: '4x4' },
  { size: 5 as const, stride: 1, channels: 21, filters: 18, h: 10, w: 13, pad: [4, 1] as [number, number], threads: 2, tile: '4x4' },
  // Two rows of outputs: F(4x4, 5x5)'s tiles would be half empty.
  { size: 5 as const, stride: 1, channels: 18, filters: 20, h: 6, w: 10, pad: [0, 0] as [number, number], threads: 1, tile: '2x2' },
  // 5x5 stride 2 without padding (the detectors' downsampling layers): F(2x2, 3x3) over the input's space to depth.
  { size: 5 as const, stride: 2, channels: 16, filters: 17, h: 19, w: 20, pad: [0, 0] as [number, number], threads: 1, tile: '4x4' },
  { size: 5 as const, stride: 2, channels: 9, filters: 20, h: 20, w: 19, pad: [0, 0] as [number, number], threads: 2, tile: '4x4' },
  { size: 5 as const, stride: 2, channels: 16, filters: 17, h: 39, w: 38, pad: [0, 0] as [number, number], threads: 1, tile: '6x6' },
  // An odd width and height: the space to depth's last column and row are half outside x (the input transform reads
  // rows of two pixels as one run, pixel by pixel where the run straddles x's right edge).
  { size: 5 as const, stride: 2, channels: 16, filters: 17, h: 41, w: 39, pad: [0, 0] as [number, number], threads: 1, tile: '6x6' },
];

/**
 * Relative to the largest output, by the step's label: F(2x2, 5x5)'s, F(4x4, 3x3)'s, F(4x4, 5x5)'s and F(6x6, 3x3)'s
 * larger transform coefficients (up to 5 in Bᵀ, 8 in Aᵀ; in 8x8 tiles 21/4 in Bᵀ, 8 or 32 in Aᵀ) round more (measured: up
 * to 1.6e-6, 4.6e-6, 2.4e-6 and 7.1e-6); F(6x6, 5x5)'s (10x10 tiles: 2793/256 in Bᵀ, (5/2)^5 in Aᵀ) up to 2.5e-5.
 */
const TOLERANCE: Record<string, number> = {
  '3x3 2x2': 1e-6,
  '3x3 4x4': 8e-6,
  '5x5 2x2': 4e-6,
  '5x5 4x4': 8e-6,
  '3x3 6x6': 1.6e-5,
  '5x5 6x6': 4e-5,
};

describe.each(cases)(
  'a $size x $size / $stride conv of $channels channels to $filters filters on $h x $w, padding $pad, $threads thread(s)',
  (c) => {
    const next = random(c.channels * 1000 + c.filters);
    // layer<4>: 1x1 conv from the 3 input channels (direct); layer<3>: the conv under test, then affine and relu.
    const widen = con(4, 3, c.channels, 1, [0, 0], next);
    const conv = con(3, c.channels, c.filters, c.size, c.pad, next, c.stride);
    const gamma = floats(c.filters, next);
    const beta = floats(c.filters, next);
    const description: NetworkDescription = {
      loss: { kind: 'loss_multiclass_log' },
      input: { kind: 'input_rgb_image', index: 5, mean: [0, 0, 0] },
      layers: [
        widen,
        conv,
        { kind: 'affine', index: 2, offset: 0, mode: 'conv', gamma, beta, disabled: false },
        { kind: 'relu', index: 1, offset: 0 },
      ],
    };
    const inputs = Array.from({ length: 4 }, () => ({ channels: 3, rows: c.h, cols: c.w, data: floats(3 * c.h * c.w, next) }));

    it.skipIf(c.relaxed && !relaxed)(
      'runs as Winograd and matches the direct convolution, fused and layer by layer, in batches of 3',
      async () => {
        const network = await DlibNetwork.create(description, {
          batchSize: 3,
          threads: c.threads,
          ...(c.relaxed !== undefined && { wasm: { relaxedSimd: c.relaxed } }),
        });
        // Profiled with each step repeated (in place ones on their own results): later runs must not mind.
        const labels = (await network.profile(inputs.slice(0, 3), { repeats: 3 })).map((step) => step.label);
        const winograd = labels.filter((label) => label.includes('winograd'));
        expect(winograd).toHaveLength(1);
        const tile = winograd[0].match(/\(winograd (\dx\d)\)$/)![1];
        expect(tile).toBe(c.tile);
        // Over the space to depth, a 5x5 stride-2 layer runs as a 3x3 one.
        const size = c.stride === 2 ? 3 : c.size;
        const tolerance = TOLERANCE[`${size}x${size} ${tile}`];
        expect(labels.filter((label) => label.includes('space to depth'))).toHaveLength(c.stride === 2 ? 1 : 0);

        const fused = await network.run(inputs);
        for (const [i, input] of inputs.entries()) {
          const layers = await network.layerOutputs(input);
          const widened = layers.get(4)!.data;
          const expected = reference(conv, widened, c.h, c.w, gamma, beta);
          expect(relativeDiff(fused[i], expected)).toBeLessThanOrEqual(tolerance);
          expect(relativeDiff(layers.get(1)!.data, expected)).toBeLessThanOrEqual(tolerance);
        }
        network.dispose();
      },
    );
  },
);
