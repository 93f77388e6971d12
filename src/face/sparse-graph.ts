import { InputError } from '../errors.js';
import { describeValue } from '../arguments.js';

/** An undirected edge between nodes i and j, weighing `weight` (1 by default, as dlib's sample_pair). */
export type Edge = [i: number, j: number, weight?: number];

/** Most nodes a graph may have (2^24): clustering takes about 40 bytes a node, 670 MB at the cap. */
export const MAX_CLUSTER_NODES = 2 ** 24;
/**
 * Most edges a graph may have (2^25, self edges included): each is stored in
 * both of its rows, about 16 bytes an edge while it is built (540 MB at the
 * cap), up to 48 more when edges carry weights.
 */
export const MAX_CLUSTER_EDGES = 2 ** 25;

/**
 * An undirected graph in compressed sparse rows: the neighbours of node v are
 * `neighbours[offsets[v] .. offsets[v + 1])`, each edge stored in the rows of
 * both its ends (a self edge once).
 */
export interface SparseGraph {
  readonly nodeCount: number;
  readonly offsets: Int32Array;
  readonly neighbours: Int32Array;
  /**
   * The weight of each entry of `neighbours`, rows then in ascending neighbour
   * order (duplicates in input order), the order dlib sums weights in.
   * Undefined when every edge weighs 1: integer counts are exact in any order.
   */
  readonly weights: Float64Array | undefined;
}

/** Undirected edges (first[e], second[e]) as typed arrays, `count` of them used. */
export interface EdgeArrays {
  first: Int32Array;
  second: Int32Array;
  weights?: Float64Array;
  count: number;
}

export function tooManyEdges(what: string): InputError {
  return new InputError(
    `${what} has more than MAX_CLUSTER_EDGES (2^25 = ${MAX_CLUSTER_EDGES}) edges, too many to cluster in bounded memory`,
  );
}

/**
 * Reads user edges, each checked: node indices below `nodeCount`, or below
 * MAX_CLUSTER_NODES without it (the graph then has max index + 1 nodes, as dlib's).
 */
export function graphFromEdges(edges: readonly unknown[], nodeCount?: number): SparseGraph {
  if (edges.length > MAX_CLUSTER_EDGES) throw tooManyEdges(`the edge list (${edges.length})`);
  const limit = nodeCount ?? MAX_CLUSTER_NODES;
  const arrays: EdgeArrays = { first: new Int32Array(edges.length), second: new Int32Array(edges.length), count: edges.length };
  let maxIndex = -1;
  for (let e = 0; e < edges.length; e++) {
    const edge = edges[e];
    if (!Array.isArray(edge) || edge.length < 2 || edge.length > 3) {
      throw new InputError(`edges[${e}] must be [i, j] or [i, j, weight], got ${describeValue(edge)}`);
    }
    const i: unknown = edge[0];
    const j: unknown = edge[1];
    const weight: unknown = edge[2];
    if (!isNodeIndex(i, limit) || !isNodeIndex(j, limit)) {
      const bound = nodeCount === undefined ? `MAX_CLUSTER_NODES (2^24); pass options.nodeCount` : `options.nodeCount (${nodeCount})`;
      throw new InputError(
        `edges[${e}] = [${describeValue(i)}, ${describeValue(j)}]: node indices must be integers from 0 to below ${bound}`,
      );
    }
    if (weight !== undefined) {
      if (typeof weight !== 'number' || !Number.isFinite(weight))
        throw new InputError(`edges[${e}] has weight ${describeValue(weight)}, not a finite number`);
      if (weight !== 1) arrays.weights ??= new Float64Array(edges.length).fill(1);
      if (arrays.weights) arrays.weights[e] = weight;
    }
    arrays.first[e] = i;
    arrays.second[e] = j;
    maxIndex = Math.max(maxIndex, i, j);
  }
  return symmetricGraph(nodeCount ?? maxIndex + 1, arrays);
}

function isNodeIndex(value: unknown, limit: number): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) < limit;
}

/** Stores each edge in both its rows, in edge order; weighted rows are then sorted. */
export function symmetricGraph(nodeCount: number, { first, second, weights, count }: EdgeArrays): SparseGraph {
  const offsets = new Int32Array(nodeCount + 1);
  for (let e = 0; e < count; e++) {
    offsets[first[e] + 1]++;
    if (first[e] !== second[e]) offsets[second[e] + 1]++;
  }
  for (let v = 0; v < nodeCount; v++) offsets[v + 1] += offsets[v];
  const neighbours = new Int32Array(offsets[nodeCount]);
  const entryWeights = weights && new Float64Array(neighbours.length);
  const cursor = offsets.slice(0, nodeCount);
  for (let e = 0; e < count; e++) {
    const i = first[e];
    const j = second[e];
    const at = cursor[i]++;
    neighbours[at] = j;
    if (entryWeights) entryWeights[at] = weights![e];
    if (i !== j) {
      const back = cursor[j]++;
      neighbours[back] = i;
      if (entryWeights) entryWeights[back] = weights![e];
    }
  }
  const graph = { nodeCount, offsets, neighbours, weights: entryWeights };
  return entryWeights ? transposed(graph) : graph;
}

/**
 * The transpose, which for a symmetric graph is the same graph with each row
 * in ascending neighbour order: rows are read in node order. Duplicate edges
 * keep their input order, as a stable sort would.
 */
function transposed({ nodeCount, offsets, neighbours, weights }: SparseGraph): SparseGraph {
  const sorted = new Int32Array(neighbours.length);
  const sortedWeights = new Float64Array(neighbours.length);
  const cursor = offsets.slice(0, nodeCount);
  for (let u = 0; u < nodeCount; u++) {
    for (let e = offsets[u]; e < offsets[u + 1]; e++) {
      const at = cursor[neighbours[e]]++;
      sorted[at] = u;
      sortedWeights[at] = weights![e];
    }
  }
  return { nodeCount, offsets, neighbours: sorted, weights: sortedWeights };
}
