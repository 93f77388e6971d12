import type { ConLayer } from '../../src/index.js';

/** A deterministic pseudo-random sequence in [-1, 1). */
export function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

export const floats = (n: number, next: () => number) => Float32Array.from({ length: n }, next);

export interface ConGeometry {
  inputs: number;
  filters: number;
  size: number;
  stride: number;
  pad: [number, number];
}

/** A con layer of random weights and bias. */
export function randomCon(index: number, g: ConGeometry, next: () => number): ConLayer {
  return {
    kind: 'con',
    index,
    offset: 0,
    numFilters: g.filters,
    inputChannels: g.inputs,
    kernelRows: g.size,
    kernelCols: g.size,
    strideY: g.stride,
    strideX: g.stride,
    padY: g.pad[0],
    padX: g.pad[1],
    filters: floats(g.filters * g.inputs * g.size * g.size, next),
    bias: floats(g.filters, next),
  };
}

export const outputSize = (size: number, kernel: number, stride: number, pad: number) => Math.floor((size + 2 * pad - kernel) / stride) + 1;

/** The convolution, bias included, in double precision; x and the result are `[c][h][w]`, as dlib's tensors. */
export function referenceConv(layer: ConLayer, x: Float32Array, h: number, w: number): Float64Array {
  const { numFilters: k, inputChannels: c, kernelRows: kh, kernelCols: kw, strideY: sy, strideX: sx, padY: py, padX: px } = layer;
  const oh = outputSize(h, kh, sy, py);
  const ow = outputSize(w, kw, sx, px);
  const y = new Float64Array(k * oh * ow);
  for (let f = 0; f < k; f++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let sum = layer.bias![f];
        for (let ch = 0; ch < c; ch++) {
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * sy - py + ky;
              const ix = ox * sx - px + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              sum += x[(ch * h + iy) * w + ix] * layer.filters[((f * c + ch) * kh + ky) * kw + kx];
            }
          }
        }
        y[(f * oh + oy) * ow + ox] = sum;
      }
    }
  }
  return y;
}
