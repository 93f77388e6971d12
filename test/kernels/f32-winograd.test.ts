import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConLayer } from '../../src/dlib/network-description.js';
import { matrixIndirection } from '../../src/plan/indirection.js';
import { IGEMM_NR } from '../../src/plan/pack-weights.js';
import { packWinogradWeights, winogradPositions, winogradTiles, winogradWeightMatrixBytes } from '../../src/plan/winograd.js';
import { expectExact, expectWithin, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, outputSize, random, randomCon, referenceConv } from '../support/reference-conv.js';

// The Winograd F(2x2, 3x3) and F(2x2, 5x5) kernels called one by one
// (filter pack, input transform, the 16 or 36 batched igemms, output
// transform), against the direct convolution in float64; and
// f32_winograd_2x2_nhwc, which the plan calls, against them.
//
// Tolerance, element by element: 16 * (k²C + 1) * 2^-23 * sum |x * w| over the
// output's window (+ |bias|). The direct GEMM's bound is (k²C + 1) * 2^-23 *
// that sum; for 3x3 the transforms add and subtract up to 4 values at each of
// three stages (B, the GEMM, A) and G's halves, which multiplies the bound by
// at most 16 (measured: under 0.3 of the direct bound on these inputs). F(2x2,
// 5x5)'s larger coefficients (up to 5 in B) are held to the same 16 (measured:
// under 0.3 of the direct bound as well).

const U = 2 ** -23;
const round4 = (n: number) => Math.ceil(n / 4) * 4;

/** G g Gᵀ of one 3x3 filter in float64, straight from the matrices; position ξ = 4i + j. */
function transformFilter(g: ArrayLike<number>): number[] {
  const G = [
    [1, 0, 0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0, 0, 1],
  ];
  const gg = G.map((row) => [0, 1, 2].map((j) => row.reduce((s, gik, k) => s + gik * g[k * 3 + j], 0)));
  return gg.flatMap((row) => G.map((grow) => grow.reduce((s, gjk, k) => s + row[k] * gjk, 0)));
}

const toChw = (x: Float32Array, hh: number, ww: number, c: number) => {
  const out = new Float32Array(x.length);
  for (let p = 0; p < hh * ww; p++) for (let ch = 0; ch < c; ch++) out[ch * hh * ww + p] = x[p * c + ch];
  return out;
};

describe.each(KERNEL_BUILDS)('Winograd F(2x2, 3x3) kernels (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  /** The filter pack into a zero-filled target (as the plan's), its address and matrix stride. */
  function pack(layer: ConLayer, scale?: Float32Array, blockRanges: [number, number][] = [[0, Math.ceil(layer.numFilters / IGEMM_NR)]]) {
    const matrixBytes = winogradWeightMatrixBytes(layer);
    const w = h.zeros(winogradPositions(layer) * matrixBytes);
    const filters = h.f32(layer.filters);
    const scaleAt = scale ? h.f32(scale) : 0;
    for (const [start, end] of blockRanges) {
      h.k.f32_winograd_2x2_3x3_filter_pack(filters, layer.numFilters, layer.inputChannels, scaleAt, w, matrixBytes, start, end);
    }
    return { w, matrixBytes };
  }

  it.each([
    { c: 1, f: 1 },
    { c: 3, f: 7 },
    { c: 4, f: 8 },
    { c: 5, f: 9 },
    { c: 2, f: 17 },
  ])(
    'the filter pack of $c channels, $f filters is G g Gᵀ in float64 rounded once, lanes past the last filter zero, with and without scale',
    ({ c, f }) => {
      const next = random(c * 31 + f);
      const layer = randomCon(0, { inputs: c, filters: f, size: 3, stride: 1, pad: [1, 1] }, next);
      const scale = floats(f, next);
      for (const s of [undefined, scale]) {
        h.reset();
        const blocks = Math.ceil(f / IGEMM_NR);
        // Split by blocks where there are several: each call writes its own.
        const { w, matrixBytes } = pack(
          layer,
          s,
          blocks > 1
            ? [
                [1, blocks],
                [0, 1],
              ]
            : [[0, 1]],
        );
        const expected = new Float32Array(16 * (matrixBytes / 4));
        for (let o = 0; o < f; o++) {
          for (let ch = 0; ch < c; ch++) {
            const u = transformFilter(layer.filters.subarray((o * c + ch) * 9, (o * c + ch + 1) * 9));
            const lane = (Math.floor(o / IGEMM_NR) * c + ch) * IGEMM_NR + (o % IGEMM_NR);
            u.forEach((value, xi) => {
              expected[xi * (matrixBytes / 4) + lane] = value * (s ? s[o] : 1);
            });
          }
        }
        expectExact(h.readF32(w, expected.length), expected, s ? 'scaled' : 'unscaled');
        h.expectGuardsIntact();
      }
    },
  );

  const cases = [
    ...[
      [1, 1],
      [1, 5],
      [3, 3],
      [5, 7],
    ].flatMap(([hh, ww]) => [1, 3, 4, 5].map((c) => ({ size: 3, hh, ww, c, f: c === 4 ? 8 : 2 * c + 3, pad: [1, 1] }))),
    { size: 3, hh: 3, ww: 3, c: 3, f: 5, pad: [0, 0] },
    { size: 3, hh: 5, ww: 7, c: 5, f: 9, pad: [0, 0] },
    { size: 3, hh: 5, ww: 7, c: 4, f: 1, pad: [2, 0] },
    { size: 3, hh: 1, ww: 5, c: 1, f: 7, pad: [2, 2] },
    { size: 3, hh: 6, ww: 4, c: 3, f: 33, pad: [0, 1] },
    // F(2x2, 5x5), its filters transformed by the plan (packWinogradWeights) rather than a kernel.
    { size: 5, hh: 1, ww: 1, c: 3, f: 5, pad: [2, 2] },
    { size: 5, hh: 5, ww: 7, c: 5, f: 9, pad: [2, 2] },
    { size: 5, hh: 6, ww: 6, c: 4, f: 8, pad: [0, 0] },
    { size: 5, hh: 7, ww: 5, c: 1, f: 3, pad: [4, 1] },
    { size: 5, hh: 9, ww: 8, c: 6, f: 17, pad: [2, 0] },
  ];
  /** The 5x5 filters as the plan packs them, into a zero-filled target. */
  function pack5x5(layer: ConLayer) {
    const matrixBytes = winogradWeightMatrixBytes(layer);
    const packed = packWinogradWeights(layer).w;
    if (!('write' in packed)) throw new Error('expected 5x5 weights written in JavaScript');
    const target = new Float32Array((winogradPositions(layer) * matrixBytes) / 4);
    packed.write(target);
    return { w: h.f32(target), matrixBytes };
  }
  it.each(cases)(
    '$size x $size: a $hh x $ww x $c input, $f filters, padding $pad, 2 samples: pack, transforms and GEMMs against the direct conv',
    (cc) => {
      const next = random(cc.hh * 1000 + cc.ww * 100 + cc.c * 10 + cc.f);
      const layer = randomCon(0, { inputs: cc.c, filters: cc.f, size: cc.size, stride: 1, pad: cc.pad as [number, number] }, next);
      const [py, px] = cc.pad;
      const oh = outputSize(cc.hh, cc.size, 1, py);
      const ow = outputSize(cc.ww, cc.size, 1, px);
      const positions = winogradPositions(layer);
      const inputTransform = cc.size === 5 ? h.k.f32_winograd_2x2_5x5_input_nhwc__simd128 : h.k.f32_winograd_2x2_3x3_input_nhwc__simd128;
      const outputTransform = cc.size === 5 ? h.k.f32_winograd_2x2_5x5_output_nhwc__simd128 : h.k.f32_winograd_2x2_3x3_output_nhwc__simd128;
      const samples = [floats(cc.hh * cc.ww * cc.c, next), floats(cc.hh * cc.ww * cc.c, next)];
      const { tilesY, tilesX } = winogradTiles({ h: oh, w: ow, c: cc.f });
      const tiles = 2 * tilesY * tilesX;
      const vRow = round4(cc.c);
      const mRow = round4(cc.f);
      // Odd strides (not a multiple of the rows): the kernels must take them as given.
      const vMatrixBytes = tiles * vRow * 4 + 80;
      const mMatrixBytes = tiles * mRow * 4 + 48;

      const { w, matrixBytes } = cc.size === 5 ? pack5x5(layer) : pack(layer);
      const x = h.f32(Float32Array.from(samples.flatMap((s) => [...s])));
      const zero = h.zeros(vRow * 4);
      const v = h.alloc(positions * vMatrixBytes);
      const m = h.alloc(positions * mMatrixBytes);
      const bias = new Float32Array(round4(cc.f));
      bias.set(layer.bias!);
      const y = h.alloc(2 * oh * ow * cc.f * 4);
      const ind = matrixIndirection(tiles, vRow, cc.c);
      const blocks = Math.ceil(mRow / IGEMM_NR);
      const indirection = h.i32(ind.offsets);
      const gemmBias = h.zeros(blocks * IGEMM_NR * 4);

      inputTransform(x, zero, cc.hh, cc.ww, cc.c, py, px, tilesY, tilesX, v, vMatrixBytes, 0, tiles);
      h.k.f32_igemm_4x8_batched__simd128(
        v,
        zero,
        indirection,
        1,
        cc.c,
        w,
        gemmBias,
        m,
        mRow,
        tiles,
        false,
        positions,
        vMatrixBytes,
        matrixBytes,
        mMatrixBytes,
        0,
        ind.tiles,
        0,
        blocks,
      );
      const biasAt = h.f32(bias);
      for (const relu of [false, true]) {
        outputTransform(m, mMatrixBytes, biasAt, cc.f, oh, ow, tilesY, tilesX, y, relu, 0, tiles);
        const actual = h.readF32(y, 2 * oh * ow * cc.f);
        const absLayer = { ...layer, filters: layer.filters.map(Math.abs), bias: layer.bias!.map(Math.abs) };
        samples.forEach((s, i) => {
          const expected = referenceConv(layer, toChw(s, cc.hh, cc.ww, cc.c), cc.hh, cc.ww);
          const magnitude = referenceConv(absLayer, toChw(s.map(Math.abs), cc.hh, cc.ww, cc.c), cc.hh, cc.ww);
          const plane = oh * ow;
          const mine = new Float64Array(cc.f * plane);
          for (let p = 0; p < plane; p++) for (let o = 0; o < cc.f; o++) mine[o * plane + p] = actual[(i * plane + p) * cc.f + o];
          const want = relu ? expected.map((e) => Math.max(0, e)) : expected;
          const taps = cc.size * cc.size;
          expectWithin(mine, want, (j) => 16 * (taps * cc.c + 1) * U * magnitude[j], `sample ${i} relu=${relu}`);
        });
      }
      h.expectGuardsIntact();

      // The transforms split into any tile ranges give the same bits.
      const whole = h.readF32(y, 2 * oh * ow * cc.f);
      const split = Math.max(1, Math.floor(tiles / 2) - 1);
      const v2 = h.alloc(positions * vMatrixBytes);
      for (const [a, b] of [
        [split, tiles],
        [0, split],
      ]) {
        inputTransform(x, zero, cc.hh, cc.ww, cc.c, py, px, tilesY, tilesX, v2, vMatrixBytes, a, b);
      }
      for (let xi = 0; xi < positions; xi++) {
        // Only the first C lanes of a row are defined (the rest read past the pixel).
        const one = h.readF32(v + xi * vMatrixBytes, tiles * vRow).filter((_, i) => i % vRow < cc.c);
        const two = h.readF32(v2 + xi * vMatrixBytes, tiles * vRow).filter((_, i) => i % vRow < cc.c);
        expectExact(two, one, `V matrix ${xi}`);
      }
      new Float32Array(h.memory.buffer, y, 2 * oh * ow * cc.f).fill(Number.NaN);
      for (const [a, b] of [
        [split, tiles],
        [0, split],
      ]) {
        outputTransform(m, mMatrixBytes, biasAt, cc.f, oh, ow, tilesY, tilesX, y, true, a, b);
      }
      expectExact(h.readF32(y, 2 * oh * ow * cc.f), whole, 'output split by tiles');
      expect(tiles).toBeGreaterThan(1);

      // The whole convolution in one kernel, a few tiles at a time, in any ranges of groups of 4 tiles: the same bits.
      const groups = ind.tiles;
      for (const cut of [groups, Math.floor(groups / 2)]) {
        new Float32Array(h.memory.buffer, y, 2 * oh * ow * cc.f).fill(Number.NaN);
        for (const [a, b] of [
          [cut, groups],
          [0, cut],
        ]) {
          h.k.f32_winograd_2x2_nhwc__simd128(
            cc.size,
            x,
            zero,
            cc.hh,
            cc.ww,
            cc.c,
            py,
            px,
            tilesY,
            tilesX,
            tiles,
            v2,
            vMatrixBytes,
            indirection,
            w,
            matrixBytes,
            gemmBias,
            m,
            mMatrixBytes,
            biasAt,
            cc.f,
            y,
            true,
            a,
            b,
          );
        }
        expectExact(h.readF32(y, 2 * oh * ow * cc.f), whole, `f32_winograd_2x2_nhwc, groups split at ${cut}`);
      }
      h.expectGuardsIntact();
    },
  );
});
