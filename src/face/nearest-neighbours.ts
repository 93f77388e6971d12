import type { WasmSource } from '../engine/kernels.js';
import { InputError } from '../errors.js';
import { DescriptorBlocks } from './descriptor-blocks.js';
import { float32Distance, type PackedDescriptors } from './descriptor-graph.js';
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

export interface NearestNeighboursOptions {
  wasm?: WasmSource;
  /** Threads that share the search (by queries), where the runtime can share memory with workers. Default 1: no worker. */
  threads?: number;
  /** Where the threads' worker script is, where blob: workers are forbidden (see EngineOptions.workerUrl). */
  workerUrl?: string | URL;
}

/** Query blocks (four descriptors each) per kernel call: their pairs are few, and the candidates stay in cache for them. */
const QUERY_BLOCKS_PER_CALL = 64;

/**
 * The `k` nearest others of every descriptor closer than `limit`, exactly:
 * the kernel finds the pairs under the limit by the GEMM form of the squared
 * distance, with a margin for its rounding, and each pair it finds is kept
 * when dlib's float32 `length(a - b)` is under the limit, so a pair is kept
 * exactly when closePairs finds it. Each pair is searched once (the distance
 * is symmetric) and listed for both its descriptors.
 */
export async function nearestNeighbours(
  { values, count, length }: PackedDescriptors,
  k: number,
  limit: number,
  { wasm = {}, threads = 1, workerUrl }: NearestNeighboursOptions = {},
): Promise<NeighbourLists> {
  if (!Number.isInteger(k) || k < 1) throw new InputError(`k must be a positive integer, got ${k}`);
  const blocks = await DescriptorBlocks.create(length, wasm, threads, workerUrl);
  try {
    blocks.reserve(count);
    let largestNorm = 0;
    for (let i = 0; i < count; i++) {
      blocks.add(values, i * length);
      let norm = 0;
      for (let v = i * length; v < (i + 1) * length; v++) norm += values[v] ** 2;
      largestNorm = Math.max(largestNorm, norm);
    }
    // float32 dot products and sums of `length` terms, against float32 distances near the limit: each within (length + 8) * 2^-23 relative.
    const limitSquared = limit * limit;
    const margin = (length + 8) * 2 ** -21 * (2 * largestNorm + limitSquared);
    const lists = new NeighbourCollector(count, k);
    const queryBlocks = Math.ceil(count / 4);
    for (let start = 0; start < queryBlocks; start += QUERY_BLOCKS_PER_CALL) {
      const pairs = blocks.pairsUnder(limitSquared + margin, start, Math.min(start + QUERY_BLOCKS_PER_CALL, queryBlocks));
      for (let p = 0; p < pairs.length; p += 2) {
        const i = pairs[p];
        const j = pairs[p + 1];
        const distance = float32Distance(values, i * length, j * length, length);
        if (distance < limit) {
          lists.add(i, j, distance);
          lists.add(j, i, distance);
        }
      }
    }
    return lists.finish();
  } finally {
    blocks.dispose();
  }
}

/** Each descriptor's neighbours as the pairs come, cut to the k nearest whenever a list grows long. */
class NeighbourCollector {
  /** Per descriptor: neighbour, distance, neighbour, distance, ... */
  private readonly lists: number[][];
  private readonly longest: number;

  constructor(
    count: number,
    private readonly k: number,
  ) {
    this.lists = Array.from({ length: count }, () => []);
    this.longest = 2 * (4 * k + 64);
  }

  add(i: number, j: number, distance: number): void {
    const list = this.lists[i];
    list.push(j, distance);
    if (list.length > this.longest) this.lists[i] = this.nearest(list);
  }

  /** The k nearest of a list, nearest first (equal distances: the smaller index first). */
  private nearest(list: number[]): number[] {
    const order = Array.from({ length: list.length / 2 }, (_, n) => 2 * n);
    order.sort((a, b) => list[a + 1] - list[b + 1] || list[a] - list[b]);
    return order.slice(0, this.k).flatMap((at) => [list[at], list[at + 1]]);
  }

  finish(): NeighbourLists {
    const count = this.lists.length;
    const offsets = new Int32Array(count + 1);
    const sorted = this.lists.map((list) => this.nearest(list));
    for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i] + sorted[i].length / 2;
    const indices = new Int32Array(offsets[count]);
    const distances = new Float32Array(offsets[count]);
    for (let i = 0; i < count; i++) {
      const list = sorted[i];
      for (let n = 0; n < list.length; n += 2) {
        indices[offsets[i] + n / 2] = list[n];
        distances[offsets[i] + n / 2] = list[n + 1];
      }
    }
    return { offsets, indices, distances };
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
