import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConLayer } from '../../src/dlib/network-description.js';
import { convIndirection } from '../../src/plan/indirection.js';
import { type PackedWeights, packConvWeightsPerOutput } from '../../src/plan/pack-weights.js';
import { expectExact, expectWithin, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, outputSize, random, randomCon, referenceConv } from '../support/reference-conv.js';

// f32_igemm_4x1c4 (vectors along K, for convolutions of very few outputs)
// against float64 convolutions, through the plan's indirection and its
// per-output packing. Bound as in f32-igemm.test.ts: |error| <= n * 2^-23 *
// sum |products| with n = K + 1, for any summation order.

const U = 2 ** -23;

function packedFloats(packed: PackedWeights): Float32Array {
  const w = new Float32Array(packed.w.floats);
  if (!('write' in packed.w)) throw new Error('expected weights written in JavaScript');
  packed.w.write(w);
  return w;
}

const toChw = (x: Float32Array, hh: number, ww: number, c: number) => {
  const out = new Float32Array(x.length);
  for (let p = 0; p < hh * ww; p++) for (let ch = 0; ch < c; ch++) out[ch * hh * ww + p] = x[p * c + ch];
  return out;
};

const absolute = (layer: ConLayer): ConLayer => ({ ...layer, filters: layer.filters.map(Math.abs), bias: layer.bias!.map(Math.abs) });

describe.each(KERNEL_BUILDS)('f32_igemm_4x1c4 (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  /** A conv of 2 samples set up in the harness, with its float64 reference (NHWC) and bound. */
  function conv(cc: { hw: number[]; c: number; f: number; size: number; stride: number; pad: number[] }) {
    const [hh, ww] = cc.hw;
    const next = random(hh * 100 + cc.c * 10 + cc.f + cc.size);
    const layer = randomCon(0, { inputs: cc.c, filters: cc.f, size: cc.size, stride: cc.stride, pad: cc.pad as [number, number] }, next);
    const oh = outputSize(hh, cc.size, cc.stride, cc.pad[0]);
    const ow = outputSize(ww, cc.size, cc.stride, cc.pad[1]);
    const batch = 2;
    const samples = [floats(hh * ww * cc.c, next), floats(hh * ww * cc.c, next)];
    const ind = convIndirection(layer, { h: hh, w: ww, c: cc.c }, { h: oh, w: ow, c: cc.f }, batch);
    const packed = packConvWeightsPerOutput(layer, ind.tapChannels, undefined, undefined, ind.positions);
    const pixels = batch * oh * ow;
    const g = {
      x: h.f32(Float32Array.from(samples.flatMap((s) => [...s]))),
      zero: h.zeros(ind.tapChannels * 4),
      indirection: h.i32(ind.offsets),
      w: h.f32(packedFloats(packed)),
      bias: h.f32(packed.bias),
      y: h.alloc(pixels * cc.f * 4),
    };
    const run = (relu: boolean, tiles: [number, number], outputs: [number, number]) =>
      h.k.f32_igemm_4x1c4__simd128(
        g.x,
        g.zero,
        g.indirection,
        ind.taps,
        ind.tapChannels,
        g.w,
        g.bias,
        g.y,
        cc.f,
        pixels,
        relu,
        ...tiles,
        ...outputs,
      );
    const plane = oh * ow;
    const expected = new Float64Array(pixels * cc.f);
    const magnitude = new Float64Array(pixels * cc.f);
    samples.forEach((s, i) => {
      const want = referenceConv(layer, toChw(s, hh, ww, cc.c), hh, ww);
      const abs = referenceConv(absolute(layer), toChw(s.map(Math.abs), hh, ww, cc.c), hh, ww);
      for (let p = 0; p < plane; p++) {
        for (let o = 0; o < cc.f; o++) {
          expected[(i * plane + p) * cc.f + o] = want[o * plane + p];
          magnitude[(i * plane + p) * cc.f + o] = abs[o * plane + p];
        }
      }
    });
    const k = cc.c * cc.size * cc.size + 1;
    return { g, ind, pixels, run, expected, bound: (j: number) => k * U * magnitude[j] };
  }

  // Tap widths (channels per kernel position, or kw*C per kernel row without horizontal padding) of every remainder mod 4.
  const cases = [
    { hw: [9, 11], c: 45, f: 1, size: 9, stride: 1, pad: [4, 4] },
    { hw: [6, 7], c: 4, f: 1, size: 3, stride: 1, pad: [1, 1] },
    { hw: [6, 7], c: 6, f: 2, size: 3, stride: 1, pad: [1, 1] },
    { hw: [5, 5], c: 3, f: 1, size: 5, stride: 2, pad: [2, 2] },
    { hw: [8, 9], c: 3, f: 3, size: 5, stride: 2, pad: [0, 0] },
    { hw: [7, 5], c: 1, f: 2, size: 3, stride: 1, pad: [2, 0] },
    { hw: [3, 3], c: 5, f: 1, size: 1, stride: 1, pad: [0, 0] },
  ];
  it.each(cases)('conv $hw x $c, $f filters $size x $size, stride $stride, padding $pad, 2 samples, ReLU or none', (cc) => {
    for (const relu of [false, true]) {
      h.reset();
      const { g, ind, pixels, run, expected, bound } = conv(cc);
      run(relu, [0, ind.tiles], [0, cc.f]);
      const want = relu ? expected.map((v) => Math.max(0, v)) : expected;
      expectWithin(h.readF32(g.y, pixels * cc.f), want, bound, `relu=${relu}`);
      h.expectGuardsIntact();
    }
  });

  it('work ranges that split the tiles and the outputs anywhere give the one-range result bit for bit', () => {
    const cc = { hw: [13, 10], c: 7, f: 3, size: 3, stride: 1, pad: [1, 1] };
    const { g, ind, pixels, run } = conv(cc);
    expect(ind.tiles).toBeGreaterThan(33);
    run(true, [0, ind.tiles], [0, cc.f]);
    const whole = h.readF32(g.y, pixels * cc.f);
    for (const [tileSplit, outputSplit] of [
      [1, 1],
      [33, 2],
      [0, 3],
      [ind.tiles - 1, 0],
    ]) {
      new Float32Array(h.memory.buffer, g.y, pixels * cc.f).fill(Number.NaN);
      for (const tiles of [
        [0, tileSplit],
        [tileSplit, ind.tiles],
      ] as [number, number][]) {
        for (const outputs of [
          [0, outputSplit],
          [outputSplit, cc.f],
        ] as [number, number][])
          run(true, tiles, outputs);
      }
      expectExact(h.readF32(g.y, pixels * cc.f), whole, `tiles split at ${tileSplit}, outputs at ${outputSplit}`);
    }
    h.expectGuardsIntact();
  });
});
