// Child: an onnxruntime engine on the face model as dlib-wasm's exportOnnx
// writes it, alone in its process so that its cold start and peak RSS are its
// own. `--engine web|node --threads T --batch B`: onnxruntime-web's wasm
// backend (SIMD, its threads on worker_threads) or onnxruntime-node's native
// CPU provider. Cold start = ONNX bytes -> session -> first descriptor (the
// export from the .dat is the caller's preparation, like reading the file).
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readDlibNetwork } from '../../dist/index.js';
import { exportOnnx } from '../../dist/onnx/index.js';
import { readModelBytes } from '../dlib-wasm/model-bytes.mjs';
import { loadChips } from '../support/chips.mjs';
import { reportToParent } from '../support/child-process.mjs';
import { measureLatency } from '../support/latency.mjs';
import { peakRssMiB } from '../support/peak-rss.mjs';

const { values } = parseArgs({ options: { engine: { type: 'string' }, threads: { type: 'string' }, batch: { type: 'string' } } });
const threads = Number(values.threads);
const batch = Number(values.batch);
const { model } = exportOnnx(readDlibNetwork(readModelBytes()));
const chips = loadChips(batch);
const osThreads = () => readdirSync('/proc/self/task');
/** CPU time (clock ticks) of each of the process's threads, by thread id: utime + stime of /proc/self/task/<id>/stat. */
function cpuTicksByThread() {
  const ticks = new Map();
  for (const id of osThreads()) {
    const stat = readFileSync(`/proc/self/task/${id}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks.set(id, Number(fields[11]) + Number(fields[12]));
  }
  return ticks;
}

/** The chips as the exported graph takes them: float32 batch x 3 x 150 x 150, RGB 0-255. */
function inputTensor(ort, count) {
  const plane = 150 * 150;
  const data = new Float32Array(count * 3 * plane);
  for (let n = 0; n < count; n++) {
    const rgba = chips[n].data;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) data[(n * 3 + c) * plane + p] = rgba[4 * p + c];
    }
  }
  return new ort.Tensor('float32', data, [count, 3, 150, 150]);
}

const threadsBefore = new Set(osThreads());
const importStart = performance.now();
const ort = values.engine === 'web' ? await import('onnxruntime-web') : await import('onnxruntime-node');
const sessionStart = performance.now();
let sessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1 };
if (values.engine === 'web') {
  // onnxruntime-web reads its thread count from env, not from the session options; it
  // lowers env.wasm.numThreads to 1 where it finds no worker/SharedArrayBuffer support.
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  sessionOptions = { executionProviders: ['wasm'] };
}
const session = await ort.InferenceSession.create(model, sessionOptions);
const created = performance.now();
const first = inputTensor(ort, 1);
await session.run({ input: first });
const done = performance.now();

const input = inputTensor(ort, batch);
const ticksBefore = cpuTicksByThread();
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
let output;
const latency = await measureLatency(async () => {
  output = await session.run({ input });
});
const cpu = process.cpuUsage(cpuBefore);
const cpuPerWall = (cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore);
// The check that a thread count is real whatever the load: the share of the timed runs' CPU
// time spent on threads the engine started (about half of it when 2 threads share the work).
const ticksAfter = cpuTicksByThread();
let startedThreadsTicks = 0;
let allTicks = 0;
for (const [id, ticks] of ticksAfter) {
  const spent = ticks - (ticksBefore.get(id) ?? 0);
  allTicks += spent;
  if (!threadsBefore.has(id)) startedThreadsTicks += spent;
}
const [descriptors] = Object.values(output);

reportToParent({
  engine: values.engine === 'web' ? `onnxruntime-web ${ort.env.versions.web}` : `onnxruntime-node ${ort.env.versions.node}`,
  threadsRequested: threads,
  // What the engine says it runs on, and what the process shows: the OS threads it started and the CPU it kept busy.
  threadsReported: values.engine === 'web' ? ort.env.wasm.numThreads : threads,
  osThreadsStarted: osThreads().filter((id) => !threadsBefore.has(id)).length,
  startedThreadsCpuShare: allTicks ? startedThreadsTicks / allTicks : 0,
  cpuPerWall,
  simd: values.engine === 'web' ? ort.env.wasm.simd : undefined,
  batch,
  msPerFace: latency.medianMs / batch,
  madMsPerFace: latency.madMs / batch,
  samples: latency.samples,
  coldStart: { importMs: sessionStart - importStart, sessionMs: created - sessionStart, bytesToDescriptorMs: done - sessionStart },
  peakRssMiB: peakRssMiB(),
  descriptors: Array.from({ length: Math.min(batch, 8) }, (_, n) => Array.from(descriptors.data.slice(128 * n, 128 * (n + 1)))),
});
