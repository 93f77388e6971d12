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

/** An indirection's offsets' bytes, known without filling them: a tile of IGEMM_MR pixels has an offset per pixel and tap. */
export function indirectionBytes({ tiles, taps }: Indirection): number {
  return tiles * taps * IGEMM_MR * 4;
}

/**
 * A convolution's indirection. Taps that read padding for every output pixel
 * (all but the centre of a 3x3 kernel over a 1x1 input with padding 1) are
 * left out: they would only add zeros, and their weights need not be read.
 * `positions` are the kernel positions (row * kernelCols + col) whose weights
 * the GEMM runs over, in order.
 */
export interface ConvIndirection extends Indirection {
  positions: number[];
}

export function convIndirection(layer: ConLayer, input: Shape, output: Shape, batch: number): ConvIndirection {
  const { kernelRows: kh, kernelCols: kw, strideY: sy, strideX: sx, padY: py, padX: px } = layer;
  // With no horizontal padding every kernel column of every output lies inside the input.
  const rowTaps = px === 0;
  const liveRows = [...Array(kh).keys()].filter((ky) => reachesInput(ky, output.h, sy, py, input.h));
  const liveCols = rowTaps ? [0] : [...Array(kw).keys()].filter((kx) => reachesInput(kx, output.w, sx, px, input.w));
  const tapRows = liveRows.flatMap((ky) => liveCols.map(() => ky));
  const tapCols = liveRows.flatMap(() => liveCols);
  const taps = tapRows.length;
  const plane = output.h * output.w;
  const pixels = batch * plane;
  const tiles = Math.ceil(pixels / IGEMM_MR);
  const fill = () => {
    const offsets = new Int32Array(tiles * taps * IGEMM_MR);
    // Plain loops: this runs for every pixel and tap (290,000 entries for the face model's first layer in batches of 8).
    for (let p = 0; p < tiles * IGEMM_MR; p++) {
      // A short last tile repeats the last pixel: valid reads, results never stored.
      const q = Math.min(p, pixels - 1);
      const sample = Math.floor(q / plane);
      const oy = Math.floor((q % plane) / output.w);
      const ox = q % output.w;
      const entry = Math.floor(p / IGEMM_MR) * taps * IGEMM_MR + (p % IGEMM_MR);
      for (let t = 0; t < taps; t++) {
        const iy = oy * sy - py + tapRows[t];
        const ix = ox * sx - px + tapCols[t];
        const inside = iy >= 0 && iy < input.h && ix >= 0 && ix < input.w;
        offsets[entry + t * IGEMM_MR] = inside ? ((sample * input.h + iy) * input.w + ix) * input.c * 4 : -1;
      }
    }
    return offsets;
  };
  const positions = tapRows.flatMap((ky, t) => (rowTaps ? [...Array(kw).keys()].map((col) => ky * kw + col) : [ky * kw + tapCols[t]]));
  // Filled when first read: planning an input size (as the engine does to choose band heights) needs only the geometry.
  let offsets: Int32Array | undefined;
  return {
    get offsets() {
      offsets ??= fill();
      return offsets;
    },
    taps,
    tapChannels: rowTaps ? kw * input.c : input.c,
    tiles,
    positions,
  };
}

/** Whether kernel offset k reads inside the input (of `size`) for any of `outputs` positions. */
export function reachesInput(k: number, outputs: number, stride: number, pad: number, size: number): boolean {
  for (let o = 0; o < outputs; o++) {
    const i = o * stride - pad + k;
    if (i >= 0 && i < size) return true;
  }
  return false;
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
