import type { WasmSource } from '../engine/kernels.js';
import { InputError } from '../errors.js';
import { DescriptorBlocks } from './descriptor-blocks.js';
import type { PackedDescriptors } from './descriptor-graph.js';
import { type EdgeArrays, MAX_CLUSTER_EDGES, tooManyEdges } from './sparse-graph.js';

/**
 * Each descriptor's nearest others, nearest first (equal distances: the
 * smaller index first): those of row i are `indices[offsets[i] ..
 * offsets[i + 1])`, with their `distances`.
 */
export interface NeighbourLists {
  offsets: Int32Array;
  indices: Int32Array;
  distances: Float32Array;
}

/**
 * The `k` nearest others of every descriptor closer than `limit`, exactly:
 * each query's distances to all descriptors are one call of the SIMD kernel
 * over descriptors four to a block, each dlib's float32 `length(a - b)`, so a
 * pair is under the limit exactly when closePairs finds it so.
 */
export async function nearestNeighbours(
  { values, count, length }: PackedDescriptors,
  k: number,
  limit: number,
  wasm: WasmSource = {},
): Promise<NeighbourLists> {
  if (!Number.isInteger(k) || k < 1) throw new InputError(`k must be a positive integer, got ${k}`);
  const blocks = await DescriptorBlocks.create(length, wasm);
  try {
    blocks.reserve(count);
    for (let i = 0; i < count; i++) blocks.add(values, i * length);
    const offsets = new Int32Array(count + 1);
    let indices = new Int32Array(Math.min(count * k, 1 << 16));
    let distances = new Float32Array(indices.length);
    let used = 0;
    const candidates: number[] = [];
    for (let i = 0; i < count; i++) {
      const row = blocks.distances(values, i * length);
      candidates.length = 0;
      for (let j = 0; j < count; j++) if (row[j] < limit && j !== i) candidates.push(j);
      candidates.sort((a, b) => row[a] - row[b] || a - b);
      const kept = Math.min(k, candidates.length);
      if (used + kept > indices.length) {
        const grown = new Int32Array(Math.max(indices.length * 2, used + kept));
        grown.set(indices);
        indices = grown;
        const grownDistances = new Float32Array(grown.length);
        grownDistances.set(distances);
        distances = grownDistances;
      }
      for (let n = 0; n < kept; n++) {
        indices[used] = candidates[n];
        distances[used++] = row[candidates[n]];
      }
      offsets[i + 1] = used;
    }
    return { offsets, indices: indices.slice(0, used), distances: distances.slice(0, used) };
  } finally {
    blocks.dispose();
  }
}

/**
 * The undirected graph of the neighbour lists for chinese whispers, as dlib's
 * examples build one: an edge between i and j when either is among the
 * other's neighbours, each edge once, and one from each node to itself; in
 * order of i then j, as closePairs lists them. When every list holds all the
 * descriptors under the threshold, it is closePairs' graph, edge for edge.
 * `keep(i, j)` may leave edges out (faces of one photo, say).
 */
export function neighbourGraph({ offsets, indices }: NeighbourLists, keep: (i: number, j: number) => boolean = () => true): EdgeArrays {
  const count = offsets.length - 1;
  // Each pair as one number, smaller index first: sorted, they come in closePairs' order and repeat side by side.
  const keys: number[] = [];
  for (let i = 0; i < count; i++) {
    keys.push(i * count + i);
    for (let e = offsets[i]; e < offsets[i + 1]; e++) {
      const j = indices[e];
      if (keep(i, j)) keys.push(i < j ? i * count + j : j * count + i);
    }
  }
  const sorted = Float64Array.from(keys).sort();
  const first = new Int32Array(sorted.length);
  const second = new Int32Array(sorted.length);
  let edges = 0;
  for (let e = 0; e < sorted.length; e++) {
    if (e > 0 && sorted[e] === sorted[e - 1]) continue;
    if (edges === MAX_CLUSTER_EDGES) throw tooManyEdges('the nearest-neighbour graph');
    const i = Math.floor(sorted[e] / count);
    first[edges] = i;
    second[edges++] = sorted[e] - i * count;
  }
  return { first, second, count: edges };
}
