import { DlibRand } from '../dlib/dlib-rand.js';
import { InputError } from '../errors.js';
import { descriptorDistance, SAME_PERSON_THRESHOLD } from './face-recognition-model.js';

/** An undirected edge between nodes i and j, weighing `weight` (1 by default, as dlib's sample_pair). */
export type Edge = [i: number, j: number, weight?: number];

export interface ChineseWhispersOptions {
  /** Descriptors closer than this are joined (descriptor input only). Default 0.6. */
  threshold?: number;
  /** Passes over the nodes. Default 100. */
  iterations?: number;
}

export interface Clustering {
  /** Cluster of each node, 0..clusterCount-1 in order of first appearance. */
  labels: number[];
  clusterCount: number;
}

/**
 * The graph of dlib's dnn_face_recognition_ex: an edge between every two
 * faces closer than the threshold, and from each face to itself (its own
 * label then gets a vote).
 */
export function descriptorGraph(descriptors: ArrayLike<number>[], threshold = SAME_PERSON_THRESHOLD): Edge[] {
  const edges: Edge[] = [];
  for (let i = 0; i < descriptors.length; i++) {
    for (let j = i; j < descriptors.length; j++) {
      if (descriptorDistance(descriptors[i], descriptors[j]) < threshold) edges.push([i, j]);
    }
  }
  return edges;
}

/**
 * dlib's `chinese_whispers`, exactly: a fresh default dlib::rand per call,
 * nodes picked as `rand64 % n`, the heaviest neighbouring label winning (ties
 * to the smallest label), labels renumbered by first appearance. Takes the
 * edges, or descriptors to join as dlib's face example does.
 */
export function chineseWhispers(input: Edge[] | { descriptors: ArrayLike<number>[] }, options: ChineseWhispersOptions = {}): Clustering {
  const iterations = options.iterations ?? 100;
  if (!Number.isInteger(iterations) || iterations < 0) throw new InputError(`iterations must be a non-negative integer, got ${iterations}`);
  const edges = Array.isArray(input) ? input : descriptorGraph(input.descriptors, options.threshold);
  if (edges.length === 0) return { labels: [], clusterCount: 0 };
  for (const [i, j, w] of edges) {
    if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || j < 0) throw new InputError(`edge (${i}, ${j}) does not join two node indices`);
    if (w !== undefined && !Number.isFinite(w)) throw new InputError(`edge (${i}, ${j}) has weight ${w}`);
  }
  // Both directions of every edge (a self edge once), sorted by (from, to) as dlib orders them.
  const ordered: [number, number, number][] = [];
  for (const [i, j, w = 1] of edges) {
    ordered.push([i, j, w]);
    if (i !== j) ordered.push([j, i, w]);
  }
  ordered.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const nodeCount = Math.max(...ordered.map((e) => e[0])) + 1;
  const firstEdge = new Array<number>(nodeCount + 1).fill(ordered.length);
  for (let e = ordered.length - 1; e >= 0; e--) firstEdge[ordered[e][0]] = e;
  for (let v = nodeCount - 1; v >= 0; v--) firstEdge[v] = Math.min(firstEdge[v], firstEdge[v + 1]);

  const labels = Array.from({ length: nodeCount }, (_, v) => v);
  const rand = new DlibRand();
  for (let step = 0; step < nodeCount * iterations; step++) {
    const node = rand.nextUint64Modulo(nodeCount);
    const votes = new Map<number, number>();
    for (let e = firstEdge[node]; e < firstEdge[node + 1]; e++) {
      const label = labels[ordered[e][1]];
      votes.set(label, (votes.get(label) ?? 0) + ordered[e][2]);
    }
    let best = labels[node];
    let bestScore = -Infinity;
    for (const label of [...votes.keys()].sort((a, b) => a - b)) {
      if (votes.get(label)! > bestScore) {
        bestScore = votes.get(label)!;
        best = label;
      }
    }
    labels[node] = best;
  }
  const renumbered = new Map<number, number>();
  const result = labels.map((l) => {
    if (!renumbered.has(l)) renumbered.set(l, renumbered.size);
    return renumbered.get(l)!;
  });
  return { labels: result, clusterCount: renumbered.size };
}
