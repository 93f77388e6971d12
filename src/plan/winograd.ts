import type { ConLayer } from '../dlib/network-description.js';
import type { WeightWriter } from './constant.js';
import type { Shape } from './graph.js';
import { foldedBias, IGEMM_MR, IGEMM_NR, type PackedWeights } from './pack-weights.js';

/**
 * Winograd F(2x2, 3x3) and F(2x2, 5x5) convolutions (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2015): each tile of 4x4
 * (6x6) input pixels gives 2x2 outputs of a 3x3 (5x5) stride-1 convolution,
 * as Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A. Summed over input channels, the elementwise
 * products become 16 (36) GEMMs, one per position of the transform domain,
 * with 16 (36) multiply-adds per 2x2 outputs and channel pair where the
 * direct convolution has 36 (100).
 */
const OUTPUT_TILE = 2;

/** The kernel sizes with a Winograd transform (kernels of their own). */
const SIZES = [3, 5];

/** F(2x2, 5x5)'s G (points 0, ±1, ±2, ∞), 6x5. */
const G_5X5 = [
  [1 / 4, 0, 0, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6, 1 / 3, 2 / 3],
  [1 / 24, -1 / 12, 1 / 6, -1 / 3, 2 / 3],
  [0, 0, 0, 0, 1],
];

/** Positions of a layer's transform domain: 16 for 3x3, 36 for 5x5. */
export function winogradPositions(layer: ConLayer): number {
  return (OUTPUT_TILE + layer.kernelRows - 1) ** 2;
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
  return winogradPositions(layer) * tilesY * tilesX * layer.inputChannels * layer.numFilters;
}

/**
 * Whether the plan computes a convolution as Winograd F(2x2, 3x3) or F(2x2,
 * 5x5) (any padding), for batches of `batch`. Both ways cost, per weight, a
 * multiply-add for each row of the GEMM (pixels or tiles, in whole igemm
 * tiles) and the weight's read.
 */
export function prefersWinograd(layer: ConLayer, output: Shape, batch: number): boolean {
  const size = layer.kernelRows;
  if (!SIZES.includes(size) || layer.kernelCols !== size || layer.strideY !== 1 || layer.strideX !== 1) return false;
  if (layer.inputChannels < MIN_CHANNELS || layer.numFilters < MIN_CHANNELS) return false;
  const { tilesY, tilesX } = winogradTiles(output);
  const tileRows = (rows: number) => Math.ceil(rows / IGEMM_MR) * IGEMM_MR;
  const direct = size * size * (tileRows(batch * output.h * output.w) + WEIGHT_READ_MACS);
  const winograd = winogradPositions(layer) * (tileRows(batch * tilesY * tilesX) + WEIGHT_READ_MACS);
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
 * A con layer's filters in the Winograd transform domain, U = G g Gᵀ per
 * filter and channel (scaled after the transform), as 16 (36) igemm weight
 * matrices `[blocks][C][8]`, winogradWeightMatrixBytes apart, one per
 * position ξ of the domain; and the folded bias, which the output transform
 * adds. 3x3 filters are transformed by a kernel (the face model's 256-channel
 * layers have millions of weights), 5x5 ones here.
 */
export function packWinogradWeights(layer: ConLayer, scale?: Float32Array, shift?: Float32Array): PackedWeights {
  const { inputChannels: c, numFilters: k } = layer;
  const blocks = Math.ceil(k / IGEMM_NR);
  const matrixBytes = winogradWeightMatrixBytes(layer);
  if (layer.kernelRows === 5) return { w: winograd5x5Writer(layer, matrixBytes, scale), bias: foldedBias(k, layer.bias, scale, shift) };
  return {
    w: {
      floats: (winogradPositions(layer) * matrixBytes) / 4,
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

/** U = G g Gᵀ of every 5x5 filter and channel in float64, rounded to float once, into the 36 matrices. */
function winograd5x5Writer(layer: ConLayer, matrixBytes: number, scale?: Float32Array): WeightWriter {
  const { inputChannels: c, numFilters: k, filters } = layer;
  const matrixFloats = matrixBytes / 4;
  const gg = new Float64Array(30);
  return {
    floats: 36 * matrixFloats,
    write: (w) => {
      for (let o = 0; o < k; o++) {
        const s = scale ? scale[o] : 1;
        for (let channel = 0; channel < c; channel++) {
          const g = (o * c + channel) * 25;
          // G g (6x5), then (G g) Gᵀ (6x6).
          for (let i = 0; i < 6; i++) {
            for (let j = 0; j < 5; j++) {
              let sum = 0;
              for (let r = 0; r < 5; r++) sum += G_5X5[i][r] * filters[g + r * 5 + j];
              gg[i * 5 + j] = sum;
            }
          }
          const lane = (Math.floor(o / IGEMM_NR) * c + channel) * IGEMM_NR + (o % IGEMM_NR);
          for (let i = 0; i < 6; i++) {
            for (let j = 0; j < 6; j++) {
              let sum = 0;
              for (let r = 0; r < 5; r++) sum += gg[i * 5 + r] * G_5X5[j][r];
              w[(i * 6 + j) * matrixFloats + lane] = sum * s;
            }
          }
        }
      }
    },
  };
}
