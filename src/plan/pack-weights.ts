import type { ConLayer, FcLayer } from '../dlib/network-description.js';

/** Rows per block of the GEMM microkernel's packed A matrix. */
export const GEMM_MR = 4;
/** Output padding of the fc kernel's weight rows (one SIMD vector). */
export const FC_NR = 4;

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** Packed conv weights: the GEMM's A in `[M/MR][K][MR]` blocks, and one bias per padded row. */
export interface PackedGemm {
  a: Float32Array;
  bias: Float32Array;
}

/**
 * Packs a con layer's filters `[F][C][kh][kw]` as the A matrix (F x C*kh*kw)
 * of the im2col GEMM, with an optional per-filter scale and shift folded in:
 * W' = W*scale, b' = b*scale + shift.
 */
export function packConvWeights(layer: ConLayer, scale?: Float32Array, shift?: Float32Array): PackedGemm {
  const m = layer.numFilters;
  const k = layer.inputChannels * layer.kernelRows * layer.kernelCols;
  const mPadded = roundUp(m, GEMM_MR);
  const a = new Float32Array(mPadded * k);
  const bias = new Float32Array(mPadded);
  for (let o = 0; o < m; o++) {
    const s = scale ? scale[o] : 1;
    const block = Math.floor(o / GEMM_MR) * k * GEMM_MR;
    const lane = o % GEMM_MR;
    for (let kk = 0; kk < k; kk++) a[block + kk * GEMM_MR + lane] = layer.filters[o * k + kk] * s;
    bias[o] = (layer.bias ? layer.bias[o] : 0) * s + (shift ? shift[o] : 0);
  }
  return { a, bias };
}

/** Packed fc weights: `[inputs][ldw]` rows padded to FC_NR, and ldw biases. */
export interface PackedFc {
  w: Float32Array;
  bias: Float32Array;
  ldw: number;
}

export function packFcWeights(layer: FcLayer, scale?: Float32Array, shift?: Float32Array): PackedFc {
  const n = layer.numOutputs;
  const ldw = roundUp(n, FC_NR);
  const w = new Float32Array(layer.numInputs * ldw);
  const bias = new Float32Array(ldw);
  for (let i = 0; i < layer.numInputs; i++) {
    for (let j = 0; j < n; j++) w[i * ldw + j] = layer.weights[i * n + j] * (scale ? scale[j] : 1);
  }
  for (let j = 0; j < n; j++) bias[j] = (layer.bias ? layer.bias[j] : 0) * (scale ? scale[j] : 1) + (shift ? shift[j] : 0);
  return { w, bias, ldw };
}
