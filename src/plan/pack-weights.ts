import type { ConLayer, FcLayer } from '../dlib/network-description.js';
import type { WeightWriter } from './constant.js';
import type { Shape } from './graph.js';

/** Output channels per block of the igemm microkernel (two SIMD vectors). */
export const IGEMM_NR = 8;
/** Output pixels per tile of the igemm microkernel. */
export const IGEMM_MR = 4;

/**
 * Weights packed for the igemm kernel: `[blocks][K][8]` (K in tap, then
 * channel order), and one bias per padded output channel.
 */
export interface PackedWeights {
  w: WeightWriter;
  bias: Float32Array;
}

/** b' = b*scale + shift per output, zero-padded to whole blocks. */
export function foldedBias(outputs: number, bias: Float32Array | null, scale?: Float32Array, shift?: Float32Array): Float32Array {
  const b = new Float32Array(Math.ceil(outputs / IGEMM_NR) * IGEMM_NR);
  for (let o = 0; o < outputs; o++) b[o] = (bias ? bias[o] : 0) * (scale ? scale[o] : 1) + (shift ? shift[o] : 0);
  return b;
}

/**
 * Packs `outputs` columns of a K x outputs weight matrix, given as
 * `weightAt(k, o)`, with an optional per-output scale and shift folded in:
 * W' = W*scale, b' = b*scale + shift.
 */
export function packColumns(
  k: number,
  outputs: number,
  weightAt: (k: number, o: number) => number,
  bias: Float32Array | null,
  scale?: Float32Array,
  shift?: Float32Array,
): PackedWeights {
  const blocks = Math.ceil(outputs / IGEMM_NR);
  const write = (w: Float32Array) => {
    for (let o = 0; o < outputs; o++) {
      const s = scale ? scale[o] : 1;
      const base = Math.floor(o / IGEMM_NR) * k * IGEMM_NR + (o % IGEMM_NR);
      for (let kk = 0; kk < k; kk++) w[base + kk * IGEMM_NR] = weightAt(kk, o) * s;
    }
  };
  return { w: { floats: blocks * k * IGEMM_NR, write }, bias: foldedBias(outputs, bias, scale, shift) };
}

/**
 * A con layer's filters `[F][C][kh][kw]` as igemm weights with K in (ky, kx, c)
 * order, over the kernel positions (ky * kw + kx) given, all by default.
 */
export function packConvWeights(
  layer: ConLayer,
  scale?: Float32Array,
  shift?: Float32Array,
  positions = allPositions(layer),
): PackedWeights {
  const { inputChannels: c, kernelRows: kh, kernelCols: kw, numFilters: outputs, filters } = layer;
  const k = c * positions.length;
  // Plain loops, not packColumns' per-weight callback: this runs for millions of weights at load time.
  const write = (w: Float32Array) => {
    for (let o = 0; o < outputs; o++) {
      const s = scale ? scale[o] : 1;
      const column = Math.floor(o / IGEMM_NR) * k * IGEMM_NR + (o % IGEMM_NR);
      for (let channel = 0; channel < c; channel++) {
        const source = (o * c + channel) * kh * kw;
        for (let tap = 0; tap < positions.length; tap++) {
          w[column + (tap * c + channel) * IGEMM_NR] = filters[source + positions[tap]] * s;
        }
      }
    }
  };
  return { w: { floats: Math.ceil(outputs / IGEMM_NR) * k * IGEMM_NR, write }, bias: foldedBias(outputs, layer.bias, scale, shift) };
}

/**
 * A con layer's filters as f32_igemm_4x1c4 weights: `[outputs][taps][tapChannels
 * rounded up to 4]`, zero-padded, K in (ky, kx, c) order over `positions`
 * (all by default) as packConvWeights orders it, cut into taps of `tapChannels`.
 */
export function packConvWeightsPerOutput(
  layer: ConLayer,
  tapChannels: number,
  scale?: Float32Array,
  shift?: Float32Array,
  positions = allPositions(layer),
): PackedWeights {
  const { inputChannels: c, kernelRows: kh, kernelCols: kw, numFilters: outputs, filters } = layer;
  const k = c * positions.length;
  const tapFloats = Math.ceil(tapChannels / 4) * 4;
  const outputFloats = (k / tapChannels) * tapFloats;
  const write = (w: Float32Array) => {
    for (let o = 0; o < outputs; o++) {
      const s = scale ? scale[o] : 1;
      for (let kk = 0; kk < k; kk++) {
        const channel = kk % c;
        const position = positions[Math.floor(kk / c)];
        const at = o * outputFloats + Math.floor(kk / tapChannels) * tapFloats + (kk % tapChannels);
        w[at] = filters[(o * c + channel) * kh * kw + position] * s;
      }
    }
  };
  return { w: { floats: outputs * outputFloats, write }, bias: foldedBias(outputs, layer.bias, scale, shift) };
}

const allPositions = (layer: ConLayer) => [...Array(layer.kernelRows * layer.kernelCols).keys()];

/**
 * An fc layer's `[inputs][outputs]` weights as igemm weights. dlib flattens
 * its input in (channel, row, col) order, our NHWC tensors in (row, col,
 * channel) order: the rows are permuted to match.
 */
export function packFcWeights(layer: FcLayer, input: Shape, scale?: Float32Array, shift?: Float32Array): PackedWeights {
  const n = layer.numOutputs;
  const plane = input.h * input.w;
  return packColumns(
    layer.numInputs,
    n,
    (kk, o) => {
      const pixel = Math.floor(kk / input.c);
      const channel = kk % input.c;
      return layer.weights[(channel * plane + pixel) * n + o];
    },
    layer.bias,
    scale,
    shift,
  );
}

/** `[channels][pixels]` (dlib's NCHW: inputs, per-element affine parameters) to `[pixels][channels]` (the engine's NHWC), into `out` (an input goes straight into wasm memory). */
export function planarToPixelMajor(
  values: Float32Array,
  channels: number,
  pixels: number,
  out = new Float32Array(values.length),
): Float32Array {
  if (channels === 3) {
    // An input (megabytes) written in order, a pixel at a time, rather than a channel at a time.
    for (let p = 0, o = 0; p < pixels; p++, o += 3) {
      out[o] = values[p];
      out[o + 1] = values[pixels + p];
      out[o + 2] = values[2 * pixels + p];
    }
    return out;
  }
  for (let c = 0; c < channels; c++) for (let p = 0; p < pixels; p++) out[p * channels + c] = values[c * pixels + p];
  return out;
}
