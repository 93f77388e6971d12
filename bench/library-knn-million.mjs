// `dlib-wasm people` at library scale: the nearest-neighbour graph (k = 32 under 0.6) by cells
// (what `people` runs past EXACT_SEARCH_MOST faces) and chinese whispers, on descriptors made from
// dlib's descriptors of LFW (bench/support/lfw-synthetic-faces.mjs: new people between real ones,
// log-normal faces per person, median 6, mean 10).
//
//   npm run build && node bench/library-knn-million.mjs [sizes, default 100000,1000000] [--threads 2] [--exact-max 100000]
//   node bench/library-knn-million.mjs --check-lfw   (the synthetic people against LFW's, see lfw-synthetic-faces.mjs)
//
// Each size runs in a child process of its own (its peak RSS is its own): the search by cells, then,
// up to --exact-max faces, the exact search for the cells' edge recall and the labels' agreement
// (adjusted Rand index, and the share of faces whose cluster is the exact one, member for member);
// at every size, the recall of the k nearest of 1,000 faces (sampledListRecall).
// Prints a line of JSON per size, with the load average and the other processes' share of the CPU.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { chineseWhispersOnEdges } from '../dist/face/chinese-whispers.js';
import { DescriptorBlocks } from '../dist/face/descriptor-blocks.js';
import { nearestNeighbours, neighbourGraph } from '../dist/face/nearest-neighbours.js';
import { startForeignCpuMeter } from './support/foreign-cpu.mjs';
import { checkAgainstLfw, libraryFaceCounts, lfwModel, syntheticPeople } from './support/lfw-synthetic-faces.mjs';
import { describeMachine } from './support/machine.mjs';
import { peakRssMiB } from './support/peak-rss.mjs';
import { describeSourceRevision } from './support/source-revision.mjs';

const THRESHOLD = 0.6;
const K = 32;

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const threads = Number(option('--threads', 2));
const exactMax = Number(option('--exact-max', 100000));
const child = option('--child', undefined);
const cellSearch = option('--cell-search', undefined);
const valued = ['--threads', '--exact-max', '--child', '--cell-search'].map((name) => args.indexOf(name) + 1).filter((at) => at > 0);
const sizes = (args.find((a, i) => !a.startsWith('--') && !valued.includes(i)) ?? '100000,1000000').split(',').map(Number);

/** Each unordered edge (not the loops) as one number. */
function edgeKeys(graph, count) {
  const keys = new Set();
  for (let e = 0; e < graph.count; e++) if (graph.first[e] !== graph.second[e]) keys.add(graph.first[e] * count + graph.second[e]);
  return keys;
}

/** Adjusted Rand index of two labellings, and the share of faces whose cluster is the same set in both. */
function agreement(a, b) {
  const choose2 = (n) => (n * (n - 1)) / 2;
  const joint = new Map();
  const sizesA = new Map();
  const sizesB = new Map();
  for (let i = 0; i < a.length; i++) {
    const key = a[i] * 2 ** 24 + b[i];
    joint.set(key, (joint.get(key) ?? 0) + 1);
    sizesA.set(a[i], (sizesA.get(a[i]) ?? 0) + 1);
    sizesB.set(b[i], (sizesB.get(b[i]) ?? 0) + 1);
  }
  let index = 0;
  for (const n of joint.values()) index += choose2(n);
  let sumA = 0;
  let sumB = 0;
  for (const n of sizesA.values()) sumA += choose2(n);
  for (const n of sizesB.values()) sumB += choose2(n);
  const expected = (sumA * sumB) / choose2(a.length);
  const ari = (index - expected) / ((sumA + sumB) / 2 - expected);
  let sameCluster = 0;
  for (let i = 0; i < a.length; i++) {
    const n = joint.get(a[i] * 2 ** 24 + b[i]);
    if (n === sizesA.get(a[i]) && n === sizesB.get(b[i])) sameCluster++;
  }
  return { adjustedRandIndex: +ari.toFixed(5), sameClusterShare: +(sameCluster / a.length).toFixed(5) };
}

/** Rows sampled for the recall of the neighbour lists (where the exact graph is out of reach). */
const SAMPLED_ROWS = 1000;

/**
 * The share of the exact k nearest (under the threshold, by dlib's distance) of every
 * (size / SAMPLED_ROWS)-th face that its list holds: each found by one face's distances to all.
 */
async function sampledListRecall(packed, lists) {
  const blocks = await DescriptorBlocks.create(packed.length);
  try {
    blocks.reserve(packed.count);
    for (let i = 0; i < packed.count; i++) blocks.add(packed.values, i * packed.length);
    let exact = 0;
    let found = 0;
    for (let s = 0; s < SAMPLED_ROWS; s++) {
      const i = Math.floor((s * packed.count) / SAMPLED_ROWS);
      const distances = blocks.distances(packed.values, i * packed.length);
      const near = [];
      for (let j = 0; j < packed.count; j++) if (j !== i && distances[j] < THRESHOLD) near.push(j);
      near.sort((a, b) => distances[a] - distances[b] || a - b);
      const listed = new Set(lists.indices.subarray(lists.offsets[i], lists.offsets[i + 1]));
      for (const j of near.slice(0, K)) {
        exact++;
        if (listed.has(j)) found++;
      }
    }
    return +(found / exact).toFixed(5);
  } finally {
    blocks.dispose();
  }
}

/**
 * The exact graph, or, with EXACT_GRAPH_CACHE=file (when tuning the cells: the exact graph of a
 * size is the same every run), the one saved there by an earlier run of the same size.
 */
async function exactGraph(packed, line) {
  const cache = process.env.EXACT_GRAPH_CACHE && `${process.env.EXACT_GRAPH_CACHE}.${packed.count}`;
  if (cache && existsSync(cache)) {
    const pairs = new Int32Array(readFileSync(cache).buffer.slice(0));
    const half = pairs.length / 2;
    return { first: pairs.subarray(0, half), second: pairs.subarray(half), count: half };
  }
  const started = performance.now();
  const exact = neighbourGraph(await nearestNeighbours(packed, K, THRESHOLD, { threads, exactUpTo: Infinity }));
  line.exactGraphSeconds = +((performance.now() - started) / 1000).toFixed(1);
  if (cache) {
    const pairs = new Int32Array(exact.count * 2);
    pairs.set(exact.first.subarray(0, exact.count));
    pairs.set(exact.second.subarray(0, exact.count), exact.count);
    writeFileSync(cache, pairs);
  }
  return exact;
}

async function measure(size) {
  const faces = syntheticPeople(lfwModel(), libraryFaceCounts(size));
  const packed = { values: faces.values, count: faces.count, length: faces.length };
  const line = { size, people: faces.person[size - 1] + 1, threads, node: process.version };
  const options = { threads, exactUpTo: 0, ...(cellSearch ? { cellSearch: JSON.parse(cellSearch) } : {}) };
  const foreign = startForeignCpuMeter();
  const started = performance.now();
  const lists = await nearestNeighbours(packed, K, THRESHOLD, options);
  const graph = neighbourGraph(lists);
  line.graphSeconds = +((performance.now() - started) / 1000).toFixed(1);
  const clustered = performance.now();
  const cells = chineseWhispersOnEdges(size, graph);
  line.clusterSeconds = +((performance.now() - clustered) / 1000).toFixed(1);
  line.peakRssMiB = Math.round(peakRssMiB());
  const other = foreign();
  if (other) line.otherProcessesCores = +(other.foreignCoreSeconds / other.seconds).toFixed(2);
  line.edges = graph.count - size;
  line.clusters = cells.clusterCount;
  line.labelsVsPeople = agreement(cells.labels, faces.person);
  line.sampledListRecall = await sampledListRecall(packed, lists);
  if (size <= exactMax) {
    const exact = await exactGraph(packed, line);
    const exactKeys = edgeKeys(exact, size);
    const found = edgeKeys(graph, size);
    let kept = 0;
    for (const key of exactKeys) if (found.has(key)) kept++;
    let extra = 0;
    for (const key of found) if (!exactKeys.has(key)) extra++;
    line.exactEdges = exactKeys.size;
    line.edgeRecall = +(kept / exactKeys.size).toFixed(5);
    line.edgesNotInExact = extra;
    const exactLabels = chineseWhispersOnEdges(size, exact);
    line.exactClusters = exactLabels.clusterCount;
    line.labelsVsExact = agreement(cells.labels, exactLabels.labels);
  }
  line.loadAverage = os.loadavg().map((l) => +l.toFixed(2));
  return line;
}

if (args.includes('--check-lfw')) {
  console.log(JSON.stringify(checkAgainstLfw()));
} else if (child) {
  console.log(JSON.stringify(await measure(Number(child))));
} else {
  console.log(JSON.stringify({ machine: describeMachine(), source: describeSourceRevision(), loadAverage: os.loadavg() }));
  for (const size of sizes) {
    const own = process.argv.slice(1, 2);
    const passed = ['--threads', String(threads), '--exact-max', String(exactMax), ...(cellSearch ? ['--cell-search', cellSearch] : [])];
    const started = performance.now();
    const out = execFileSync(process.execPath, [...own, '--child', String(size), ...passed], { encoding: 'utf8', maxBuffer: 2 ** 24 });
    const line = JSON.parse(out.trim().split('\n').pop());
    line.childWallSeconds = +((performance.now() - started) / 1000).toFixed(1);
    console.log(JSON.stringify(line));
  }
}
