import { describe, expect, it } from 'vitest';
import { chineseWhispers, chineseWhispersOnEdges } from '../src/face/chinese-whispers.js';
import { closePairs, packDescriptors } from '../src/face/descriptor-graph.js';
import { nearestNeighbours, neighbourGraph } from '../src/face/nearest-neighbours.js';
import { descriptorDistance, DlibRand, InputError } from '../src/index.js';
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

  it('finds by cells at least 99% of the exact edges, each an exact edge with its dlib distance', async () => {
    // 700 people of 10 faces in 14 cells: every person near some cell's border, pairs split between cells.
    const faces = syntheticFaces(700, 10);
    const packed = packDescriptors(faces);
    const exact = closePairs(packed, 0.6);
    const exactEdges = new Set<number>();
    for (let e = 0; e < exact.count; e++) exactEdges.add(exact.first[e] * faces.length + exact.second[e]);
    const cellSearch = { facesPerCell: 500, reach: 0.5, mostCellsEach: 8, nearerLimit: 0.8 };
    const lists = await nearestNeighbours(packed, 64, 0.6, { exactUpTo: 0, cellSearch, threads: 2 });
    let found = 0;
    const wrong: string[] = [];
    for (let i = 0; i < faces.length; i++) {
      for (let e = lists.offsets[i]; e < lists.offsets[i + 1]; e++) {
        const j = lists.indices[e];
        if (!exactEdges.has(Math.min(i, j) * faces.length + Math.max(i, j))) wrong.push(`${i}-${j} is no exact edge`);
        if (lists.distances[e] !== descriptorDistance(faces[i], faces[j])) wrong.push(`${i}-${j} at ${lists.distances[e]}`);
        if (i < j) found++;
      }
    }
    expect(wrong).toEqual([]);
    const exactPairs = exact.count - faces.length;
    expect(found / exactPairs).toBeGreaterThanOrEqual(0.99);
    // Without the borders' copies (a reach of 0) a share of the pairs is lost: the copies are what find them.
    const alone = await nearestNeighbours(packed, 64, 0.6, { exactUpTo: 0, cellSearch: { ...cellSearch, reach: 0 } });
    expect(alone.offsets[faces.length] / 2 / exactPairs).toBeLessThan(0.97);
  });

  it('is exact up to exactUpTo descriptors, and by cells past it', async () => {
    const packed = packDescriptors(syntheticFaces(100, 10));
    const cellSearch = { facesPerCell: 100, reach: 0, mostCellsEach: 1, nearerLimit: 0.8 };
    const exact = await nearestNeighbours(packed, 64, 0.6, { exactUpTo: 1000, cellSearch });
    const byCells = await nearestNeighbours(packed, 64, 0.6, { exactUpTo: 999, cellSearch });
    expect(exact).toEqual(await nearestNeighbours(packed, 64, 0.6, { exactUpTo: Infinity }));
    expect(byCells.offsets[1000]).toBeLessThan(exact.offsets[1000]);
  });

  it('rejects a k that is not a positive integer, and descriptors that are not all finite and of one length, with InputError', async () => {
    const packed = packDescriptors(syntheticFaces(2, 3));
    for (const k of [0, -1, 1.5, NaN]) {
      await expect(nearestNeighbours(packed, k, 0.6, { exactUpTo: 0 })).rejects.toThrow(InputError);
    }
    const withNaN = syntheticFaces(2, 3);
    withNaN[4][7] = NaN;
    expect(() => packDescriptors(withNaN)).toThrow(/descriptors\[4\]/);
    expect(() => packDescriptors(withNaN)).toThrow(InputError);
    const short = syntheticFaces(2, 3);
    short[5] = short[5].subarray(0, 127);
    expect(() => packDescriptors(short)).toThrow(/descriptors\[5\] has 127 values, descriptors\[0\] has 128/);
  });
});
