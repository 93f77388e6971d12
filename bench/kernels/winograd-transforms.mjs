// The Winograd input and output transforms alone (f32_winograd_input_nhwc,
// f32_winograd_output_nhwc), in passes of 16 tiles as f32_winograd_nhwc runs
// them, on one layer's shape:
//
//   node bench/kernels/winograd-transforms.mjs [--relaxed] [--case 5x5|5x5-6x6|stride2] [--dist DIR]
//
// 5x5: the face detector's 45-channel 5x5 layers (F(4x4, 5x5), 173x62 outputs;
// 5x5-6x6 as F(6x6, 5x5)); stride2: its 16 -> 32 channel 5x5 stride-2 layer
// (F(6x6, 3x3) over the space to depth of a 701x259 input). Prints ms per
// layer's transforms and their GFLOP/s (the vector operations of the
// transforms' factorized Bᵀ and Aᵀ, with relaxed SIMD: 26 or 40 per 8 or 10
// values in, 16, 22 or 33 per 4, 6 or 6 out).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    relaxed: { type: 'boolean', default: false },
    case: { type: 'string', default: '5x5' },
    dist: { type: 'string', default: 'dist' },
  },
});
const { createKernelMemory, instantiateKernels, loadKernelModule } = await import(
  pathToFileURL(resolve(values.dist, 'engine/kernels.js')).href
);
const CASES = {
  '5x5': { tile: 4, fold: 1, h: 173, w: 62, c: 45, k: 45, pad: 2, r: 5 },
  '5x5-6x6': { tile: 6, fold: 1, h: 173, w: 62, c: 45, k: 45, pad: 2, r: 5 },
  stride2: { tile: 6, fold: 2, h: 701, w: 259, c: 16, k: 32, pad: 0, r: 3 },
};
const s = CASES[values.case];
const alpha = s.tile + s.r - 1;
const positions = alpha * alpha;
const inH = Math.ceil(s.h / s.fold);
const inW = Math.ceil(s.w / s.fold);
const outH = inH + 2 * s.pad - s.r + 1;
const outW = inW + 2 * s.pad - s.r + 1;
const tilesY = Math.ceil(outH / s.tile);
const tilesX = Math.ceil(outW / s.tile);
const tiles = tilesY * tilesX;
const vRowBytes = Math.ceil((s.fold * s.fold * s.c) / 4) * 16;
const mRowBytes = Math.ceil(s.k / 4) * 16;
const PASS = 16;
const odd = (bytes) => Math.ceil(bytes / 128) * 128 + 64;
const vMatrixBytes = odd(PASS * vRowBytes);
const mMatrixBytes = odd(PASS * mRowBytes);
const { module } = await loadKernelModule({ relaxedSimd: values.relaxed }, false);
const zero = 4096;
const bias = zero + 4096;
const x = 16384;
const xBytes = s.h * s.w * s.c * 4;
const v = Math.ceil((x + xBytes) / 4096) * 4096;
const m = v + positions * vMatrixBytes + 4096;
const y = m + positions * mMatrixBytes + 4096;
const yBytes = outH * outW * s.k * 4;
const memory = createKernelMemory(Math.ceil((y + yBytes + 65536) / 65536), false);
const kernels = await instantiateKernels(module, memory);
const floats = new Float32Array(memory.buffer);
for (let i = x / 4; i < (x + xBytes) / 4; i++) floats[i] = Math.random();
for (let i = m / 4; i < (m + positions * mMatrixBytes) / 4; i++) floats[i] = Math.random();

const input = () => {
  for (let t = 0; t < tiles; t += PASS) {
    const end = Math.min(t + PASS, tiles);
    kernels.f32_winograd_input_nhwc__simd128(
      alpha,
      s.tile,
      s.fold,
      x,
      zero,
      s.h,
      s.w,
      s.c,
      s.pad,
      s.pad,
      tilesY,
      tilesX,
      v - t * vRowBytes,
      vMatrixBytes,
      t,
      end,
    );
  }
};
const output = () => {
  for (let t = 0; t < tiles; t += PASS) {
    const end = Math.min(t + PASS, tiles);
    kernels.f32_winograd_output_nhwc__simd128(
      alpha,
      s.tile,
      m - t * mRowBytes,
      mMatrixBytes,
      bias,
      s.k,
      outH,
      outW,
      tilesY,
      tilesX,
      y,
      true,
      t,
      end,
    );
  }
};
const time = (f) => {
  for (let i = 0; i < 20; i++) f();
  const ms = [];
  for (let r = 0; r < 15; r++) {
    const start = performance.now();
    for (let i = 0; i < 5; i++) f();
    ms.push((performance.now() - start) / 5);
  }
  ms.sort((a, b) => a - b);
  return ms;
};
// Vector operations: the input transform applies Bᵀ to 2 alpha columns/rows of alpha values per vector of channels,
// the output one Aᵀ to alpha + tile of them.
const inputOps = { 10: 40, 8: 26, 6: 14 }[alpha];
const outputOps = { '10,6': 33, '8,4': 16, '8,6': 22, '6,4': 12, '6,2': 6 }[`${alpha},${s.tile}`];
const inFlops = tiles * 2 * alpha * inputOps * (vRowBytes / 16) * 4;
const outFlops = tiles * (alpha + s.tile) * outputOps * (mRowBytes / 16) * 4;
for (const [name, f, flops] of [
  ['input', input, inFlops],
  ['output', output, outFlops],
]) {
  const ms = time(f);
  console.log(
    `${values.case} ${name} transform (${values.relaxed ? 'relaxed' : 'plain'} SIMD, ${tiles} tiles): ${ms[0].toFixed(3)} ms least, ${ms[7].toFixed(3)} median; ${(flops / ms[0] / 1e6).toFixed(1)} GFLOP/s`,
  );
}
