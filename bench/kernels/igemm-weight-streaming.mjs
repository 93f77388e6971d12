// The igemm alone on one GEMM shape, with its weights in cache or streamed
// from memory: `sets` copies of the weights are used in turn, so that from
// some number on they no longer fit the caches and every call reads its
// weights from memory, as in a whole network whose weights outgrow them.
//
//   node bench/kernels/igemm-weight-streaming.mjs M K N G SETS [--relaxed]
//
// M rows (pixels or Winograd tiles), K inputs, N outputs, G GEMMs per call
// (16 for a Winograd layer), SETS copies of the G weight matrices. Prints
// GFLOP/s (median and best of 7 timings). Run `npm run build` first.
import { createKernelMemory, instantiateKernels, loadKernelModule } from '../../dist/engine/kernels.js';

const [M, K, N, G, SETS] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'))
  .map(Number);
if (![M, K, N, G, SETS].every((v) => Number.isInteger(v) && v > 0)) {
  console.error('usage: node bench/kernels/igemm-weight-streaming.mjs M K N G SETS [--relaxed]');
  process.exit(2);
}
const relaxedSimd = process.argv.includes('--relaxed');
const { module } = await loadKernelModule({ relaxedSimd }, false);
const tiles = Math.ceil(M / 4);
const blocks = Math.ceil(N / 8);
const xBytes = M * K * 4;
const wBytes = blocks * K * 32;
const yBytes = M * N * 4;
const indirection = 4096;
const zero = indirection + tiles * 16 + 64;
const bias = zero + K * 4 + 64;
const x = Math.ceil((bias + blocks * 32) / 4096) * 4096;
const w = x + G * xBytes;
const y = w + SETS * G * wBytes;
const memory = createKernelMemory(Math.ceil((y + G * yBytes + 65536) / 65536), false);
const kernels = await instantiateKernels(module, memory);
const floats = new Float32Array(memory.buffer);
for (let i = x / 4; i < y / 4; i++) floats[i] = Math.random();
const offsets = new Int32Array(memory.buffer, indirection, tiles * 4);
for (let p = 0; p < offsets.length; p++) offsets[p] = Math.min(p, M - 1) * K * 4;

let set = 0;
const call = () => {
  set = (set + 1) % SETS;
  kernels.f32_igemm_4x8_batched__simd128(
    x,
    zero,
    indirection,
    1,
    K,
    w + set * G * wBytes,
    bias,
    y,
    N,
    M,
    false,
    G,
    xBytes,
    wBytes,
    yBytes,
    0,
    tiles,
    0,
    blocks,
  );
};
const flops = 2 * M * K * N * G;
const calls = Math.max(3, Math.round(2e9 / flops));
for (let i = 0; i < Math.max(3, SETS); i++) call();
const ms = [];
for (let r = 0; r < 7; r++) {
  const start = performance.now();
  for (let i = 0; i < calls; i++) call();
  ms.push((performance.now() - start) / calls);
}
ms.sort((a, b) => a - b);
const weightsMiB = (SETS * G * wBytes) / 2 ** 20;
console.log(
  `M=${M} K=${K} N=${N} G=${G}, weights ${weightsMiB.toFixed(1)} MiB in turn (${relaxedSimd ? 'relaxed' : 'plain'} SIMD): ` +
    `${(flops / ms[3] / 1e6).toFixed(1)} GFLOP/s (best ${(flops / ms[0] / 1e6).toFixed(1)})`,
);
