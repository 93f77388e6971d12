// The nearest-neighbour graph and chinese whispers of `dlib-wasm people` at scale: the exact
// search over the SIMD distance kernel (what `people` runs) against usearch's HNSW (an
// approximate index, native, a devDependency to measure against), on synthetic descriptors made
// the way dlib's spread: people about 1.1 apart, faces of one person about 0.45 apart.
//
//   npm run build && node bench/library-knn.mjs [sizes, default 10000,100000] [--exact-max 20000] [--threads 1]
//
// Prints a line of JSON per size and method: seconds for the graph and for chinese whispers, the
// edges, the clusters, and (where the exact graph was built too) the approximate graph's recall of
// its edges and whether the labels are the same.
import { Index, MetricKind } from 'usearch';
import { chineseWhispersOnEdges } from '../dist/face/chinese-whispers.js';
import { nearestNeighbours, neighbourGraph } from '../dist/face/nearest-neighbours.js';
import { DlibRand } from '../dist/index.js';

const LENGTH = 128;
const THRESHOLD = 0.6;
const K = 32;
const FACES_PER_PERSON = 10;

const args = process.argv.slice(2);
const exactMaxAt = args.indexOf('--exact-max');
const exactMax = exactMaxAt >= 0 ? Number(args[exactMaxAt + 1]) : 20000;
const threadsAt = args.indexOf('--threads');
const threads = threadsAt >= 0 ? Number(args[threadsAt + 1]) : 1;
const optionValues = [exactMaxAt, threadsAt].filter((at) => at >= 0).map((at) => at + 1);
const sizes = (args.find((a, i) => !a.startsWith('--') && !optionValues.includes(i)) ?? '10000,100000').split(',').map(Number);

function syntheticFaces(count) {
  const rand = new DlibRand();
  const gaussian = () => Math.sqrt(-2 * Math.log(Math.max(rand.nextDouble(), 1e-12))) * Math.cos(2 * Math.PI * rand.nextDouble());
  const values = new Float32Array(count * LENGTH);
  const centre = new Float64Array(LENGTH);
  for (let i = 0; i < count; i++) {
    if (i % FACES_PER_PERSON === 0) for (let k = 0; k < LENGTH; k++) centre[k] = gaussian() * 0.07;
    for (let k = 0; k < LENGTH; k++) values[i * LENGTH + k] = centre[k] + gaussian() * 0.028;
  }
  return { values, count, length: LENGTH };
}

/** dlib's float32 length(a - b). */
function float32Distance(values, a, b) {
  const f = Math.fround;
  let sum = 0;
  for (let k = 0; k < LENGTH; k++) {
    const d = f(values[a * LENGTH + k] - values[b * LENGTH + k]);
    sum = f(sum + f(d * d));
  }
  return f(Math.sqrt(sum));
}

/** usearch's HNSW: each face's K + 1 nearest (itself among them), kept under the threshold by dlib's distance. */
function usearchLists(packed) {
  const { values, count } = packed;
  const index = new Index({ dimensions: LENGTH, metric: MetricKind.L2sq, connectivity: 16, expansion_add: 128, expansion_search: 64 });
  const keys = new BigUint64Array(count);
  for (let i = 0; i < count; i++) keys[i] = BigInt(i);
  index.add(keys, values, 0);
  const found = index.search(values, K + 1, 0);
  const offsets = new Int32Array(count + 1);
  const indices = [];
  const distances = [];
  for (let i = 0; i < count; i++) {
    const row = [];
    for (let n = 0; n < K + 1; n++) {
      const key = found.keys[i * (K + 1) + n];
      if (key === 0xffffffffffffffffn) continue;
      const j = Number(key);
      if (j === i) continue;
      const distance = float32Distance(values, i, j);
      if (distance < THRESHOLD) row.push([j, distance]);
    }
    row.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    for (const [j, distance] of row.slice(0, K)) {
      indices.push(j);
      distances.push(distance);
    }
    offsets[i + 1] = indices.length;
  }
  return { offsets, indices: Int32Array.from(indices), distances: Float32Array.from(distances) };
}

const edgeKeys = (graph, count) => {
  const keys = new Set();
  for (let e = 0; e < graph.count; e++) keys.add(graph.first[e] * count + graph.second[e]);
  return keys;
};

for (const size of sizes) {
  const packed = syntheticFaces(size);
  const results = {};
  const methods = size <= exactMax ? ['exact', 'usearch'] : ['usearch'];
  for (const method of methods) {
    const start = performance.now();
    const lists = method === 'exact' ? await nearestNeighbours(packed, K, THRESHOLD, { threads }) : usearchLists(packed);
    const graph = neighbourGraph(lists);
    const graphSeconds = (performance.now() - start) / 1000;
    const clustered = performance.now();
    const { labels, clusterCount } = chineseWhispersOnEdges(size, graph);
    const clusterSeconds = (performance.now() - clustered) / 1000;
    results[method] = { graph, labels };
    const line = {
      size,
      method,
      threads: method === 'exact' ? threads : 1,
      graphSeconds,
      clusterSeconds,
      edges: graph.count,
      clusters: clusterCount,
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
    };
    if (method === 'usearch' && results.exact) {
      const exact = edgeKeys(results.exact.graph, size);
      const approximate = edgeKeys(graph, size);
      let kept = 0;
      for (const key of exact) if (approximate.has(key)) kept++;
      line.edgeRecall = kept / exact.size;
      line.sameLabels = labels.every((label, i) => label === results.exact.labels[i]);
    }
    console.log(JSON.stringify(line));
  }
}
