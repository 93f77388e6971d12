import { describe, expect, it } from 'vitest';
import { chineseWhispers, chineseWhispersOnEdges } from '../src/face/chinese-whispers.js';
import { closePairs, packDescriptors } from '../src/face/descriptor-graph.js';
import { nearestNeighbours, neighbourGraph } from '../src/face/nearest-neighbours.js';
import { descriptorDistance, DlibRand } from '../src/index.js';
import { fixtureJson } from './support/helpers.js';

/**
 * `people` descriptors around random centres (about 0.45 apart within a person, about 1.1 apart
 * between people, as dlib's are), dlib::rand-seeded so that every run is the same set.
 */
function syntheticFaces(people: number, perPerson: number): Float32Array[] {
  const rand = new DlibRand();
  const gaussian = () => {
    const u = Math.max(rand.nextDouble(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand.nextDouble());
  };
  const faces: Float32Array[] = [];
  for (let p = 0; p < people; p++) {
    const centre = Array.from({ length: 128 }, () => gaussian() * 0.07);
    for (let f = 0; f < perPerson; f++) faces.push(Float32Array.from(centre, (c) => c + gaussian() * 0.028));
  }
  return faces;
}

describe('the nearest-neighbour graph', () => {
  const { items } = fixtureJson<{ items: { descriptor: number[] }[] }>('descriptors.json');
  const real = items.map((it) => Float32Array.from(it.descriptor));

  it("lists each face's k nearest under the limit, nearest first, by dlib's float32 distance", async () => {
    const packed = packDescriptors(real);
    const lists = await nearestNeighbours(packed, 3, 0.6);
    for (let i = 0; i < real.length; i++) {
      const expected = real
        .map((d, j) => ({ j, distance: descriptorDistance(real[i], d) }))
        .filter(({ j, distance }) => j !== i && distance < 0.6)
        .sort((a, b) => a.distance - b.distance || a.j - b.j)
        .slice(0, 3);
      const row = Array.from(lists.indices.subarray(lists.offsets[i], lists.offsets[i + 1]));
      expect(row).toEqual(expected.map((e) => e.j));
      expect(Array.from(lists.distances.subarray(lists.offsets[i], lists.offsets[i + 1]))).toEqual(expected.map((e) => e.distance));
    }
  });

  it('is the all-pairs graph, edge for edge, when k holds every face under the threshold: the same labels', async () => {
    const faces = [...real, ...syntheticFaces(150, 12)];
    const packed = packDescriptors(faces);
    const allPairs = closePairs(packed, 0.6);
    const graph = neighbourGraph(await nearestNeighbours(packed, 64, 0.6));
    expect(graph.count).toBe(allPairs.count);
    expect(graph.first.subarray(0, graph.count)).toEqual(allPairs.first.subarray(0, allPairs.count));
    expect(graph.second.subarray(0, graph.count)).toEqual(allPairs.second.subarray(0, allPairs.count));
    const { labels, clusterCount } = chineseWhispersOnEdges(faces.length, graph);
    const expected = chineseWhispers({ descriptors: faces });
    expect(labels).toEqual(expected.labels);
    expect(clusterCount).toBe(expected.clusterCount);
    // The synthetic people are people apart: 150 clusters of 12 among them.
    expect(clusterCount).toBeGreaterThanOrEqual(150);
  });

  it('leaves out the edges `keep` refuses, and keeps fewer with a small k', async () => {
    const packed = packDescriptors(syntheticFaces(3, 10));
    const lists = await nearestNeighbours(packed, 2, 0.6);
    expect(Array.from(lists.offsets.subarray(1)).map((end, i) => end - lists.offsets[i])).toEqual(new Array(30).fill(2));
    const group = (i: number) => Math.floor(i / 10);
    const graph = neighbourGraph(lists, (i, j) => i % 2 === j % 2);
    for (let e = 0; e < graph.count; e++) {
      expect(graph.first[e] % 2).toBe(graph.second[e] % 2);
      expect(group(graph.first[e])).toBe(group(graph.second[e]));
    }
  });

  it('finds the same graph on 2 threads, and when one person has more pairs than a block has room for', async () => {
    // 400 faces of one person: each block of four queries has ~1,600 pairs, past the first room of 1,024.
    const faces = [...syntheticFaces(1, 400), ...syntheticFaces(20, 5)];
    const packed = packDescriptors(faces);
    const allPairs = closePairs(packed, 0.6);
    for (const threads of [1, 2]) {
      const graph = neighbourGraph(await nearestNeighbours(packed, 500, 0.6, { threads }));
      expect(graph.count).toBe(allPairs.count);
      expect(graph.first.subarray(0, graph.count)).toEqual(allPairs.first.subarray(0, allPairs.count));
      expect(graph.second.subarray(0, graph.count)).toEqual(allPairs.second.subarray(0, allPairs.count));
    }
    expect(allPairs.count).toBeGreaterThan(400 * 200);
  });
});
