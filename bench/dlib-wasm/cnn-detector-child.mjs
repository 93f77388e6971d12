// Child: dlib-wasm's CNN face detector on one photo, `--threads T --runs R
// --upsample U --photo FILE --tiled WxH [--dist DIR]`: with loadCnnFaceDetector where dist
// (this checkout's, or DIR: another build's, for before/after runs) has it (the photo decoded, `detect(image, { upsample })`), otherwise the
// detector's net with a plain RGB input on an image of the tiled pyramid's
// size (WxH, as dlib native reports it). Reports the median and best ms of R
// runs after a warm-up (see WARMUP_MS), the faces (detector only), the threads used and the peak RSS.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { reportToParent } from '../support/child-process.mjs';
import { median } from '../support/median.mjs';
import { peakRssMiB } from '../support/peak-rss.mjs';
import { loadPlainInputDetector, syntheticImage } from './plain-input-detector.mjs';

const { values } = parseArgs({
  options: {
    threads: { type: 'string' },
    runs: { type: 'string' },
    upsample: { type: 'string' },
    photo: { type: 'string' },
    tiled: { type: 'string' },
    dist: { type: 'string' },
  },
});
const dist = values.dist ? pathToFileURL(`${resolve(values.dist)}/`) : new URL('../../dist/', import.meta.url);
const dlibWasm = await import(new URL('index.js', dist).href);
const threads = Number(values.threads);
const runs = Number(values.runs);
const upsample = Number(values.upsample);

/**
 * Warm-up: at least this many runs and this long. V8 runs a wasm function as
 * Liftoff's baseline code until it has been hot for a while and TurboFan's
 * code is ready (measured: the 2nd to 4th runs 1.2-1.7x slower than later ones).
 */
const WARMUP_RUNS = 3;
const WARMUP_MS = 2000;

async function timed(step) {
  const warmupStart = performance.now();
  for (let run = 0; run < WARMUP_RUNS || performance.now() - warmupStart < WARMUP_MS; run++) await step();
  const times = [];
  let result;
  const cpuStart = process.cpuUsage();
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    result = await step();
    times.push(performance.now() - start);
  }
  // The process's CPU time (every thread's) a run, on average.
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000 / runs;
  return { ms: median(times), bestMs: times.reduce((best, ms) => Math.min(best, ms)), cpuMs, result };
}

if (typeof dlibWasm.loadCnnFaceDetector === 'function') {
  // This checkout's decoder whatever the build timed: decoding is outside the timed calls, and a copy of
  // another build's dist/ need not find the decoder's package.
  const { decodeImage } = await import('../../dist/cli/decode-image.js');
  const image = await decodeImage(readFileSync(new URL(`../../test/fixtures/photos/${values.photo}`, import.meta.url)));
  const model = readFileSync(new URL('../../test/fixtures/dlib-models/mmod_human_face_detector.dat', import.meta.url));
  const detector = await dlibWasm.loadCnnFaceDetector(model, { threads });
  const { ms, bestMs, cpuMs, result } = await timed(() => detector.detectFaces(image, { upsample }));
  reportToParent({
    mode: 'loadCnnFaceDetector',
    threads: detector.threads,
    ms,
    bestMs,
    cpuMs,
    faces: result.length,
    peakRssMiB: peakRssMiB(),
  });
} else if (values.dist) {
  throw new Error(`${values.dist} has no loadCnnFaceDetector: --dist is for builds that have it`);
} else {
  const [width, height] = values.tiled.split('x').map(Number);
  const network = await loadPlainInputDetector('mmod_human_face_detector', { threads, batchSize: 1 });
  const image = syntheticImage(width, height);
  const { ms, bestMs } = await timed(() => network.run([image]));
  reportToParent({ mode: `plain-input net on ${width}x${height}`, threads: network.backend.threads, ms, bestMs, peakRssMiB: peakRssMiB() });
}
