import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConLayer } from '../../src/dlib/network-description.js';
import { matrixIndirection } from '../../src/plan/indirection.js';
import { IGEMM_NR } from '../../src/plan/pack-weights.js';
import { type WinogradTile, winogradPositions, winogradTiles, winogradWeightMatrixBytes } from '../../src/plan/winograd.js';
import { expectExact, expectWithin, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, outputSize, random, randomCon, referenceConv } from '../support/reference-conv.js';

// The Winograd F(2x2, 3x3), F(4x4, 3x3), F(6x6, 3x3), F(2x2, 5x5) and F(4x4,
// 5x5) kernels called one by one (filter pack, input transform, the 16 or 36 batched igemms, output
// transform), against the direct convolution in float64; and
// f32_winograd_nhwc, which the plan calls, against them.
//
// Tolerance, element by element: 16 * (k²C + 1) * 2^-23 * sum |x * w| over the
// output's window (+ |bias|). The direct GEMM's bound is (k²C + 1) * 2^-23 *
// that sum; for F(2x2, 3x3) the transforms add and subtract up to 4 values at
// each of three stages (B, the GEMM, A) and G's halves, which multiplies the
// bound by at most 16 (measured: under 0.3 of the direct bound on these
// inputs). F(2x2, 5x5)'s, F(4x4, 3x3)'s, F(4x4, 5x5)'s and F(6x6, 3x3)'s larger
// coefficients (up to 5 in B, 8 in A; in 8x8 tiles 21/4 in B, 8 or 32 in A) are
// held to the same 16 (measured: under 0.41, 2.3, 1.3 and 7.5 of the direct bound).

const U = 2 ** -23;
const round4 = (n: number) => Math.ceil(n / 4) * 4;

/** Lavin and Gray's G for 4x4 tiles (r = 3), 6x6 and 8x8 tiles (r = 3 or 5: the first r columns, the last row's 1 in column r - 1). */
const G4 = [
  [1, 0, 0],
  [0.5, 0.5, 0.5],
  [0.5, -0.5, 0.5],
  [0, 0, 1],
];
const G6 = [
  [1 / 4, 0, 0, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6, 1 / 3, 2 / 3],
  [1 / 24, -1 / 12, 1 / 6, -1 / 3, 2 / 3],
  [0, 0, 0, 0, 1],
];
const G8 = [
  [1, 0, 0, 0, 0],
  [-2 / 9, -2 / 9, -2 / 9, -2 / 9, -2 / 9],
  [-2 / 9, 2 / 9, -2 / 9, 2 / 9, -2 / 9],
  [1 / 90, 1 / 45, 2 / 45, 4 / 45, 8 / 45],
  [1 / 90, -1 / 45, 2 / 45, -4 / 45, 8 / 45],
  [32 / 45, 16 / 45, 8 / 45, 4 / 45, 2 / 45],
  [32 / 45, -16 / 45, 8 / 45, -4 / 45, 2 / 45],
  [0, 0, 0, 0, 1],
];

/** G g Gᵀ of one r x r filter in float64, straight from the matrices; position ξ = alpha*i + j. */
function transformFilter(g: ArrayLike<number>, r: number, tile: WinogradTile): number[] {
  const alpha = tile + r - 1;
  const last = (rows: number[][]) => rows.map((row, i) => (i === rows.length - 1 ? [...new Array(r - 1).fill(0), 1] : row.slice(0, r)));
  const G = alpha === 4 ? G4 : last(alpha === 8 ? G8 : G6);
  const columns = [...new Array(r).keys()];
  const gg = G.map((row) => columns.map((j) => row.reduce((s, gik, k) => s + gik * g[k * r + j], 0)));
  return gg.flatMap((row) => G.map((grow) => grow.reduce((s, gjk, k) => s + row[k] * gjk, 0)));
}

const toChw = (x: Float32Array, hh: number, ww: number, c: number) => {
  const out = new Float32Array(x.length);
  for (let p = 0; p < hh * ww; p++) for (let ch = 0; ch < c; ch++) out[ch * hh * ww + p] = x[p * c + ch];
  return out;
};

describe.each(KERNEL_BUILDS)('Winograd kernels (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  /** The filter pack into a zero-filled target (as the plan's), its address and matrix stride. */
  function pack(
    layer: ConLayer,
    tile: WinogradTile,
    scale?: Float32Array,
    blockRanges: [number, number][] = [[0, Math.ceil(layer.numFilters / IGEMM_NR)]],
  ) {
    const matrixBytes = winogradWeightMatrixBytes(layer);
    const w = h.zeros(winogradPositions(layer, tile) * matrixBytes);
    const filters = h.f32(layer.filters);
    const scaleAt = scale ? h.f32(scale) : 0;
    const r = layer.kernelRows;
    for (const [start, end] of blockRanges) {
      h.k.f32_winograd_filter_pack(tile + r - 1, r, filters, layer.numFilters, layer.inputChannels, scaleAt, w, matrixBytes, start, end);
    }
    return { w, matrixBytes };
  }

  it.each([
    { size: 3, tile: 2 as const, c: 1, f: 1 },
    { size: 3, tile: 2 as const, c: 3, f: 7 },
    { size: 3, tile: 2 as const, c: 4, f: 8 },
    { size: 3, tile: 2 as const, c: 5, f: 9 },
    { size: 3, tile: 2 as const, c: 2, f: 17 },
    { size: 3, tile: 4 as const, c: 1, f: 1 },
    { size: 3, tile: 4 as const, c: 3, f: 7 },
    { size: 3, tile: 4 as const, c: 2, f: 17 },
    { size: 5, tile: 2 as const, c: 1, f: 1 },
    { size: 5, tile: 2 as const, c: 3, f: 9 },
    { size: 5, tile: 4 as const, c: 1, f: 1 },
    { size: 5, tile: 4 as const, c: 3, f: 9 },
    { size: 5, tile: 4 as const, c: 2, f: 17 },
    { size: 3, tile: 6 as const, c: 3, f: 9 },
    { size: 3, tile: 6 as const, c: 2, f: 17 },
  ])(
    'the $size x $size filter pack for $tile x $tile tiles of $c channels, $f filters is G g Gᵀ in float64 rounded once, lanes past the last filter zero, with and without scale',
    ({ size, tile, c, f }) => {
      const next = random(c * 31 + f);
      const layer = randomCon(0, { inputs: c, filters: f, size, stride: 1, pad: [1, 1] }, next);
      const scale = floats(f, next);
      for (const s of [undefined, scale]) {
        h.reset();
        const blocks = Math.ceil(f / IGEMM_NR);
        // Split by blocks where there are several: each call writes its own.
        const { w, matrixBytes } = pack(
          layer,
          tile,
          s,
          blocks > 1
            ? [
                [1, blocks],
                [0, 1],
              ]
            : [[0, 1]],
        );
        const expected = new Float32Array(winogradPositions(layer, tile) * (matrixBytes / 4));
        const taps = size * size;
        for (let o = 0; o < f; o++) {
          for (let ch = 0; ch < c; ch++) {
            const u = transformFilter(layer.filters.subarray((o * c + ch) * taps, (o * c + ch + 1) * taps), size, tile);
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

  /** Output sizes of every remainder by 4 (F(4x4) tiles sticking out to the bottom and right). */
  const REMAINDERS_BY_4 = [
    [1, 1],
    [3, 6],
    [5, 7],
    [9, 8],
  ];
  /** A case for each output size and channel count: `filters(c)` filters of a `size` x `size` conv in `tile` x `tile` tiles. */
  const sweep = (size: number, tile: number, outputs: number[][], channels: number[], pad: number[], filters = (c: number) => 2 * c + 3) =>
    outputs.flatMap(([hh, ww]) => channels.map((c) => ({ size, tile, hh, ww, c, f: filters(c), pad })));
  const cases = [
    ...sweep(
      3,
      2,
      [
        [1, 1],
        [1, 5],
        [3, 3],
        [5, 7],
      ],
      [1, 3, 4, 5],
      [1, 1],
      (c) => (c === 4 ? 8 : 2 * c + 3),
    ),
    { size: 3, tile: 2, hh: 3, ww: 3, c: 3, f: 5, pad: [0, 0] },
    { size: 3, tile: 2, hh: 5, ww: 7, c: 5, f: 9, pad: [0, 0] },
    { size: 3, tile: 2, hh: 5, ww: 7, c: 4, f: 1, pad: [2, 0] },
    { size: 3, tile: 2, hh: 1, ww: 5, c: 1, f: 7, pad: [2, 2] },
    { size: 3, tile: 2, hh: 6, ww: 4, c: 3, f: 33, pad: [0, 1] },
    // F(4x4, 3x3): outputs of every remainder by 4, tiles sticking out to the bottom and right.
    ...sweep(3, 4, REMAINDERS_BY_4, [1, 3, 5], [1, 1]),
    { size: 3, tile: 4, hh: 6, ww: 6, c: 4, f: 8, pad: [0, 0] },
    { size: 3, tile: 4, hh: 7, ww: 10, c: 6, f: 17, pad: [2, 0] },
    { size: 3, tile: 4, hh: 3, ww: 9, c: 2, f: 9, pad: [0, 2] },
    { size: 5, tile: 2, hh: 1, ww: 1, c: 3, f: 5, pad: [2, 2] },
    { size: 5, tile: 2, hh: 5, ww: 7, c: 5, f: 9, pad: [2, 2] },
    { size: 5, tile: 2, hh: 6, ww: 6, c: 4, f: 8, pad: [0, 0] },
    { size: 5, tile: 2, hh: 7, ww: 5, c: 1, f: 3, pad: [4, 1] },
    { size: 5, tile: 2, hh: 9, ww: 8, c: 6, f: 17, pad: [2, 0] },
    // F(4x4, 5x5): outputs of every remainder by 4, tiles sticking out to the bottom and right.
    ...sweep(5, 4, REMAINDERS_BY_4, [1, 3, 5], [2, 2]),
    { size: 5, tile: 4, hh: 8, ww: 8, c: 4, f: 8, pad: [0, 0] },
    { size: 5, tile: 4, hh: 7, ww: 10, c: 6, f: 17, pad: [4, 0] },
    { size: 5, tile: 4, hh: 3, ww: 9, c: 2, f: 9, pad: [1, 3] },
    // F(6x6, 3x3): outputs of every remainder by 6.
    ...sweep(
      3,
      6,
      [
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 11],
        [13, 9],
      ],
      [1, 5],
      [1, 1],
    ),
    { size: 3, tile: 6, hh: 8, ww: 8, c: 4, f: 8, pad: [0, 0] },
    // Wide V rows, which f32_winograd_nhwc runs in passes of 2 groups (128 channels) and of 1 (256).
    { size: 3, tile: 4, hh: 9, ww: 9, c: 128, f: 9, pad: [1, 1] },
    { size: 3, tile: 2, hh: 9, ww: 8, c: 256, f: 9, pad: [1, 1] },
  ];
  it.each(cases)(
    '$size x $size in $tile x $tile tiles: a $hh x $ww x $c input, $f filters, padding $pad, 2 samples: pack, transforms and GEMMs against the direct conv',
    (cc) => {
      const tile = cc.tile as WinogradTile;
      const next = random(cc.hh * 1000 + cc.ww * 100 + cc.c * 10 + cc.f + tile);
      const layer = randomCon(0, { inputs: cc.c, filters: cc.f, size: cc.size, stride: 1, pad: cc.pad as [number, number] }, next);
      const [py, px] = cc.pad;
      const oh = outputSize(cc.hh, cc.size, 1, py);
      const ow = outputSize(cc.ww, cc.size, 1, px);
      const positions = winogradPositions(layer, tile);
      const alpha = Math.sqrt(positions);
      const inputTransform = (...args: Parameters<typeof h.k.f32_winograd_2x2_3x3_input_nhwc__simd128>) =>
        alpha > 4 ? h.k.f32_winograd_input_nhwc__simd128(alpha, tile, 1, ...args) : h.k.f32_winograd_2x2_3x3_input_nhwc__simd128(...args);
      const outputTransform = (...args: Parameters<typeof h.k.f32_winograd_2x2_3x3_output_nhwc__simd128>) =>
        alpha > 4 ? h.k.f32_winograd_output_nhwc__simd128(alpha, tile, ...args) : h.k.f32_winograd_2x2_3x3_output_nhwc__simd128(...args);
      const samples = [floats(cc.hh * cc.ww * cc.c, next), floats(cc.hh * cc.ww * cc.c, next)];
      const { tilesY, tilesX } = winogradTiles({ h: oh, w: ow, c: cc.f }, tile);
      const tiles = 2 * tilesY * tilesX;
      const vRow = round4(cc.c);
      const mRow = round4(cc.f);
      // Odd strides (not a multiple of the rows): the kernels must take them as given.
      const vMatrixBytes = tiles * vRow * 4 + 80;
      const mMatrixBytes = tiles * mRow * 4 + 48;

      const { w, matrixBytes } = pack(layer, tile);
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
      // Into M, again before each output transform: the 6x6 and 8x8 ones write M A over M.
      const gemm = () =>
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
        gemm();
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
      gemm();
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
      // Its V and M: alpha² rows for every tile of whole groups of 4, each range laying out its passes in its groups' part.
      const vGroups = h.alloc(positions * groups * 4 * vRow * 4);
      const mGroups = h.alloc(positions * groups * 4 * mRow * 4);
      for (const cut of [groups, Math.floor(groups / 2)]) {
        new Float32Array(h.memory.buffer, y, 2 * oh * ow * cc.f).fill(Number.NaN);
        for (const [a, b] of [
          [cut, groups],
          [0, cut],
        ]) {
          h.k.f32_winograd_nhwc__simd128(
            tile,
            cc.size,
            1,
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
            vGroups,
            indirection,
            w,
            matrixBytes,
            gemmBias,
            mGroups,
            biasAt,
            cc.f,
            y,
            true,
            a,
            b,
          );
        }
        expectExact(h.readF32(y, 2 * oh * ow * cc.f), whole, `f32_winograd_nhwc, groups split at ${cut}`);
      }
      h.expectGuardsIntact();
    },
  );
  // Fold 2: the input transform reads x's space to depth by 2x2 from x itself, the same V as over the copy.
  it.each([
    { alpha: 8, tile: 6, hh: 13, ww: 11, c: 4, pad: [0, 0] },
    { alpha: 8, tile: 4, hh: 9, ww: 14, c: 8, pad: [1, 0] },
    { alpha: 6, tile: 4, hh: 7, ww: 7, c: 4, pad: [0, 1] },
    { alpha: 8, tile: 6, hh: 2, ww: 3, c: 12, pad: [1, 1] },
  ])(
    "fold 2: alpha $alpha, $tile x $tile tiles of a $hh x $ww x $c input's space to depth, padding $pad, 2 samples: V as over f32_space_to_depth_2x2_nhwc",
    (cc) => {
      const [py, px] = cc.pad;
      const sh = Math.ceil(cc.hh / 2);
      const sw = Math.ceil(cc.ww / 2);
      const folded = 4 * cc.c;
      // The folded 3x3 layer's output, in whole tiles.
      const tilesY = Math.ceil((sh + 2 * py - 2) / cc.tile);
      const tilesX = Math.ceil((sw + 2 * px - 2) / cc.tile);
      const tiles = 2 * tilesY * tilesX;
      const positions = cc.alpha * cc.alpha;
      const vMatrixBytes = tiles * folded * 4 + 80;
      const x = h.f32(floats(2 * cc.hh * cc.ww * cc.c, random(cc.hh * 100 + cc.ww * 10 + cc.c)));
      const zero = h.zeros(folded * 4);
      const copy = h.alloc(2 * sh * sw * folded * 4);
      h.k.f32_space_to_depth_2x2_nhwc(x, cc.hh, cc.ww, cc.c, copy, 0, 2 * sh);
      const want = h.alloc(positions * vMatrixBytes);
      const got = h.alloc(positions * vMatrixBytes);
      h.k.f32_winograd_input_nhwc__simd128(
        cc.alpha,
        cc.tile,
        1,
        copy,
        zero,
        sh,
        sw,
        folded,
        py,
        px,
        tilesY,
        tilesX,
        want,
        vMatrixBytes,
        0,
        tiles,
      );
      h.k.f32_winograd_input_nhwc__simd128(
        cc.alpha,
        cc.tile,
        2,
        x,
        zero,
        cc.hh,
        cc.ww,
        cc.c,
        py,
        px,
        tilesY,
        tilesX,
        got,
        vMatrixBytes,
        0,
        tiles,
      );
      for (let xi = 0; xi < positions; xi++) {
        expectExact(
          h.readF32(got + xi * vMatrixBytes, tiles * folded),
          h.readF32(want + xi * vMatrixBytes, tiles * folded),
          `V matrix ${xi}`,
        );
      }
      expect(h.readF32(want, positions * (vMatrixBytes / 4)).some((value) => value !== 0)).toBe(true);
      h.expectGuardsIntact();
    },
  );
});
