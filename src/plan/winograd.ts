import type { ConLayer } from '../dlib/network-description.js';
import type { Shape } from './graph.js';
import { foldedBias, IGEMM_MR, IGEMM_NR, type PackedWeights } from './pack-weights.js';

/**
 * Winograd F(2x2, 3x3) convolution (Lavin and Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2015): each tile of 4x4 input pixels gives
 * 2x2 outputs of a 3x3 stride-1 convolution, as Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A.
 * Summed over input channels, the elementwise products become 16 GEMMs, one
 * per position of the 4x4 transform domain, with 16 multiply-adds per 2x2
 * outputs and channel pair where the direct convolution has 36.
 */
export const WINOGRAD_POSITIONS = 16;
const OUTPUT_TILE = 2;

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
 * The cost of reading a weight from beyond the L2 cache (where a whole net's
 * weights are when a layer starts), in multiply-adds: Winograd's weights are
 * 16/9 of the direct convolution's, and in a small batch the layers of 256
 * filters are bound by reading them (measured in the face model at batch 1:
 * 4x4 outputs as fast either way, 3x3 outputs 20% slower as Winograd).
 */
const WEIGHT_READ_MACS = 12;
/**
 * Fewer input channels or filters than this leave the GEMMs too short to pay
 * for the transforms (measured: 8 loses, 12 gains a little, 16 gains 15-25%).
 */
const MIN_CHANNELS = 16;

/** The 2x2 output tiles of one sample (the last row and column may stick out of the output). */
export function winogradTiles(output: Shape): { tilesY: number; tilesX: number } {
  return { tilesY: Math.ceil(output.h / OUTPUT_TILE), tilesX: Math.ceil(output.w / OUTPUT_TILE) };
}

/** Multiply-adds of the transform-domain GEMMs of one sample. */
export function winogradMacs(layer: ConLayer, output: Shape): number {
  const { tilesY, tilesX } = winogradTiles(output);
  return WINOGRAD_POSITIONS * tilesY * tilesX * layer.inputChannels * layer.numFilters;
}

/** Whether a layer runs as Winograd at some input sizes: a 3x3 stride-1 convolution with enough channels. */
function mayRunWinograd(layer: ConLayer): boolean {
  if (layer.kernelRows !== 3 || layer.kernelCols !== 3 || layer.strideY !== 1 || layer.strideX !== 1) return false;
  return layer.inputChannels >= MIN_CHANNELS && layer.numFilters >= MIN_CHANNELS;
}

/**
 * The output rows a layer computes together: a Winograd tile's where it may
 * run as Winograd (an output row's arithmetic depends on its place in the
 * tile), else 1.
 */
export function rowsComputedTogether(layer: ConLayer): number {
  return mayRunWinograd(layer) ? OUTPUT_TILE : 1;
}

/**
 * Whether the plan computes a convolution as Winograd F(2x2, 3x3) (any
 * padding), for batches of `batch`. Both ways cost, per weight, a
 * multiply-add for each row of the GEMM (pixels or tiles, in whole igemm
 * tiles) and the weight's read.
 */
export function prefersWinograd(layer: ConLayer, output: Shape, batch: number): boolean {
  if (!mayRunWinograd(layer)) return false;
  const { tilesY, tilesX } = winogradTiles(output);
  const tileRows = (rows: number) => Math.ceil(rows / IGEMM_MR) * IGEMM_MR;
  const direct = 9 * (tileRows(batch * output.h * output.w) + WEIGHT_READ_MACS);
  const winograd = WINOGRAD_POSITIONS * (tileRows(batch * tilesY * tilesX) + WEIGHT_READ_MACS);
  return direct >= MIN_SAVING * winograd;
}

/**
 * Bytes from one of a layer's 16 weight matrices to the next: an odd number
 * of cache lines past the matrix, so that the 16 values the filter transform
 * stores at once fall in different cache sets (at a multiple of 4 KiB they
 * all fell in one, and the 256-channel layers packed 5x slower).
 */
export function winogradWeightMatrixBytes(layer: ConLayer): number {
  const bytes = Math.ceil(layer.numFilters / IGEMM_NR) * layer.inputChannels * IGEMM_NR * 4;
  return Math.ceil(bytes / 128) * 128 + 64;
}

/**
 * A 3x3 con layer's filters in the Winograd F(2x2, 3x3) transform domain,
 * U = G g Gᵀ per filter and channel (scaled after the transform), as 16 igemm
 * weight matrices `[blocks][C][8]`, winogradWeightMatrixBytes apart, one per
 * position ξ of the 4x4 domain; and the folded bias, which the output transform adds.
 */
export function packWinogradWeights(layer: ConLayer, scale?: Float32Array, shift?: Float32Array): PackedWeights {
  const { inputChannels: c, numFilters: k } = layer;
  const blocks = Math.ceil(k / IGEMM_NR);
  const matrixBytes = winogradWeightMatrixBytes(layer);
  return {
    w: {
      floats: (WINOGRAD_POSITIONS * matrixBytes) / 4,
      inputs: scale ? [layer.filters, scale] : [layer.filters],
      pack: (target, [filters, scaleAt = 0]) => ({
        kernel: 'f32_winograd_2x2_3x3_filter_pack',
        args: [filters, k, c, scaleAt, target, matrixBytes],
        split: { first: 0, items: blocks, macs: 0 },
      }),
    },
    bias: foldedBias(k, layer.bias, scale, shift),
  };
}
