import type { ConLayer } from '../dlib/network-description.js';
import type { Shape } from './graph.js';
import { IGEMM_MR } from './pack-weights.js';

/**
 * The indirection buffer of an igemm convolution: for each output pixel (in
 * tiles of IGEMM_MR) and each tap, the byte offset of the input row it reads,
 * relative to the input tensor, or -1 for padding. A tap is one kernel
 * position (C floats), or a whole kernel row (kw*C contiguous floats of NHWC
 * input) where no column can fall in the padding, which saves pointer loads.
 */
export interface Indirection {
  offsets: Int32Array;
  taps: number;
  tapChannels: number;
  tiles: number;
}

export function convIndirection(layer: ConLayer, input: Shape, output: Shape, batch: number): Indirection {
  const { kernelRows: kh, kernelCols: kw, strideY: sy, strideX: sx, padY: py, padX: px } = layer;
  // With no horizontal padding every kernel column of every output lies inside the input.
  const rowTaps = px === 0;
  const taps = rowTaps ? kh : kh * kw;
  const plane = output.h * output.w;
  const pixels = batch * plane;
  const tiles = Math.ceil(pixels / IGEMM_MR);
  const offsets = new Int32Array(tiles * taps * IGEMM_MR);
  for (let p = 0; p < tiles * IGEMM_MR; p++) {
    // A short last tile repeats the last pixel: valid reads, results never stored.
    const q = Math.min(p, pixels - 1);
    const sample = Math.floor(q / plane);
    const oy = Math.floor((q % plane) / output.w);
    const ox = q % output.w;
    const tile = Math.floor(p / IGEMM_MR);
    for (let t = 0; t < taps; t++) {
      const ky = rowTaps ? t : Math.floor(t / kw);
      const kx = rowTaps ? 0 : t % kw;
      const iy = oy * sy - py + ky;
      const ix = ox * sx - px + kx;
      const inside = iy >= 0 && iy < input.h && ix >= 0 && ix < input.w;
      offsets[(tile * taps + t) * IGEMM_MR + (p % IGEMM_MR)] = inside ? ((sample * input.h + iy) * input.w + ix) * input.c * 4 : -1;
    }
  }
  return { offsets, taps, tapChannels: rowTaps ? kw * input.c : input.c, tiles };
}

/**
 * A one-tap igemm over the rows of a matrix, `rowFloats` apart, of which it
 * reads the first `columns` floats: a fully connected layer's samples, or a
 * Winograd convolution's tiles in the transform domain.
 */
export function matrixIndirection(rows: number, rowFloats: number, columns: number): Indirection {
  const tiles = Math.ceil(rows / IGEMM_MR);
  const offsets = new Int32Array(tiles * IGEMM_MR);
  for (let p = 0; p < offsets.length; p++) offsets[p] = Math.min(p, rows - 1) * rowFloats * 4;
  return { offsets, taps: 1, tapChannels: columns, tiles };
}
