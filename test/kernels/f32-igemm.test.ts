import { beforeAll, beforeEach, describe, it } from 'vitest';
import type { ConLayer } from '../../src/dlib/network-description.js';
import { convIndirection, matrixIndirection } from '../../src/plan/indirection.js';
import { IGEMM_NR, packColumns, packConvWeights, type PackedWeights } from '../../src/plan/pack-weights.js';
import { expectExact, expectWithin, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, outputSize, random, randomCon, referenceConv } from '../support/reference-conv.js';

// f32_igemm_4x8 (and its batched form) against float64 GEMMs and convolutions.
// The tolerance is the standard bound of a sum of n f32 products in any order,
// |error| <= n * 2^-23 * sum |a_k * b_k| (with n = K + 1 for the bias, and a
// factor 2 over the textbook n * 2^-24 for the fused multiply-add build's
// other rounding): it holds for every element, not just relative to the largest.

const U = 2 ** -23;

/** The packed weights' floats, as the plan writes them into a zero-filled target. */
function packedFloats(packed: PackedWeights): Float32Array {
  const w = new Float32Array(packed.w.floats);
  if (!('write' in packed.w)) throw new Error('expected weights written in JavaScript');
  packed.w.write(w);
  return w;
}

interface Gemm {
  x: number;
  zero: number;
  indirection: number;
  taps: number;
  tapChannels: number;
  w: number;
  bias: number;
  y: number;
  channels: number;
  pixels: number;
  tiles: number;
  blocks: number;
}

function call(h: KernelHarness, g: Gemm, relu: boolean, tiles: [number, number], blocks: [number, number]): void {
  h.k.f32_igemm_4x8__simd128(
    g.x,
    g.zero,
    g.indirection,
    g.taps,
    g.tapChannels,
    g.w,
    g.bias,
    g.y,
    g.channels,
    g.pixels,
    relu,
    ...tiles,
    ...blocks,
  );
}

describe.each(KERNEL_BUILDS)('f32_igemm_4x8 (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  /** An M x K by K x N GEMM through a one-tap indirection (a fully connected layer's), with its float64 reference and bound. */
  function gemm(m: number, n: number, k: number, withBias: boolean, seed: number) {
    const next = random(seed);
    const a = floats(m * k, next);
    const b = floats(k * n, next);
    const bias = withBias ? floats(n, next) : null;
    const packed = packColumns(k, n, (kk, o) => b[kk * n + o], bias);
    const ind = matrixIndirection(m, k, k);
    const g: Gemm = {
      x: h.f32(a),
      zero: h.zeros(k * 4),
      indirection: h.i32(ind.offsets),
      taps: ind.taps,
      tapChannels: ind.tapChannels,
      w: h.f32(packedFloats(packed)),
      bias: h.f32(packed.bias),
      y: h.alloc(m * n * 4),
      channels: n,
      pixels: m,
      tiles: ind.tiles,
      blocks: Math.ceil(n / IGEMM_NR),
    };
    const expected = new Float64Array(m * n);
    const magnitude = new Float64Array(m * n);
    for (let p = 0; p < m; p++) {
      for (let o = 0; o < n; o++) {
        let sum = 0;
        let abs = 0;
        for (let kk = 0; kk < k; kk++) {
          sum += a[p * k + kk] * b[kk * n + o];
          abs += Math.abs(a[p * k + kk] * b[kk * n + o]);
        }
        expected[p * n + o] = sum + (bias ? bias[o] : 0);
        magnitude[p * n + o] = abs + (bias ? Math.abs(bias[o]) : 0);
      }
    }
    return { g, expected, bound: (i: number) => (k + 1) * U * magnitude[i] };
  }

  const shapes = [1, 3, 4, 5, 17].flatMap((m) => [1, 7, 8, 9, 33].map((n) => ({ m, n })));
  it.each(shapes)('M=$m N=$n, K 1, 5 and 300, bias or none, ReLU or none, against float64', ({ m, n }) => {
    for (const k of [1, 5, 300]) {
      for (const withBias of [true, false]) {
        for (const relu of [false, true]) {
          h.reset();
          const { g, expected, bound } = gemm(m, n, k, withBias, m * 1000 + n * 10 + k);
          call(h, g, relu, [0, g.tiles], [0, g.blocks]);
          const want = relu ? expected.map((v) => Math.max(0, v)) : expected;
          expectWithin(h.readF32(g.y, m * n), want, bound, `K=${k} bias=${withBias} relu=${relu}`);
          h.expectGuardsIntact();
        }
      }
    }
  });

  it('work ranges that split the tiles and the blocks anywhere give the one-range result bit for bit', () => {
    const { g } = gemm(17, 33, 20, true, 7);
    call(h, g, true, [0, g.tiles], [0, g.blocks]);
    const whole = h.readF32(g.y, 17 * 33);
    for (const [tileSplit, blockSplit] of [
      [1, 1],
      [2, 3],
      [4, 2],
      [0, 4],
      [5, 0],
    ]) {
      new Float32Array(h.memory.buffer, g.y, 17 * 33).fill(Number.NaN);
      for (const tiles of [
        [0, tileSplit],
        [tileSplit, g.tiles],
      ] as [number, number][]) {
        for (const blocks of [
          [0, blockSplit],
          [blockSplit, g.blocks],
        ] as [number, number][])
          call(h, g, true, tiles, blocks);
      }
      expectExact(h.readF32(g.y, 17 * 33), whole, `tiles split at ${tileSplit}, blocks at ${blockSplit}`);
    }
  });

  it('more than 32 tiles (several chunks) in one range and split inside a chunk', () => {
    const { g, expected, bound } = gemm(150, 9, 12, true, 11);
    call(h, g, false, [0, g.tiles], [0, g.blocks]);
    expectWithin(h.readF32(g.y, 150 * 9), expected, bound);
    const whole = h.readF32(g.y, 150 * 9);
    call(h, g, false, [0, 13], [0, g.blocks]);
    call(h, g, false, [13, g.tiles], [0, g.blocks]);
    expectExact(h.readF32(g.y, 150 * 9), whole);
  });

  it('the batched kernel computes each GEMM of the batch as the single one does', () => {
    const m = 5,
      n = 9,
      k = 13,
      batch = 3;
    const next = random(42);
    const gemms = Array.from({ length: batch }, () => {
      const a = floats(m * k, next);
      const b = floats(k * n, next);
      return { a, packed: packedFloats(packColumns(k, n, (kk, o) => b[kk * n + o], null)) };
    });
    const bias = floats(16, next);
    // Strides that are not a multiple of the sizes: the batch must add them, not derive them.
    const xStride = (m * k + 7) * 4,
      wStride = (gemms[0].packed.length + 5) * 4,
      yStride = (m * n + 3) * 4;
    const x = h.alloc(batch * xStride);
    const w = h.alloc(batch * wStride);
    const y = h.alloc(batch * yStride);
    const f32 = new Float32Array(h.memory.buffer);
    gemms.forEach((gm, i) => {
      f32.set(gm.a, (x + i * xStride) / 4);
      f32.set(gm.packed, (w + i * wStride) / 4);
    });
    const ind = matrixIndirection(m, k, k);
    const indirection = h.i32(ind.offsets);
    const zero = h.zeros(k * 4);
    const biasAt = h.f32(bias);
    h.k.f32_igemm_4x8_batched__simd128(
      x,
      zero,
      indirection,
      1,
      k,
      w,
      biasAt,
      y,
      n,
      m,
      true,
      batch,
      xStride,
      wStride,
      yStride,
      0,
      ind.tiles,
      0,
      2,
    );
    const batched = gemms.map((_, i) => h.readF32(y + i * yStride, m * n));
    gemms.forEach((_, i) => {
      const single = h.alloc(m * n * 4);
      h.k.f32_igemm_4x8__simd128(x + i * xStride, zero, indirection, 1, k, w + i * wStride, biasAt, single, n, m, true, 0, ind.tiles, 0, 2);
      expectExact(batched[i], h.readF32(single, m * n), `GEMM ${i}`);
    });
    h.expectGuardsIntact();
  });

  /** NHWC <-> dlib's [c][h][w]. */
  const toChw = (x: Float32Array, hh: number, ww: number, c: number) => {
    const out = new Float32Array(x.length);
    for (let p = 0; p < hh * ww; p++) for (let ch = 0; ch < c; ch++) out[ch * hh * ww + p] = x[p * c + ch];
    return out;
  };

  /** |conv| with absolute values, for the error bound. */
  const absolute = (layer: ConLayer): ConLayer => ({ ...layer, filters: layer.filters.map(Math.abs), bias: layer.bias!.map(Math.abs) });

  const convCases = [
    { hw: [1, 1], c: 3, f: 7, size: 3, stride: 1, pad: [1, 1] },
    { hw: [1, 1], c: 5, f: 9, size: 7, stride: 2, pad: [3, 3] },
    { hw: [1, 5], c: 1, f: 8, size: 3, stride: 1, pad: [1, 1] },
    { hw: [5, 7], c: 4, f: 33, size: 3, stride: 2, pad: [0, 0] },
    { hw: [6, 6], c: 5, f: 1, size: 5, stride: 3, pad: [2, 2] },
    { hw: [7, 5], c: 3, f: 9, size: 3, stride: 1, pad: [2, 0] },
    { hw: [9, 9], c: 6, f: 17, size: 1, stride: 2, pad: [0, 0] },
    { hw: [4, 4], c: 2, f: 5, size: 4, stride: 4, pad: [0, 0] },
    { hw: [3, 8], c: 7, f: 12, size: 3, stride: 1, pad: [0, 2] },
  ];
  it.each(convCases)(
    'conv $hw x $c, $f filters $size x $size, stride $stride, padding $pad (plan indirection and packing), 2 samples',
    (cc) => {
      const [hh, ww] = cc.hw;
      const next = random(hh * 100 + cc.c * 10 + cc.f);
      const layer = randomCon(0, { inputs: cc.c, filters: cc.f, size: cc.size, stride: cc.stride, pad: cc.pad as [number, number] }, next);
      const oh = outputSize(hh, cc.size, cc.stride, cc.pad[0]);
      const ow = outputSize(ww, cc.size, cc.stride, cc.pad[1]);
      const batch = 2;
      const samples = [floats(hh * ww * cc.c, next), floats(hh * ww * cc.c, next)];
      const ind = convIndirection(layer, { h: hh, w: ww, c: cc.c }, { h: oh, w: ow, c: cc.f }, batch);
      const packed = packConvWeights(layer, undefined, undefined, ind.positions);
      const x = h.f32(Float32Array.from(samples.flatMap((s) => [...s])));
      const pixels = batch * oh * ow;
      const y = h.alloc(pixels * cc.f * 4);
      h.k.f32_igemm_4x8__simd128(
        x,
        h.zeros(ind.tapChannels * 4),
        h.i32(ind.offsets),
        ind.taps,
        ind.tapChannels,
        h.f32(packedFloats(packed)),
        h.f32(packed.bias),
        y,
        cc.f,
        pixels,
        false,
        0,
        ind.tiles,
        0,
        Math.ceil(cc.f / IGEMM_NR),
      );
      const actual = h.readF32(y, pixels * cc.f);
      const k = cc.c * cc.size * cc.size + 1;
      samples.forEach((s, i) => {
        const expected = referenceConv(layer, toChw(s, hh, ww, cc.c), hh, ww);
        const magnitude = referenceConv(absolute(layer), toChw(s.map(Math.abs), hh, ww, cc.c), hh, ww);
        const plane = oh * ow;
        const mine = new Float64Array(cc.f * plane);
        for (let p = 0; p < plane; p++) for (let o = 0; o < cc.f; o++) mine[o * plane + p] = actual[(i * plane + p) * cc.f + o];
        expectWithin(mine, expected, (j) => k * U * magnitude[j], `sample ${i}`);
      });
      h.expectGuardsIntact();
    },
  );
});
