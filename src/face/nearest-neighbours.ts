import type { WasmSource } from '../engine/kernels.js';
import { InputError } from '../errors.js';
import { DescriptorBlocks } from './descriptor-blocks.js';
import { descriptorCells, pairCell } from './descriptor-cells.js';
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
  /** Up to how many descriptors the search is exact (all pairs); past it, by cells. Default EXACT_SEARCH_MOST; Infinity: always exact. */
  exactUpTo?: number;
  /** How the search by cells cuts the descriptors (default CELL_SEARCH). */
  cellSearch?: CellSearch;
}

/** The search by cells: k-means cells, each descriptor in its own and those whose border is within a reach, all pairs in each cell. */
export interface CellSearch {
  /** Descriptors a cell holds on average (before the borders' copies): the cells are count / this. */
  facesPerCell: number;
  /** A descriptor joins the cells whose border is nearer than this fraction of the limit. */
  reach: number;
  /** The most cells a descriptor joins. */
  mostCellsEach: number;
  /** The first pass's limit, a fraction of the limit: the second passes over the pairs farther only for faces with fewer than k nearer. */
  nearerLimit: number;
}

/**
 * Past this many descriptors the search is by cells: all pairs of 50,000
 * take ~6 s on 2 threads (~10 s on one), and the all-pairs time grows as
 * the square of the count, the cells' as the count.
 */
export const EXACT_SEARCH_MOST = 50_000;

/**
 * Measured on descriptors made from LFW's (bench/library-knn-million.mjs,
 * bench/RESULTS.md): at 100k faces, k = 32, 0.991 of the exact graph's edges
 * (0.977 with 12 cells a face, 0.94 with 6). Cells of ~500 faces keep each
 * cell's search small, so the time grows as the count; a face is a guest in
 * its 15 nearest borders' cells (the reach, 0.6 of the limit, seldom binds).
 */
export const CELL_SEARCH: CellSearch = { facesPerCell: 500, reach: 0.6, mostCellsEach: 16, nearerLimit: 0.8 };

/** Query blocks (four descriptors each) per kernel call: their pairs are few, and the candidates stay in cache for them. */
const QUERY_BLOCKS_PER_CALL = 64;

/**
 * The `k` nearest others of every descriptor closer than `limit`. Up to
 * `exactUpTo` descriptors, exactly: the kernel finds the pairs under the
 * limit by the GEMM form of the squared distance, with a margin for its
 * rounding, and each pair it finds is kept when dlib's float32
 * `length(a - b)` is under the limit, so a pair is kept exactly when
 * closePairs finds it. Each pair is searched once (the distance is
 * symmetric) and listed for both its descriptors. Past it, the same search
 * runs within each cell of DescriptorCells, between its home descriptors
 * and all its descriptors (a pair found in two cells is kept in one), so every pair listed is one closePairs finds, with its
 * distance, and the pairs missed are those of descriptors in different cells
 * farther than the reach from their cells' border.
 */
export async function nearestNeighbours(
  packed: PackedDescriptors,
  k: number,
  limit: number,
  { wasm = {}, threads = 1, workerUrl, exactUpTo = EXACT_SEARCH_MOST, cellSearch = CELL_SEARCH }: NearestNeighboursOptions = {},
): Promise<NeighbourLists> {
  if (!Number.isInteger(k) || k < 1) throw new InputError(`k must be a positive integer, got ${k}`);
  const { values, count, length } = packed;
  let largestNorm = 0;
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let v = i * length; v < (i + 1) * length; v++) norm += values[v] ** 2;
    largestNorm = Math.max(largestNorm, norm);
  }
  // float32 dot products and sums of `length` terms, against float32 distances near the limit: each within (length + 8) * 2^-23 relative.
  const limitSquared = limit * limit;
  const margin = (length + 8) * 2 ** -21 * (2 * largestNorm + limitSquared);
  const lists = new NeighbourCollector(count, k);
  const cells =
    count > exactUpTo
      ? await descriptorCells(packed, {
          cellCount: Math.ceil(count / cellSearch.facesPerCell),
          reach: cellSearch.reach * limit,
          mostCellsEach: cellSearch.mostCellsEach,
          wasm,
        })
      : undefined;
  const blocks = await DescriptorBlocks.create(length, wasm, threads, workerUrl);
  try {
    /**
     * The pairs of the rows `rows` with a row of their first `queries`
     * closer than `under` by the kernel, those `keep` takes checked by dlib's
     * distance: `add` gets those under the limit.
     */
    const searchAmong = (
      rows: ArrayLike<number>,
      queries: number,
      under: number,
      keep: (i: number, j: number) => boolean,
      add: (i: number, j: number, distance: number) => void,
    ) => {
      blocks.clear();
      blocks.reserve(rows.length);
      for (let r = 0; r < rows.length; r++) blocks.add(values, rows[r] * length);
      const queryBlocks = Math.ceil(queries / 4);
      for (let start = 0; start < queryBlocks; start += QUERY_BLOCKS_PER_CALL) {
        const pairs = blocks.pairsUnder(under * under + margin, start, Math.min(start + QUERY_BLOCKS_PER_CALL, queryBlocks));
        for (let p = 0; p < pairs.length; p += 2) {
          const i = rows[pairs[p]];
          const j = rows[pairs[p + 1]];
          if (!keep(i, j)) continue;
          const distance = float32Distance(values, i * length, j * length, length);
          if (distance < limit) add(i, j, distance);
        }
      }
    };
    const addBoth = (i: number, j: number, distance: number) => {
      lists.add(i, j, distance);
      lists.add(j, i, distance);
    };
    if (!cells) {
      searchAmong(
        Int32Array.from({ length: count }, (_, i) => i),
        count,
        limit,
        () => true,
        addBoth,
      );
    } else {
      const { memberOffsets, members, homeCounts } = cells;
      const cellMembers = (c: number) => members.subarray(memberOffsets[c], memberOffsets[c + 1]);
      // Most pairs under the limit are no one's k nearest where faces are many: the pairs under a
      // nearer limit first, then of the rest only those of a face with fewer than k nearer.
      const nearer = cellSearch.nearerLimit * limit;
      for (let c = 0; c < homeCounts.length; c++) {
        searchAmong(cellMembers(c), homeCounts[c], nearer, (i, j) => pairCell(cells, i, j) === c, addBoth);
      }
      const full = Uint8Array.from({ length: count }, (_, i) => Number(lists.holdsK(i)));
      const addFarther = (i: number, j: number, distance: number) => distance >= nearer && addBoth(i, j, distance);
      for (let c = 0; c < homeCounts.length; c++) {
        searchAmong(cellMembers(c), homeCounts[c], limit, (i, j) => !(full[i] && full[j]) && pairCell(cells, i, j) === c, addFarther);
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
  /** Per descriptor: the k-th nearest distance of a list cut to k, which no farther neighbour can join; Infinity before. */
  private readonly farthestKept: Float32Array;

  constructor(
    count: number,
    private readonly k: number,
  ) {
    this.lists = Array.from({ length: count }, () => []);
    // Room past k for the pairs to come before a cut: a sort per k + 16 pairs, and at most 3k + 32 numbers held a list.
    this.longest = 2 * (2 * k + 16);
    this.farthestKept = new Float32Array(count).fill(Number.POSITIVE_INFINITY);
  }

  /** Whether descriptor i has k neighbours listed. */
  holdsK(i: number): boolean {
    return this.lists[i].length >= 2 * this.k;
  }

  add(i: number, j: number, distance: number): void {
    if (distance > this.farthestKept[i]) return;
    const list = this.lists[i];
    list.push(j, distance);
    if (list.length > this.longest) {
      const nearest = this.nearest(list);
      this.lists[i] = nearest;
      this.farthestKept[i] = nearest[nearest.length - 1];
    }
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
    // Each list cut in its place, so that the long lists go as the cut ones come.
    for (let i = 0; i < count; i++) {
      this.lists[i] = this.nearest(this.lists[i]);
      offsets[i + 1] = offsets[i] + this.lists[i].length / 2;
    }
    const indices = new Int32Array(offsets[count]);
    const distances = new Float32Array(offsets[count]);
    for (let i = 0; i < count; i++) {
      const list = this.lists[i];
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
  const keys = new Float64Array(count + offsets[count]);
  let kept = 0;
  for (let i = 0; i < count; i++) {
    keys[kept++] = i * count + i;
    for (let e = offsets[i]; e < offsets[i + 1]; e++) {
      const j = indices[e];
      if (keep(i, j)) keys[kept++] = i < j ? i * count + j : j * count + i;
    }
  }
  const sorted = keys.subarray(0, kept).sort();
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
