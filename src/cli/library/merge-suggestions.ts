import { DescriptorBlocks } from '../../face/descriptor-blocks.js';
import { DESCRIPTOR_LENGTH } from '../../face/face-recognition-model.js';
import type { LibraryFace } from './people-clustering.js';

/** Two people who may be one: their nearest faces are `distance` apart. */
export interface MergeSuggestion {
  people: [number, number];
  distance: number;
  /** The two nearest faces' ids, one of each person. */
  faces: [number, number];
}

/**
 * Pairs of people whose nearest faces are closer than `limit` (the threshold
 * plus a margin): one person split over clusters, as chinese whispers may
 * leave them. Nearest first. Every pair of faces is measured, a face's
 * distances to all the others one call of the SIMD kernel.
 */
export async function mergeSuggestions(faces: LibraryFace[], limit: number): Promise<MergeSuggestion[]> {
  const people = faces.filter((face) => face.personId !== null);
  const blocks = await DescriptorBlocks.create(DESCRIPTOR_LENGTH);
  const nearest = new Map<string, MergeSuggestion>();
  try {
    blocks.reserve(people.length);
    for (const face of people) blocks.add(face.descriptor);
    for (const [i, a] of people.entries()) {
      const distances = blocks.distances(a.descriptor);
      for (let j = i + 1; j < people.length; j++) {
        const b = people[j];
        if (distances[j] >= limit || a.personId === b.personId) continue;
        const [first, second] = a.personId! < b.personId! ? [a, b] : [b, a];
        const key = `${first.personId}:${second.personId}`;
        const best = nearest.get(key);
        if (best === undefined || distances[j] < best.distance) {
          nearest.set(key, { people: [first.personId!, second.personId!], distance: distances[j], faces: [first.id, second.id] });
        }
      }
    }
  } finally {
    blocks.dispose();
  }
  return [...nearest.values()].sort((x, y) => x.distance - y.distance || x.people[0] - y.people[0] || x.people[1] - y.people[1]);
}
