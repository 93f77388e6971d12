import { DlibRand } from '../dlib/dlib-rand.js';
import { InputError } from '../errors.js';
import { describeValue } from '../arguments.js';
import { closePairs, packDescriptors } from './descriptor-graph.js';
import { checkDistanceThreshold, SAME_PERSON_THRESHOLD } from './descriptor-distance.js';
import { type EdgeArrays, graphFromEdges, MAX_CLUSTER_NODES, symmetricGraph, type Edge, type SparseGraph } from './sparse-graph.js';

export { descriptorGraph } from './descriptor-graph.js';
export { MAX_CLUSTER_EDGES, MAX_CLUSTER_NODES, type Edge } from './sparse-graph.js';

export interface ChineseWhispersOptions {
  /** Descriptors closer than this are joined (descriptor input only). Default 0.6. */
  threshold?: number;
  /** Passes over the nodes. Default 100. */
  iterations?: number;
  /**
   * The number of nodes (edge input only): edges must join nodes below it, and
   * nodes no edge touches get clusters of their own. Default: the largest index
   * + 1, as dlib's, with indices below MAX_CLUSTER_NODES.
   */
  nodeCount?: number;
}

export interface Clustering {
  /** Cluster of each node, 0..clusterCount-1 in order of first appearance. */
  labels: number[];
  clusterCount: number;
}

/**
 * dlib's `chinese_whispers`, exactly: a fresh default dlib::rand per call,
 * nodes picked as `rand64 % n`, the heaviest neighbouring label winning (ties
 * to the smallest label), labels renumbered by first appearance. Takes the
 * edges, or descriptors to join as dlib's face example does (one label per
 * descriptor). Graphs are limited to MAX_CLUSTER_NODES nodes and
 * MAX_CLUSTER_EDGES edges; beyond, and on any malformed input, it throws an
 * InputError.
 */
export function chineseWhispers(input: Edge[] | { descriptors: ArrayLike<number>[] }, options: ChineseWhispersOptions = {}): Clustering {
  if (typeof options !== 'object' || options === null)
    throw new InputError(`chineseWhispers options must be an object, got ${describeValue(options)}`);
  const iterations = options.iterations ?? 100;
  if (!Number.isSafeInteger(iterations) || iterations < 0)
    throw new InputError(`iterations must be a non-negative integer, got ${describeValue(iterations)}`);
  return whisper(inputGraph(input, options), iterations);
}

function inputGraph(input: unknown, { threshold, nodeCount }: ChineseWhispersOptions): SparseGraph {
  if (Array.isArray(input)) {
    if (threshold !== undefined) throw new InputError('threshold applies to descriptor input only: edges are joined already');
    if (nodeCount !== undefined && (!Number.isInteger(nodeCount) || nodeCount < 0 || nodeCount > MAX_CLUSTER_NODES)) {
      throw new InputError(`nodeCount must be an integer from 0 to MAX_CLUSTER_NODES (2^24), got ${describeValue(nodeCount)}`);
    }
    return graphFromEdges(input, nodeCount);
  }
  if (typeof input !== 'object' || input === null || !('descriptors' in input)) {
    throw new InputError(`chineseWhispers takes an array of edges or { descriptors }, got ${describeValue(input)}`);
  }
  if (nodeCount !== undefined) throw new InputError('nodeCount applies to edge input only: descriptor input has a node per descriptor');
  const descriptors = packDescriptors(input.descriptors);
  return symmetricGraph(
    descriptors.count,
    closePairs(descriptors, checkDistanceThreshold(threshold ?? SAME_PERSON_THRESHOLD, 'threshold')),
  );
}

/**
 * chineseWhispers over edges already built and checked (a nearest-neighbour
 * graph, say), of `nodeCount` nodes.
 */
export function chineseWhispersOnEdges(nodeCount: number, edges: EdgeArrays, iterations = 100): Clustering {
  return whisper(symmetricGraph(nodeCount, edges), iterations);
}

function whisper({ nodeCount, offsets, neighbours, weights }: SparseGraph, iterations: number): Clustering {
  const labels = new Int32Array(nodeCount);
  for (let v = 0; v < nodeCount; v++) labels[v] = v;
  // The votes for each label at this step: a label's votes count when it was stamped at this step,
  // so that no step clears them (steps are exact in a double up to 2^53).
  const votes = new Float64Array(nodeCount);
  const stamps = new Float64Array(nodeCount).fill(-1);
  // Without negative weights a label's votes only grow, so the heaviest label (the smallest of the
  // heaviest) can be picked while counting: it takes the lead when it reaches its final count, and
  // keeps it. Negative weights need a second pass over the final counts.
  const votesOnlyGrow = weights === undefined || weights.every((w) => w >= 0);
  const rand = new DlibRand();
  const steps = nodeCount * iterations;
  for (let step = 0; step < steps; step++) {
    const node = rand.nextUint64Modulo(nodeCount);
    const begin = offsets[node];
    const end = offsets[node + 1];
    let best = labels[node];
    let bestScore = -Infinity;
    for (let e = begin; e < end; e++) {
      const label = labels[neighbours[e]];
      const weight = weights === undefined ? 1 : weights[e];
      const score = stamps[label] === step ? votes[label] + weight : weight;
      stamps[label] = step;
      votes[label] = score;
      if (votesOnlyGrow && (score > bestScore || (score === bestScore && label < best))) {
        bestScore = score;
        best = label;
      }
    }
    for (let e = begin; e < end && !votesOnlyGrow; e++) {
      const label = labels[neighbours[e]];
      const score = votes[label];
      // dlib keeps the node's label when every score is -Infinity (summed weights overflowing).
      if (score > bestScore || (score === bestScore && label < best && score !== -Infinity)) {
        bestScore = score;
        best = label;
      }
    }
    labels[node] = best;
  }
  const renumbered = new Int32Array(nodeCount).fill(-1);
  let clusterCount = 0;
  const result = new Array<number>(nodeCount);
  for (let v = 0; v < nodeCount; v++) {
    const label = labels[v];
    if (renumbered[label] < 0) renumbered[label] = clusterCount++;
    result[v] = renumbered[label];
  }
  return { labels: result, clusterCount };
}
