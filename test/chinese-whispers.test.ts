import { describe, expect, it } from 'vitest';
import { chineseWhispers, descriptorGraph, type Edge } from '../src/face/chinese-whispers.js';
import { InputError } from '../src/index.js';
import { fixtureJson } from './helpers.js';

// dlib 19.24's chinese_whispers on dlib's descriptors of the reference faces.
const cases = ['chinese_whispers_bald_guys', 'chinese_whispers_all88'];

describe.each(cases)('%s', (name) => {
  const reference = fixtureJson(`jitter/${name}.json`);
  const edges: Edge[] = reference.edges.map(([i, j]: number[]) => [i, j]);

  it('gives dlib\'s labels from dlib\'s edges (self edges included)', () => {
    const { labels, clusterCount } = chineseWhispers(edges);
    expect(labels).toEqual(reference.labels);
    expect(clusterCount).toBe(reference.num_clusters);
  });

  it('gives dlib\'s labels without self edges too', () => {
    const variant = reference.variant_without_self_edges;
    const { labels } = chineseWhispers(edges.filter(([i, j]) => i !== j));
    expect(labels).toEqual(variant.labels);
  });
});

describe('descriptor graph', () => {
  it('joins the faces dlib joins, by dlib\'s float32 distance', () => {
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
