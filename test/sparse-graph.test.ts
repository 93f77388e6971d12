import { describe, expect, it } from 'vitest';
import { graphFromEdges, type SparseGraph } from '../src/face/sparse-graph.js';

function rows(graph: SparseGraph): { neighbours: number[]; weights?: number[] }[] {
  return Array.from({ length: graph.nodeCount }, (_, v) => {
    const [begin, end] = [graph.offsets[v], graph.offsets[v + 1]];
    const neighbours = Array.from(graph.neighbours.subarray(begin, end));
    return graph.weights ? { neighbours, weights: Array.from(graph.weights.subarray(begin, end)) } : { neighbours };
  });
}

describe('graphFromEdges', () => {
  it("stores weighted edges in both rows, each row in ascending neighbour order, duplicates in input order (dlib's summing order)", () => {
    const graph = graphFromEdges([
      [2, 0, 0.3],
      [0, 1, 0.2],
      [0, 2, 0.1],
      [0, 0, 5],
      [1, 0, 0.7],
      [3, 3],
    ]);
    expect(rows(graph)).toEqual([
      { neighbours: [0, 1, 1, 2, 2], weights: [5, 0.2, 0.7, 0.3, 0.1] },
      { neighbours: [0, 0], weights: [0.2, 0.7] },
      { neighbours: [0, 0], weights: [0.3, 0.1] },
      { neighbours: [3], weights: [1] },
    ]);
  });

  it('keeps no weights when every edge weighs 1, and leaves the nodes no edge touches empty', () => {
    const graph = graphFromEdges(
      [
        [0, 3],
        [3, 3, 1],
      ],
      5,
    );
    expect(graph.weights).toBeUndefined();
    expect(rows(graph).map((r) => r.neighbours.sort())).toEqual([[3], [], [], [0, 3], []]);
  });
});
