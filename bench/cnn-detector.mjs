// npm run bench:cnn [-- --runs 3] [--rounds 1] [--upsample 0] [--threads 1,2] [PHOTO...]
//
// dlib's CNN face detector (mmod_human_face_detector.dat) on photos of
// test/fixtures/photos, dlib native (bench/native/dlib-bench.cpp against
// Debian's dlib and OpenBLAS, one thread) and dlib-wasm side by side in one
// run, each photo and configuration in a process of its own (its peak RSS is
// that photo's). dlib-wasm runs through loadCnnFaceDetector where dist has it;
// otherwise the detector's net with a plain RGB input on an image of the size
// of dlib's tiled pyramid (its convolutions, without the pyramid and the
// detections): the table says which. Medians of `runs` after a warm-up; with
// the best run too (a run can only be slowed down by other processes); with
// `--rounds K`, the whole measurement of a photo (dlib native, then each
// thread count) K times in a row and the median of the rounds (the machine
// may be shared: each ratio compares runs made minutes apart at most).
// dlib native at upsample 1 on the large photos takes gigabytes and minutes.
import { parseArgs } from 'node:util';
import { runChild } from './support/child-process.mjs';
import { measureDlibCnnDetector } from './native/dlib-native.mjs';
import { median } from './support/median.mjs';
import { fixed, formatTable } from './support/table.mjs';

const CHILD = new URL('./dlib-wasm/cnn-detector-child.mjs', import.meta.url).pathname;
const DEFAULT_PHOTOS = ['2008_001322.jpg', '2007_007763.jpg', 'Tom_Cruise_avp_2014_4.jpg', 'dogs.jpg'];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '1' },
    upsample: { type: 'string', default: '0' },
    threads: { type: 'string', default: '1,2' },
  },
});
const runs = Number(values.runs);
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);
const upsample = Number(values.upsample);
const threadCounts = values.threads.split(',').map(Number);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
if (!Number.isInteger(upsample) || upsample < 0) throw new Error(`--upsample must be 0 or more, got ${values.upsample}`);
const photos = positionals.length ? positionals : DEFAULT_PHOTOS;

/** One photo's rounds as one: the median of the medians, the best run, the largest peak RSS. */
function mergeRounds(results) {
  const merged = { ...results[0], ms: median(results.map((r) => r.ms)) };
  for (const r of results) {
    merged.bestMs = Math.min(merged.bestMs, r.bestMs);
    merged.peakRssMiB = Math.max(merged.peakRssMiB, r.peakRssMiB);
  }
  return merged;
}

const rows = [];
let nativeLine = 'dlib native: not measured';
const modes = new Set();
for (const photo of photos) {
  const nativeRounds = [];
  const oursRounds = threadCounts.map(() => []);
  for (let round = 1; round <= rounds; round++) {
    process.stderr.write(`${photo}, round ${round} of ${rounds}: dlib native\n`);
    const native = measureDlibCnnDetector({ photo, upsample, runs });
    if (!native.available) throw new Error(`dlib native not measured: ${native.reason}`);
    nativeLine = `dlib native: dlib ${native.dlib} (Debian), g++ ${native.compiler} ${native.compileFlags}, ${native.openblasConfig}, ${native.openblasThreads} thread`;
    nativeRounds.push(native.photos[0]);
    const tiled = `${native.photos[0].tiledWidth}x${native.photos[0].tiledHeight}`;
    for (const [i, threads] of threadCounts.entries()) {
      process.stderr.write(`${photo}, round ${round} of ${rounds}: dlib-wasm, ${threads} thread(s)\n`);
      oursRounds[i].push(
        await runChild(CHILD, ['--threads', threads, '--runs', runs, '--upsample', upsample, '--photo', photo, '--tiled', tiled]),
      );
    }
  }
  const theirs = mergeRounds(nativeRounds);
  const tiled = `${theirs.tiledWidth}x${theirs.tiledHeight}`;
  const ours = oursRounds.map(mergeRounds);
  for (const [i, row] of ours.entries()) {
    modes.add(row.mode);
    if (row.threads !== threadCounts[i]) throw new Error(`dlib-wasm ran ${row.threads} thread(s) where ${threadCounts[i]} were asked`);
  }
  rows.push([
    photo,
    `${theirs.width}x${theirs.height}`,
    tiled,
    theirs.faces,
    `${fixed(theirs.ms, 0)} / ${fixed(theirs.bestMs, 0)}`,
    fixed(theirs.peakRssMiB, 0),
    ...ours.flatMap((row) => [
      `${fixed(row.ms, 1)} / ${fixed(row.bestMs, 1)}`,
      fixed(row.peakRssMiB, 0),
      `${fixed(theirs.ms / row.ms, 1)}x / ${fixed(theirs.bestMs / row.bestMs, 1)}x`,
    ]),
    ours.length > 1 ? `${fixed(ours[0].ms / ours[1].ms, 2)}x / ${fixed(ours[0].bestMs / ours[1].bestMs, 2)}x` : '-',
  ]);
}
console.log(
  formatTable(
    `CNN face detector, upsample ${upsample}, medians of ${runs} runs after a warm-up (median of ${rounds} interleaved rounds); ${nativeLine};\n` +
      `dlib-wasm: ${[...modes].join(', ')}; ms: median / best run; "x native": dlib native ms over dlib-wasm ms (>1: dlib-wasm is faster)`,
    [
      'photo',
      'size',
      'tiled pyramid',
      'faces',
      'native ms',
      'native MiB',
      ...threadCounts.flatMap((t) => [`wasm ${t}T ms`, `${t}T MiB`, `${t}T x native`]),
      threadCounts.length > 1 ? `${threadCounts[0]}T/${threadCounts[1]}T` : '-',
    ],
    rows,
  ),
);
