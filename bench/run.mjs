// The benchmark suite: `npm run bench` (builds first). Prints a table per
// section and writes every number to bench/results/latest.json. Each
// measurement runs in a child process of its own (support/child-process.mjs);
// sections 2, 3 and 5 run in interleaved rounds (rounds.mjs); the run ends
// by saying how much CPU other processes took meanwhile
// (support/foreign-cpu.mjs). Timing never goes in the tests.
//
//  1. the machine's WebAssembly SIMD peak, plain and relaxed (peak/)
//  2. dlib-wasm per layer shape, against that peak (dlib-wasm/layer-profile-child.mjs)
//  3. dlib-wasm ms/face at batch 1, 8, 32 for 1 and 2 threads (dlib-wasm/ms-per-face-child.mjs)
//  4. cold start (model bytes -> first descriptor) and peak RSS (cold-start.mjs)
//  5. the peer, face-api on tfjs-wasm, in the same run, and ours/peer (face-api/, compare-engines.mjs)
//
// Two more benches put other engines in the same tables as dlib-wasm: `npm run bench:peers`
// (peers.mjs: onnxruntime-web, onnxruntime-node, face-api and dlib native, ms/face, cold start,
// peak RSS) and `npm run bench:native` (pipeline.mjs: the face pipeline stage by stage next to
// dlib native, built and run on this machine by native/dlib-native.mjs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { measureColdStarts } from './cold-start.mjs';
import { compareEngines } from './compare-engines.mjs';
import { COLD_START_CHILD as DLIB_WASM_COLD_START, measureLayerProfiles, measureMsPerFace } from './dlib-wasm/measure-dlib-wasm.mjs';
import { COLD_START_CHILD as FACE_API_COLD_START, measureFaceApi } from './face-api/measure-face-api.mjs';
import { measurePeak } from './peak/measure-peak.mjs';
import { mergeRounds } from './rounds.mjs';
import {
  dlibWasmRow,
  faceApiRow,
  formatColdStarts,
  formatConvLayers,
  formatComparison,
  formatForeignCpu,
  formatHeader,
  formatLayerProfiles,
  formatMsPerFace,
  formatPeak,
} from './report.mjs';
import { runChild } from './support/child-process.mjs';
import { startForeignCpuMeter } from './support/foreign-cpu.mjs';
import { describeMachine } from './support/machine.mjs';
import { describeSourceRevision } from './support/source-revision.mjs';

const THREAD_COUNTS = [1, 2];
const BATCHES = [1, 8, 32];
const PEER_BATCHES = [1, 8];
/** The engine's default batch size: the one the layer profile is taken at. */
const PROFILE_BATCH = 8;
const COLD_START_PROCESSES = 5;
/** Odd, so that the median round is one of them. */
const ROUNDS = 3;
const RESULTS_DIR = new URL('./results/', import.meta.url);
const IDLE_NODE_CHILD = new URL('./support/idle-node-child.mjs', import.meta.url).pathname;

// Descriptors were sent back only to compare the engines; the JSON keeps the distances.
const withoutDescriptors = (rows) => rows.map(({ descriptors, ...row }) => row);

const startedAt = new Date();
const stopForeignCpuMeter = startForeignCpuMeter();
const results = {
  command: process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : `node ${relative(process.cwd(), process.argv[1])}`,
  startedAt: startedAt.toISOString(),
  machine: describeMachine(),
  source: describeSourceRevision(),
};
console.log(formatHeader(results));

results.peak = await measurePeak();
console.log(`\n${formatPeak(results.peak)}`);

// Sections 2, 3 and 5 are measured round by round (see rounds.mjs).
const profileTotalMs = (profile) => profile.shapes.reduce((sum, shape) => sum + shape.ms, 0);
const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  process.stderr.write(`round ${round + 1} of ${ROUNDS}: layer profiles, dlib-wasm ms/face, face-api ms/face\n`);
  rounds.push({
    layerProfiles: await measureLayerProfiles(THREAD_COUNTS, PROFILE_BATCH),
    dlibWasmMsPerFace: await measureMsPerFace(THREAD_COUNTS, BATCHES),
    faceApiMsPerFace: await measureFaceApi(THREAD_COUNTS, PEER_BATCHES),
  });
}
const medianRound = (section, timeOf) =>
  mergeRounds(
    rounds.map((round) => round[section]),
    timeOf,
  );
results.layerProfiles = medianRound('layerProfiles', profileTotalMs);
const dlibWasmMsPerFace = medianRound('dlibWasmMsPerFace', (row) => row.msPerFace);
const faceApiMsPerFace = medianRound('faceApiMsPerFace', (row) => row.msPerFace);

console.log(`\n${formatLayerProfiles(results.layerProfiles, results.peak)}`);
console.log(`\n${formatConvLayers(results.layerProfiles, results.peak)}`);
const { multiplyAddsPerFace } = dlibWasmMsPerFace.find((row) => !row.skipped);
console.log(
  `\n${formatMsPerFace(
    `dlib-wasm ms/face, median after warm-up, median of ${ROUNDS} rounds. eff. GFLOP/s counts dlib's direct convolutions ` +
      `(${(multiplyAddsPerFace / 1e6).toFixed(1)} M multiply-adds/face) whatever algorithm runs, so Winograd can pass the peak (of as many cores as threads used)`,
    dlibWasmMsPerFace.map(dlibWasmRow),
    { peak: results.peak, multiplyAddsPerFace },
  )}`,
);
const { versions } = faceApiMsPerFace[0];
console.log(
  `\n${formatMsPerFace(
    `face-api ${versions.faceApi} faceRecognitionNet on tfjs-wasm ${versions.tfjsBackendWasm} SIMD, median of ${ROUNDS} rounds ` +
      '(the same network: eff. GFLOP/s from the same multiply-add count)',
    faceApiMsPerFace.map(faceApiRow),
    { peak: results.peak, multiplyAddsPerFace },
  )}`,
);

const coldStarts = {
  dlibWasmDefaults: await measureColdStarts(DLIB_WASM_COLD_START, [], COLD_START_PROCESSES),
  dlibWasmOneThread: await measureColdStarts(DLIB_WASM_COLD_START, ['--threads', 1], COLD_START_PROCESSES),
  faceApi: await measureColdStarts(FACE_API_COLD_START, [], COLD_START_PROCESSES),
};
const idleNode = await runChild(IDLE_NODE_CHILD);
console.log(`\n${formatColdStarts(coldStarts, idleNode.peakRssMiB)}`);

const comparison = compareEngines({ dlibWasmMsPerFace, faceApiMsPerFace, coldStarts });
console.log(`\n${formatComparison(comparison)}`);

Object.assign(results, {
  msPerFace: { multiplyAddsPerFace, dlibWasm: withoutDescriptors(dlibWasmMsPerFace), faceApi: withoutDescriptors(faceApiMsPerFace) },
  coldStarts,
  memory: {
    method:
      'peak RSS = process.resourceUsage().maxRSS (getrusage ru_maxrss, the high-water mark of resident memory) of each child process at its end, Node itself included',
    idleNodePeakRssMiB: idleNode.peakRssMiB,
  },
  comparison,
  foreignCpu: stopForeignCpuMeter(),
  durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
});
console.log(`\n${formatForeignCpu(results.foreignCpu)}`);
mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(new URL('latest.json', RESULTS_DIR), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\n${results.durationSeconds.toFixed(0)} s; every number in bench/results/latest.json`);
