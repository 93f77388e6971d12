// node bench/hog-stages.mjs [--threads N] [--runs R] [--upsample U] [photos...]
// Where the HOG detector's time goes, stage by stage, on the bench photos
// (upsampled once by default, as the pipeline bench detects): each kernel's
// calls timed on the calling thread (the whole call, threads included), the
// fHOG features by phase, and what is left (thresholding the scores, non-max
// suppression, tables) as "scores to faces". Medians over runs after a warm-up.
// On 1 thread the clock is the process's CPU time (user + system), which a
// loaded machine disturbs far less than wall time; with threads, wall time.
// The correlations' work is counted as multiply-adds actually issued.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { decodeImage } from '../dist/cli/decode-image.js';
import { loadFrontalFaceDetector } from '../dist/index.js';
import { median } from './support/median.mjs';
import { fixed, formatTable } from './support/table.mjs';

const root = new URL('../', import.meta.url);
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    threads: { type: 'string', default: '1' },
    runs: { type: 'string', default: '5' },
    upsample: { type: 'string', default: '1' },
  },
});
const photos = positionals.length ? positionals : ['sample1.jpg', 'sample5.jpg', 'bald_guys.jpg'];
const runs = Number(values.runs);
const upsample = Number(values.upsample);
const detector = await loadFrontalFaceDetector(await readFile(new URL('models/frontal_face_detector.dat', root)), {
  threads: Number(values.threads),
});

const FEATURE_PHASES = ['fhog energies', 'fhog block norms', 'fhog features', 'fhog padding'];
const STAGE_OF = {
  u8_rgb_to_planar__simd128: () => 'to planes',
  u8_planar_resize_bilinear__simd128: (_args, call) => (call.level < upsample ? 'upsample' : 'pyramid levels'),
  f32_fhog_cells__simd128: () => 'fhog cells',
  f32_fhog_features__simd128: (args) => FEATURE_PHASES[args[15]],
  f32_correlate_rows__simd128: () => 'correlate rows',
  f32_correlate_columns__simd128: () => 'correlate columns',
  f32_correlate_2d__simd128: () => 'correlate 2-D',
  f32_correlate_bank__simd128: () => 'correlations (bank)',
  f32_correlate_fft_bank__simd128: () => 'correlations (FFT tiles)',
};
// The multiply-adds a call issues over its rows, from its arguments (columns * taps).
const MACS_OF = {
  f32_correlate_rows__simd128: (a) => (a[7] - a[6]) * a[4] * (a[9] - a[8]),
  f32_correlate_columns__simd128: (a) => (a[8] - a[7]) * a[4] * (a[10] - a[9]),
  f32_correlate_2d__simd128: (a) => (a[10] - a[9]) * a[4] * a[5] * (a[12] - a[11]),
  // All steps (rank-1: rows then columns) over every output cell, whatever the strips.
  f32_correlate_bank__simd128: (a) => {
    const memory = new Int32Array(runtime.memory.buffer, a[0], a[1] * 6);
    let perCell = 0;
    for (let k = 0; k < a[1]; k++) perCell += memory[k * 6 + 3] ? a[3] * a[4] : a[3] + a[4];
    return perCell * (a[10] - a[9]) * (a[12] - a[11]);
  },
};

// The detector's kernels, each call timed: a wrapper object over the module's exports.
const threads = detector.threads;
const cpuClock = threads === 1;
const now = cpuClock
  ? () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    }
  : () => performance.now();
const runtime = detector.runtime;
const exports = runtime.kernels;
let ms = {};
let macs = {};
const call = { level: 0 };
const wrapped = {};
for (const name of Object.keys(STAGE_OF)) {
  wrapped[name] = (...args) => {
    const stage = STAGE_OF[name](args, call);
    if (name === 'u8_planar_resize_bilinear__simd128') call.level++;
    const start = now();
    exports[name](...args);
    ms[stage] = (ms[stage] ?? 0) + now() - start;
    if (MACS_OF[name]) macs[stage] = (macs[stage] ?? 0) + MACS_OF[name](args);
  };
}
runtime.kernels = { ...exports, ...wrapped };

const rows = [];
for (const photo of photos) {
  const image = await decodeImage(await readFile(new URL(`test/fixtures/photos/${photo}`, root)));
  const perStage = {};
  let faces = 0;
  let workMacs = {};
  for (let r = 0; r <= runs; r++) {
    ms = {};
    macs = {};
    call.level = 0;
    const start = now();
    faces = detector.detectFaces(image, { upsample }).length;
    const total = now() - start;
    if (r === 0) continue; // warm-up
    const kernelMs = Object.values(ms).reduce((sum, t) => sum + t, 0);
    ms['scores to faces (JS)'] = total - kernelMs;
    ms.total = total;
    for (const [stage, t] of Object.entries(ms)) {
      perStage[stage] ??= [];
      perStage[stage].push(t);
    }
    workMacs = macs;
  }
  for (const [stage, times] of Object.entries(perStage)) {
    const t = median(times);
    const gflops = workMacs[stage] ? (2 * workMacs[stage]) / (t * 1e6) : undefined;
    rows.push([photo, faces, stage, fixed(t, 1), workMacs[stage] ? fixed(workMacs[stage] / 1e6, 0) : '-', gflops ? fixed(gflops, 1) : '-']);
  }
}
detector.dispose();
console.log(
  formatTable(
    `HOG detector stages, upsample ${upsample}, ${threads} thread(s) requested ${values.threads}, medians of ${runs} runs after a warm-up, ${cpuClock ? 'CPU' : 'wall'} ms`,
    ['photo', 'faces', 'stage', 'ms', 'M multiply-adds', 'GFLOP/s'],
    rows,
  ),
);
