import type { ConLayer } from '../dlib/network-description.js';
import type { Shape } from './graph.js';
import { foldedBias, IGEMM_MR, IGEMM_NR, type PackedWeights } from './pack-weights.js';

/**
 * Winograd F(2x2, 3x3), F(4x4, 3x3), F(6x6, 3x3), F(2x2, 5x5), F(4x4, 5x5)
 * and F(6x6, 5x5) convolutions (Lavin and Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2015): each tile of alpha x alpha input
 * pixels (alpha = m + r - 1: 4, 6, 8, 6, 8, 10) gives m x m outputs of an r x
 * r stride-1 convolution, as Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A. Summed over input
 * channels, the elementwise products become alpha² GEMMs, one per position
 * of the transform domain: per output and channel pair, 16/4 = 4, 36/16 =
 * 2.25, 64/36 = 1.78, 36/4 = 9, 64/16 = 4 and 100/36 = 2.78 multiply-adds
 * where the direct convolution has 9, 9, 9, 25, 25 and 25.
 */
export type WinogradTile = 2 | 4 | 6;

/** The output tiles of each kernel size with a Winograd transform (kernels of their own). */
const TILES: Record<number, WinogradTile[]> = { 3: [2, 4, 6], 5: [2, 4, 6] };

/**
 * The output tiles a layer of `kernelSize` may run in. F(6x6, 5x5) needs two
 * more points than F(4x4, 5x5) and rounds 3-4x more (the face detector's
 * scores: up to 1.6e-5 of their largest magnitude from dlib's, against
 * 5e-6): with the kernels' multiply-adds fused (relaxed SIMD on a CPU with
 * FMA: runtimeFusesRelaxedMadd), dlib-models' MMOD detectors' confidences
 * stay within 5.5e-5 of dlib's (relative; the parity tests allow 1e-4; the
 * face detector's weakest detection of the photos at upsample 1, 0.129,
 * within 7.6e-5), with them separate (plain SIMD) one was 1.2e-4 off. So
 * unfused kernels keep F(4x4, 5x5).
 */
function tilesOf(kernelSize: number, fusedMultiplyAdd: boolean): WinogradTile[] {
  return kernelSize === 5 && !fusedMultiplyAdd ? [2, 4] : TILES[kernelSize];
}

/** Positions of a layer's transform domain: alpha². */
export function winogradPositions(layer: ConLayer, tile: WinogradTile): number {
  return (tile + layer.kernelRows - 1) ** 2;
}

/**
 * The least estimated cost of the direct convolution per unit of the
 * Winograd one for which a layer runs as Winograd. The transforms cost time
 * of their own; a small output wastes tile rows (a 3x3 output needs the
 * GEMMs of a 4x4 one, a 1x1 output those of a 2x2). Measured: 1.27 (3x3
 * outputs in batches of 8, weights in cache) gains 10-18% from 64 channels
 * up, 1.13 (1xN outputs) nothing.
 */
const MIN_SAVING = 1.2;
/**
 * What the cost model charges for each weight of a run, in multiply-adds: a
 * price for the memory a layer's weights take far more than the time to read
 * them (Winograd's weights are 16/9 of the direct convolution's, 36/9 in 4x4
 * tiles, 64/9 in 6x6 ones). Reading them is about 1-2 (fitted to the face
 * model's 256-channel layers, Node 22, 1 thread, one face in the batch-8
 * plan: 4x4 outputs in 0.83-0.96 ms as F(2x2, 3x3), 1.5 direct, 1.7-2.0 as
 * F(4x4, 3x3); in batches of 8, F(4x4, 3x3) ran them in 0.6-0.65 of F(2x2,
 * 3x3)'s time). At 12, the face model at batch 8 runs those layers as F(2x2,
 * 3x3) (4x4 outputs) and directly (3x3): 51.6 MiB. Priced at their read,
 * they ran as F(4x4, 3x3) (what batch 16 picks): 7% less time a face in full
 * batches, but 78.3 MiB, and a single face, which runs the batch's plan,
 * 1.2-1.4 ms slower (bench/winograd-tile-probe.mjs; bench/RESULTS.md, session
 * facetile). The price weighs most in small batches: batch 1 picks 4x4 tiles
 * for 64 channels, 2x2 for 128 and direct for 256 (27 MiB), 1.3 ms a face
 * slower than batch 8's tiles run one face.
 */
const WEIGHT_MACS = 12;
/**
 * Fewer input channels or filters than this leave the GEMMs too short to pay
 * for the transforms (measured: 8 loses, 12 gains a little, 16 gains 15-25%).
 * The face detector's 3-channel first layer over its space to depth (12
 * channels) as F(4x4, 3x3) lost: 1.39 ms to copy and 5.68 for the Winograd
 * step against 5.54 direct (Node 22, 1 thread, 720x620; Node 20: 1.33 + 6.39
 * against 6.94), the direct igemm running it at 80% of the SIMD peak. As
 * F(6x6, 3x3) with the input transform reading the space to depth in place
 * (pairs of RGB pixels, no copy), it ran as fast as directly (1.12 against
 * 1.115 ms at 262x352, least of 81 turns, Node 22): not worth the taller
 * bands its tiles need.
 */
const MIN_CHANNELS = 16;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The tile x tile output tiles of one sample (the last row and column may stick out of the output). */
export function winogradTiles(output: Shape, tile: WinogradTile): { tilesY: number; tilesX: number } {
  return { tilesY: Math.ceil(output.h / tile), tilesX: Math.ceil(output.w / tile) };
}

/** Multiply-adds of the transform-domain GEMMs of one sample. */
export function winogradMacs(layer: ConLayer, output: Shape, tile: WinogradTile): number {
  const { tilesY, tilesX } = winogradTiles(output, tile);
  return winogradPositions(layer, tile) * tilesY * tilesX * layer.inputChannels * layer.numFilters;
}

/**
 * Estimated cost of a convolution, per input channel and filter: a
 * multiply-add per weight for each row of the GEMM (pixels, or tiles for
 * Winograd, in whole igemm tiles) and WEIGHT_MACS.
 */
function cost(weights: number, rows: number): number {
  return weights * (Math.ceil(rows / IGEMM_MR) * IGEMM_MR + WEIGHT_MACS);
}

/** A stride-1 convolution with a Winograd transform, of enough channels to pay for it. */
function winogradCapable(layer: ConLayer): boolean {
  const size = layer.kernelRows;
  if (!(size in TILES) || layer.kernelCols !== size || layer.strideY !== 1 || layer.strideX !== 1) return false;
  return layer.inputChannels >= MIN_CHANNELS && layer.numFilters >= MIN_CHANNELS;
}

/** A 5x5 stride-2 convolution without padding, which spaceToDepthLayer folds into a 3x3 stride-1 one. */
function foldsToSpaceToDepth(layer: ConLayer): boolean {
  const { kernelRows, kernelCols, strideY, strideX, padY, padX } = layer;
  return kernelRows === 5 && kernelCols === 5 && strideY === 2 && strideX === 2 && padY === 0 && padX === 0;
}

/**
 * The input rows each output row of a layer reads ([stride * row - pad,
 * that + size)), and the output rows it computes together, where it may run
 * as Winograd: a tile's output rows are computed together (each row's
 * arithmetic depends on its place in the tile). The rows a tile's output row
 * reads are those Aᵀ and Bᵀ do not weight by zero, whether or not their
 * weights cancel in exact arithmetic (in float they do not). In an alpha x
 * alpha tile of m x m outputs, Aᵀ's first row weights tile rows 0 .. alpha -
 * 2 of M, its middle rows 1 .. alpha - 2, its last one 1 .. alpha - 1 (the
 * point ∞ in the last column); Bᵀ's rows of those M rows weight the same
 * input rows. So output row k of the tile reads tile rows 0 .. alpha - 2
 * (k = 0), 1 .. alpha - 2 or 1 .. alpha - 1 (k = m - 1): for m = 2 the
 * convolution's window, for m = 4 or 6 rows 2 - m .. alpha - 2 around the
 * row's own (alpha + m - 3 rows). Over its input's space to depth (a row of which is 2 of
 * the layer's input rows), a 5x5 stride-2 layer's row reads 6 input rows in
 * F(2x2, 3x3) tiles, the 6th with a zero weight, 14 in F(4x4, 3x3) ones and
 * 22 in F(6x6, 3x3) ones.
 */
export function winogradRows(layer: ConLayer): { size: number; together: number; pad: number } {
  const { kernelRows, padY, strideY } = layer;
  const foldedCapable = foldsToSpaceToDepth(layer) && 4 * layer.inputChannels >= MIN_CHANNELS && layer.numFilters >= MIN_CHANNELS;
  if (!winogradCapable(layer) && !foldedCapable) return { size: kernelRows, together: 1, pad: padY };
  // The tiles of the kernel size Winograd runs at (the layer's, or 3 over the space to depth), ascending: the largest
  // reads the most rows; a band must start at a tile's first row whichever the planner takes.
  const r = foldedCapable ? 3 : kernelRows;
  const tile = TILES[r].at(-1) as WinogradTile;
  const together = TILES[r].reduce((multiple: number, t) => (multiple * t) / gcd(multiple, t), 1);
  // A tile's last output row reads from tile - 2 rows above its own window.
  const above = tile - 2;
  return { size: (tile + r - 2 + above) * strideY, together, pad: padY + above * strideY };
}

/** The estimated cost of a layer as Winograd, per input channel and filter of the layer given. */
function winogradCost(layer: ConLayer, output: Shape, batch: number, tile: WinogradTile): number {
  const { tilesY, tilesX } = winogradTiles(output, tile);
  return cost(winogradPositions(layer, tile), batch * tilesY * tilesX);
}

/**
 * The output tile of `winograd`'s least estimated cost, if it saves enough on
 * computing `layer` directly; `winograd` is the layer itself, or the layer
 * over its input's space to depth (`inputsPerChannel` 4: each of its input
 * channels is a quarter of one of the layer's).
 */
function savingTile(
  layer: ConLayer,
  winograd: ConLayer,
  output: Shape,
  batch: number,
  inputsPerChannel: number,
  fusedMultiplyAdd: boolean,
): WinogradTile | undefined {
  if (!winogradCapable(winograd)) return undefined;
  const direct = cost(layer.kernelRows * layer.kernelCols, batch * output.h * output.w);
  const costs = tilesOf(winograd.kernelRows, fusedMultiplyAdd).map((tile) => ({ tile, cost: winogradCost(winograd, output, batch, tile) }));
  const best = costs.reduce((cheapest, next) => (next.cost < cheapest.cost ? next : cheapest));
  return direct >= MIN_SAVING * inputsPerChannel * best.cost ? best.tile : undefined;
}

/**
 * The output tile with which the plan computes a convolution as Winograd
 * (any padding), for batches of `batch`, with the kernels' multiply-adds
 * fused or not; undefined to compute it directly.
 */
export function winogradTile(layer: ConLayer, output: Shape, batch: number, fusedMultiplyAdd: boolean): WinogradTile | undefined {
  return savingTile(layer, layer, output, batch, 1, fusedMultiplyAdd);
}

/**
 * A 5x5 stride-2 convolution without padding as the 3x3 stride-1 one over
 * its input's space to depth by 2x2 (f32_space_to_depth_2x2_nhwc: 4C
 * channels, input pixel (2Y + dy, 2X + dx) in channels (2dy + dx)C ..):
 * filter position (a, b) of channel block (dy, dx) is the 5x5 filter's (2a +
 * dy, 2b + dx), zero past its edge. Undefined for other layers.
 */
export function spaceToDepthLayer(layer: ConLayer): ConLayer | undefined {
  if (!foldsToSpaceToDepth(layer)) return undefined;
  const { inputChannels: c, numFilters: k } = layer;
  const filters = new Float32Array(k * 4 * c * 9);
  for (let o = 0; o < k; o++) {
    for (let dy = 0; dy < 2; dy++) {
      for (let dx = 0; dx < 2; dx++) {
        for (let channel = 0; channel < c; channel++) {
          const target = (o * 4 * c + (dy * 2 + dx) * c + channel) * 9;
          for (let a = 0; 2 * a + dy < 5; a++) {
            for (let b = 0; 2 * b + dx < 5; b++)
              filters[target + a * 3 + b] = layer.filters[((o * c + channel) * 5 + 2 * a + dy) * 5 + 2 * b + dx];
          }
        }
      }
    }
  }
  return { ...layer, inputChannels: 4 * c, kernelRows: 3, kernelCols: 3, strideY: 1, strideX: 1, filters };
}

/**
 * The output tile with which the plan computes a 5x5 stride-2 convolution as
 * Winograd over its input's space to depth (see spaceToDepthLayer), or
 * undefined to compute it directly: F(2x2, 3x3) has 16 products per 2x2
 * outputs and 4 channel pairs, 64 where the direct convolution has 100, for
 * the price of the copy and the transforms (measured on the face detector's
 * 16- and 32-channel layers: 20-40% faster than the direct igemm, once the
 * Winograd step kept its transform-domain rows in cache; as three steps it
 * gained nothing); F(4x4, 3x3) 36 per 4x4 outputs, F(6x6, 3x3) 64 per 6x6.
 */
export function spaceToDepthWinogradTile(layer: ConLayer, folded: ConLayer, output: Shape, batch: number): WinogradTile | undefined {
  // The folded layer has 4 input channels for each of the layer's.
  return savingTile(layer, folded, output, batch, 4, false);
}

/**
 * Bytes from one of a layer's alpha² weight matrices to the next: an odd
 * number of cache lines past the matrix, so that the alpha² values the filter
 * transform stores at once fall in different cache sets (at a multiple of 4 KiB they
 * all fell in one, and the 256-channel layers packed 5x slower).
 */
export function winogradWeightMatrixBytes(layer: ConLayer): number {
  const bytes = Math.ceil(layer.numFilters / IGEMM_NR) * layer.inputChannels * IGEMM_NR * 4;
  return Math.ceil(bytes / 128) * 128 + 64;
}

/**
 * A con layer's filters in the Winograd transform domain, U = G g Gᵀ per
 * filter and channel (scaled after the transform), as alpha² igemm weight
 * matrices `[blocks][C][8]`, winogradWeightMatrixBytes apart, one per
 * position ξ of the domain (f32_winograd_filter_pack); and the folded bias,
 * which the output transform adds.
 */
export function packWinogradWeights(layer: ConLayer, tile: WinogradTile, scale?: Float32Array, shift?: Float32Array): PackedWeights {
  const { inputChannels: c, numFilters: k, kernelRows } = layer;
  const blocks = Math.ceil(k / IGEMM_NR);
  const matrixBytes = winogradWeightMatrixBytes(layer);
  return {
    w: {
      floats: (winogradPositions(layer, tile) * matrixBytes) / 4,
      inputs: scale ? [layer.filters, scale] : [layer.filters],
      pack: (target, [filters, scaleAt = 0]) => ({
        kernel: 'f32_winograd_filter_pack',
        args: [tile + kernelRows - 1, kernelRows, filters, k, c, scaleAt, target, matrixBytes],
        split: { first: 0, items: blocks, macs: 0 },
      }),
    },
    bias: foldedBias(k, layer.bias, scale, shift),
  };
}
