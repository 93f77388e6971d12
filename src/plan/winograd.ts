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
 * Estimated cost of a convolution, per input channel and filter: a
 * multiply-add per weight for each row of the GEMM (pixels, or tiles for
 * Winograd, in whole igemm tiles) and the weight's read.
 */
function cost(weights: number, rows: number): number {
  return weights * (Math.ceil(rows / IGEMM_MR) * IGEMM_MR + WEIGHT_READ_MACS);
}

/** A stride-1 convolution with a Winograd transform, of enough channels to pay for it. */
function winogradCapable(layer: ConLayer): boolean {
  const size = layer.kernelRows;
  if (!SIZES.includes(size) || layer.kernelCols !== size || layer.strideY !== 1 || layer.strideX !== 1) return false;
  return layer.inputChannels >= MIN_CHANNELS && layer.numFilters >= MIN_CHANNELS;
}

/** A 5x5 stride-2 convolution without padding, which spaceToDepthLayer folds into a 3x3 stride-1 one. */
function foldsToSpaceToDepth(layer: ConLayer): boolean {
  const { kernelRows, kernelCols, strideY, strideX, padY, padX } = layer;
  return kernelRows === 5 && kernelCols === 5 && strideY === 2 && strideX === 2 && padY === 0 && padX === 0;
}

/**
 * The input rows each output row of a layer reads, and the output rows it
 * computes together, where it may run as Winograd: a tile's output rows are
 * computed together (each row's arithmetic depends on its place in the
 * tile). Over its input's space to depth, a 5x5 stride-2 layer's output row
 * also reads the 6th input row, with a zero weight whose product the
 * transforms' rounding does not cancel.
 */
export function winogradRows(layer: ConLayer): { size: number; together: number } {
  if (winogradCapable(layer)) return { size: layer.kernelRows, together: OUTPUT_TILE };
  const foldedCapable = 4 * layer.inputChannels >= MIN_CHANNELS && layer.numFilters >= MIN_CHANNELS;
  if (foldsToSpaceToDepth(layer) && foldedCapable) return { size: 6, together: OUTPUT_TILE };
  return { size: layer.kernelRows, together: 1 };
}

/** The estimated cost of a layer as Winograd, per input channel and filter of the layer given. */
function winogradCost(layer: ConLayer, output: Shape, batch: number): number {
  const { tilesY, tilesX } = winogradTiles(output);
  return cost(winogradPositions(layer), batch * tilesY * tilesX);
}

/** Whether the plan computes a convolution as Winograd F(2x2, 3x3) or F(2x2, 5x5) (any padding), for batches of `batch`. */
export function prefersWinograd(layer: ConLayer, output: Shape, batch: number): boolean {
  if (!winogradCapable(layer)) return false;
  const direct = cost(layer.kernelRows * layer.kernelCols, batch * output.h * output.w);
  return direct >= MIN_SAVING * winogradCost(layer, output, batch);
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
 * Whether the plan computes a 5x5 stride-2 convolution as Winograd F(2x2,
 * 3x3) over its input's space to depth (see spaceToDepthLayer): 16 products
 * per 2x2 outputs and 4 channel pairs, 64 where the direct convolution has
 * 100, for the price of the copy and the transforms (measured on the face
 * detector's 16- and 32-channel layers: 20-40% faster than the direct igemm,
 * once the Winograd step kept its transform-domain rows in cache; as three
 * steps it gained nothing).
 */
export function prefersSpaceToDepthWinograd(layer: ConLayer, folded: ConLayer, output: Shape, batch: number): boolean {
  if (!winogradCapable(folded)) return false;
  const direct = cost(layer.kernelRows * layer.kernelCols, batch * output.h * output.w);
  // The folded layer has 4 input channels for each of the layer's.
  return direct >= MIN_SAVING * 4 * winogradCost(folded, output, batch);
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
