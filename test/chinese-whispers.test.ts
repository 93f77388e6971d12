import { describe, expect, it } from 'vitest';
import { chineseWhispers, descriptorGraph, MAX_CLUSTER_EDGES, MAX_CLUSTER_NODES, type Edge } from '../src/face/chinese-whispers.js';
import { descriptorDistance, DlibRand, InputError } from '../src/index.js';
import { fixtureJson, thrown } from './support/helpers.js';

// dlib 19.24's chinese_whispers on dlib's descriptors of the reference faces.
const cases = ['chinese_whispers_bald_guys', 'chinese_whispers_all88'];

describe.each(cases)('%s', (name) => {
  const reference = fixtureJson(`jitter/${name}.json`);
  const edges: Edge[] = reference.edges.map(([i, j]: number[]) => [i, j]);

  it("gives dlib's labels from dlib's edges (self edges included)", () => {
    const { labels, clusterCount } = chineseWhispers(edges);
    expect(labels).toEqual(reference.labels);
    expect(clusterCount).toBe(reference.num_clusters);
  });

  it("gives dlib's labels without self edges too", () => {
    const variant = reference.variant_without_self_edges;
    const { labels } = chineseWhispers(edges.filter(([i, j]) => i !== j));
    expect(labels).toEqual(variant.labels);
  });
});

describe('descriptor graph', () => {
  it("joins the faces dlib joins, by dlib's float32 distance", () => {
    const reference = fixtureJson('jitter/chinese_whispers_bald_guys.json');
    const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
    const byId = new Map(items.map((it) => [it.chip.replace(/^chips\/faces\/|\.png$/g, ''), it.descriptor]));
    const descriptors = reference.ids.map((id: string) => byId.get(id)!);
    expect(descriptorGraph(descriptors)).toEqual(reference.edges.map(([i, j]: number[]) => [i, j]));
    const { labels, clusterCount } = chineseWhispers({ descriptors });
    expect(labels).toEqual(reference.labels);
    expect(clusterCount).toBe(4);
  });

  it('handles no edges and rejects bad edges', () => {
    expect(chineseWhispers([])).toEqual({ labels: [], clusterCount: 0 });
    expect(() => chineseWhispers([[0, -1]])).toThrow(InputError);
    expect(() => chineseWhispers([[0, 1, Number.NaN]])).toThrow(InputError);
  });
});

/** dlib's chinese_whispers transcribed plainly (a Map of votes, sorted labels): the labels the library gave before its graph was sparse. */
function dlibChineseWhispers(edges: Edge[], iterations = 100): number[] {
  const ordered: [number, number, number][] = [];
  for (const [i, j, w = 1] of edges) {
    ordered.push([i, j, w]);
    if (i !== j) ordered.push([j, i, w]);
  }
  ordered.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (ordered.length === 0) return [];
  const nodeCount = ordered[ordered.length - 1][0] + 1;
  const labels = Array.from({ length: nodeCount }, (_, v) => v);
  const rand = new DlibRand();
  for (let step = 0; step < nodeCount * iterations; step++) {
    const node = rand.nextUint64Modulo(nodeCount);
    const votes = new Map<number, number>();
    for (const [from, to, w] of ordered) if (from === node) votes.set(labels[to], (votes.get(labels[to]) ?? 0) + w);
    let best = labels[node];
    let bestScore = -Infinity;
    for (const label of [...votes.keys()].sort((a, b) => a - b)) {
      if (votes.get(label)! > bestScore) [best, bestScore] = [label, votes.get(label)!];
    }
    labels[node] = best;
  }
  const renumbered = new Map<number, number>();
  return labels.map((l) => (renumbered.has(l) ? renumbered.get(l)! : renumbered.set(l, renumbered.size).get(l)!));
}

/** A random graph: duplicate edges, self edges, weights whose sums depend on their order (0.1 + 0.2 + 0.3), ties. */
function randomGraph(rand: DlibRand, nodeCount: number, edgeCount: number, weights: number[] | undefined): Edge[] {
  return Array.from({ length: edgeCount }, (): Edge => {
    const i = rand.integerInRange(0, nodeCount);
    const j = rand.nextFloat() < 0.1 ? i : rand.integerInRange(0, nodeCount);
    return weights ? [i, j, weights[rand.integerInRange(0, weights.length)]] : [i, j];
  });
}

describe('the sparse graph and its votes', () => {
  it("give the labels of dlib's plain algorithm on random graphs, weighted (negative weights too) or not, duplicates and ties included", () => {
    const rand = new DlibRand('graphs');
    const weightSets = [undefined, [0.1, 0.2, 0.3, 1, 2, 0.7], [0.1, 0.2, 0.3, 1, 2, 0.7, -0.4]];
    for (let graph = 0; graph < 48; graph++) {
      const edges = randomGraph(rand, 5 + graph, 3 * (5 + graph), weightSets[graph % 3]);
      expect(chineseWhispers(edges, { iterations: 20 }).labels, `graph ${graph}`).toEqual(dlibChineseWhispers(edges, 20));
    }
  });

  it('cluster 400 faces of one person (spreading the edges overflowed the stack from ~360)', () => {
    const descriptors = Array.from({ length: 400 }, () => new Float32Array(128).fill(0.25));
    const { labels, clusterCount } = chineseWhispers({ descriptors });
    expect(clusterCount).toBe(1);
    expect(labels).toEqual(new Array(400).fill(0));
  });

  it('refuse 10,000 identical descriptors (5e7 edges) with an InputError over MAX_CLUSTER_EDGES, not a heap OOM', {
    timeout: 60_000,
  }, () => {
    // 16 values a descriptor instead of 128: the edges are the same, their distances quicker.
    const descriptors = Array.from({ length: 10_000 }, () => new Float32Array(16).fill(0.1));
    const e = thrown(() => chineseWhispers({ descriptors }));
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toMatch(/more than MAX_CLUSTER_EDGES \(2\^25 = 33554432\) edges/);
    expect(MAX_CLUSTER_EDGES).toBe(2 ** 25);
  });

  it('refuse an edge list longer than MAX_CLUSTER_EDGES before reading it', () => {
    const e = thrown(() => chineseWhispers(new Array<Edge>(MAX_CLUSTER_EDGES + 1)));
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toMatch(/edge list \(33554433\) has more than MAX_CLUSTER_EDGES/);
  });

  it('check node indices against MAX_CLUSTER_NODES (2^24) or nodeCount instead of allocating them', () => {
    for (const far of [2 ** 24, 1e8, 2 ** 30, 2 ** 32]) {
      const e = thrown(() => chineseWhispers([[0, far]]));
      expect(e, `[0, ${far}]`).toBeInstanceOf(InputError);
      expect((e as Error).message).toMatch(
        new RegExp(
          `edges\\[0\\] = \\[0, ${far}\\]: node indices must be integers from 0 to below MAX_CLUSTER_NODES \\(2\\^24\\); pass options.nodeCount`,
        ),
      );
    }
    expect(MAX_CLUSTER_NODES).toBe(2 ** 24);
    expect(() =>
      chineseWhispers(
        [
          [0, 1],
          [2, 4],
        ],
        { nodeCount: 4 },
      ),
    ).toThrow(/edges\[1\] = \[2, 4\]: .*below options.nodeCount \(4\)/);
    expect(() => chineseWhispers([[0, 1]], { nodeCount: 2 ** 24 + 1 })).toThrow(InputError);
  });

  it('give every node of nodeCount a label, the ones no edge touches clusters of their own', () => {
    expect(
      chineseWhispers(
        [
          [0, 1],
          [3, 3],
        ],
        { nodeCount: 5 },
      ),
    ).toEqual({ labels: [0, 0, 1, 2, 3], clusterCount: 4 });
    expect(chineseWhispers([], { nodeCount: 2 })).toEqual({ labels: [0, 1], clusterCount: 2 });
    // Without nodeCount, as dlib: nodes up to the largest index.
    expect(
      chineseWhispers([
        [0, 1],
        [3, 3],
      ]),
    ).toEqual({ labels: [0, 0, 1, 2], clusterCount: 3 });
  });
});

describe('descriptor input', () => {
  const three = [
    [0, 0],
    [0.1, 0],
    [5, 5],
  ];

  it('gives one label per descriptor, an isolated face its own cluster', () => {
    expect(chineseWhispers({ descriptors: three })).toEqual({ labels: [0, 0, 1], clusterCount: 2 });
    expect(chineseWhispers({ descriptors: three }, { threshold: 1e-9 })).toEqual({ labels: [0, 1, 2], clusterCount: 3 });
    expect(chineseWhispers({ descriptors: [] })).toEqual({ labels: [], clusterCount: 0 });
  });

  it('rejects a threshold of 0, NaN, -1 or Infinity (they gave [] for 3 descriptors)', () => {
    for (const threshold of [0, Number.NaN, -1, Infinity]) {
      const e = thrown(() => chineseWhispers({ descriptors: three }, { threshold }));
      expect(e, `threshold ${threshold}`).toBeInstanceOf(InputError);
      expect((e as Error).message).toMatch(`threshold must be a positive finite distance (dlib's is 0.6), got ${threshold}`);
    }
  });

  it('rejects a non-finite value, naming its descriptor and index (a NaN in the last one gave 2 labels for 3)', () => {
    expect(() =>
      chineseWhispers({
        descriptors: [
          [0, 0],
          [0, 0],
          [0, Number.NaN],
        ],
      }),
    ).toThrow(/descriptors\[2\]\[1\] is NaN, not a finite float32/);
    expect(() =>
      chineseWhispers({
        descriptors: [
          [0, 0],
          [Infinity, 0],
        ],
      }),
    ).toThrow(/descriptors\[1\]\[0\] is Infinity/);
    expect(() =>
      chineseWhispers({
        descriptors: [
          [0, 0],
          [1e39, 0],
        ],
      }),
    ).toThrow(/descriptors\[1\]\[0\] is 1e\+39, not a finite float32/);
  });
});

describe('the sparse descriptor graph', () => {
  /** Float32 descriptors around a few centres, so that many pairs are near any threshold. */
  function nearbyDescriptors(count: number, length: number): Float32Array[] {
    const rand = new DlibRand('nearby');
    const centres = Array.from({ length: 4 }, () => Float32Array.from({ length }, () => rand.doubleInRange(-0.1, 0.1)));
    return Array.from({ length: count }, (_, i) => Float32Array.from(centres[i % 4], (v) => v + rand.doubleInRange(-0.05, 0.05)));
  }

  function pairsByDistance(descriptors: ArrayLike<number>[], threshold: number): Edge[] {
    const edges: Edge[] = [];
    for (let i = 0; i < descriptors.length; i++) {
      for (let j = i; j < descriptors.length; j++) if (descriptorDistance(descriptors[i], descriptors[j]) < threshold) edges.push([i, j]);
    }
    return edges;
  }

  it("joins exactly the pairs whose float32 distance is below the threshold, at the threshold's last bit too", () => {
    const descriptors = nearbyDescriptors(43, 128);
    const distances = descriptors.flatMap((a, i) => descriptors.slice(i + 1).map((b) => descriptorDistance(a, b))).sort((a, b) => a - b);
    const median = distances[distances.length >> 1];
    const justAbove = median + median * Number.EPSILON;
    const atDistances = distances.filter((_, k) => k % 37 === 0).flatMap((d) => [d, d + d * Number.EPSILON]);
    for (const threshold of [median, justAbove, ...atDistances, 0.6]) {
      expect(descriptorGraph(descriptors, threshold), `threshold ${threshold}`).toEqual(pairsByDistance(descriptors, threshold));
    }
    expect(descriptorGraph(descriptors, justAbove).length).toBeGreaterThan(descriptorGraph(descriptors, median).length);
  });

  it('decides in float32 where it leaves its normal range: tiny distances, overflowing squares', () => {
    const tiny = [
      [0, 0],
      [1e-21, 0],
      [1e-19, 3e-20],
      [2e-38, 0],
    ];
    const huge = [
      [0, 0],
      [1e20, 0],
      [1e19, 1e19],
      [3e19, 0],
    ];
    for (const [descriptors, threshold] of [
      [tiny, 1e-20],
      [tiny, 2e-19],
      [huge, 1e30],
      [huge, 2e19],
    ] as const) {
      expect(descriptorGraph([...descriptors], threshold), `threshold ${threshold}`).toEqual(pairsByDistance([...descriptors], threshold));
    }
    // Squares of 1e20 overflow float32: dlib finds the distance infinite.
    expect(descriptorGraph(huge, 1e30)).not.toContainEqual([0, 1]);
  });

  it('reads number[] descriptors as float32, as dlib holds them', () => {
    // 1 + 2^-25 is 1 in float32: the two are the same descriptor to dlib.
    expect(descriptorDistance([1 + 2 ** -25], [1])).toBe(0);
    expect(descriptorGraph([[1 + 2 ** -25], [1]], 2 ** -26)).toEqual([
      [0, 0],
      [0, 1],
      [1, 1],
    ]);
    const descriptors = nearbyDescriptors(13, 5);
    const doubles = descriptors.map((d) => Array.from(d, (v) => v + v * 2 ** -30));
    expect(descriptorGraph(doubles, 0.1)).toEqual(descriptorGraph(descriptors, 0.1));
  });
});
