import { chineseWhispersOnEdges } from '../../face/chinese-whispers.js';
import { DescriptorBlocks } from '../../face/descriptor-blocks.js';
import type { PackedDescriptors } from '../../face/descriptor-graph.js';
import { DESCRIPTOR_LENGTH } from '../../face/face-recognition-model.js';
import { EXACT_SEARCH_MOST, nearestNeighbours, neighbourGraph } from '../../face/nearest-neighbours.js';
import type { EdgeArrays } from '../../face/sparse-graph.js';
import { binaryCopyRows, int4 } from './binary-copy.js';
import { descriptorFromBytes } from './photo-claims.js';
import type { LibrarySql } from './library-store.js';

export interface PeopleOptions {
  /** Faces closer than this are joined (dlib's 0.6). */
  threshold: number;
  /**
   * Each face's nearest faces the graph joins it to, at most. Default 128 (a
   * person's every face, up to people of that many) where the search is
   * exact, 32 by cells: a million faces' lists of 128 would not fit in 4 GB.
   */
  neighbours?: number;
  /** Two faces of one photo are never one person. */
  samePhotoDifferentPeople: boolean;
  /** Cluster every face again, rather than only those no person has yet. */
  recluster: boolean;
  /** Threads that share the nearest-neighbour search. */
  threads: number;
  /** The exact nearest-neighbour search whatever the count (otherwise by cells past EXACT_SEARCH_MOST faces). */
  exact?: boolean;
}

/** What a `people` run did. */
export interface PeopleRun {
  faces: number;
  /** Whether every face was clustered (the first run, or --recluster). */
  reclustered: boolean;
  /** New faces that joined a person they were near. */
  joined: number;
  /** People made for faces near no one. */
  newPeople: number;
}

/** A face of the library, as clustering needs it. */
export interface LibraryFace {
  id: number;
  photoId: number;
  personId: number | null;
  descriptor: Float32Array;
}

/** An arbitrary key of the advisory lock that keeps two `people` runs on one library from interleaving. */
const PEOPLE_LOCK = 0x70656f70;

/**
 * The faces of indexed photos, in the order of their photos' paths (bytewise)
 * and the detector's: the order `cluster` takes a folder's photos in, and one
 * that does not depend on the order indexers took the photos in.
 */
export async function loadFaces(sql: LibrarySql): Promise<LibraryFace[]> {
  const query = `SELECT f.id, f.photo_id, f.person_id, f.descriptor FROM faces f JOIN photos p ON p.id = f.photo_id
     WHERE p.status = 'done' ORDER BY p.path COLLATE "C", f.face_index`;
  if (sql.copyBinary) {
    return binaryCopyRows(await sql.copyBinary(query)).map(([id, photoId, personId, descriptor]) => ({
      id: int4(id)!,
      photoId: int4(photoId)!,
      personId: int4(personId),
      descriptor: descriptorFromBytes(descriptor!),
    }));
  }
  const rows = await sql.query<{ id: number; photo_id: number; person_id: number | null; descriptor: Uint8Array }>(query);
  return rows.map((r) => ({ id: r.id, photoId: r.photo_id, personId: r.person_id, descriptor: descriptorFromBytes(r.descriptor) }));
}

function pack(faces: LibraryFace[]): PackedDescriptors {
  const values = new Float32Array(faces.length * DESCRIPTOR_LENGTH);
  faces.forEach((face, i) => values.set(face.descriptor, i * DESCRIPTOR_LENGTH));
  return { values, count: faces.length, length: DESCRIPTOR_LENGTH };
}

/**
 * Clusters faces with dlib's chinese whispers on their nearest-neighbour
 * graph (each face joined to its `neighbours` nearest under the threshold):
 * with every edge under the threshold in it, the labels of `cluster`'s
 * all-pairs run. Past EXACT_SEARCH_MOST faces (unless `exact`) the graph is
 * searched by cells: every edge in it is exact, ~1% of the exact graph's
 * edges are missed (bench/RESULTS.md). With `samePhotoDifferentPeople`, faces of one photo are not
 * joined, and where a cluster still holds several faces of one photo, all but
 * the one with most edges into the cluster leave it for clusters of their own.
 */
export async function clusterFaces(faces: LibraryFace[], options: PeopleOptions): Promise<number[]> {
  const exactUpTo = options.exact ? Number.POSITIVE_INFINITY : EXACT_SEARCH_MOST;
  const neighbours = options.neighbours ?? (faces.length <= exactUpTo ? 128 : 32);
  const lists = await nearestNeighbours(pack(faces), neighbours, options.threshold, { threads: options.threads, exactUpTo });
  const samePhoto = (i: number, j: number) => faces[i].photoId === faces[j].photoId;
  const edges = neighbourGraph(lists, options.samePhotoDifferentPeople ? (i, j) => !samePhoto(i, j) : undefined);
  const { labels, clusterCount } = chineseWhispersOnEdges(faces.length, edges);
  return options.samePhotoDifferentPeople ? separatePhotoMates(faces, labels, clusterCount, edges) : labels;
}

function separatePhotoMates(faces: LibraryFace[], labels: number[], clusterCount: number, edges: EdgeArrays): number[] {
  const inCluster = new Int32Array(faces.length);
  for (let e = 0; e < edges.count; e++) {
    const i = edges.first[e];
    const j = edges.second[e];
    if (i !== j && labels[i] === labels[j]) {
      inCluster[i]++;
      inCluster[j]++;
    }
  }
  // The face kept for each (cluster, photo): the best connected, the first of equals.
  const kept = new Map<string, number>();
  faces.forEach((face, i) => {
    const key = `${labels[i]}:${face.photoId}`;
    const best = kept.get(key);
    if (best === undefined || inCluster[i] > inCluster[best]) kept.set(key, i);
  });
  let next = clusterCount;
  return labels.map((label, i) => (kept.get(`${label}:${faces[i].photoId}`) === i ? label : next++));
}

/**
 * Clusters the library's faces into people. The first run (and
 * `recluster`) clusters every face; each cluster keeps the id (and name) of
 * the person who had most of its faces, so that people keep their ids and
 * names across runs. Otherwise only faces no person has yet are clustered:
 * each joins the person of its nearest face under the threshold (with
 * `samePhotoDifferentPeople`, a person without a face of its photo), and
 * those near no one are clustered among themselves into new people. People
 * left with no face are removed. One transaction.
 */
export async function clusterPeople(sql: LibrarySql, options: PeopleOptions): Promise<PeopleRun> {
  await sql.query(`SELECT pg_advisory_xact_lock(${PEOPLE_LOCK})`);
  // A rerun with no new face reads no descriptor (through the person index: no scan of the faces either).
  const [{ fresh }] = await sql.query<{ fresh: number }>(
    `SELECT count(*)::int AS fresh FROM faces f JOIN photos p ON p.id = f.photo_id WHERE f.person_id IS NULL AND p.status = 'done'`,
  );
  if (fresh === 0 && !options.recluster) {
    await removeFacelessPeople(sql);
    const [{ faces }] = await sql.query<{ faces: number }>('SELECT count(*)::int AS faces FROM faces');
    return { faces, reclustered: false, joined: 0, newPeople: 0 };
  }
  const faces = await loadFaces(sql);
  const reclustered = options.recluster || faces.every((face) => face.personId === null);
  const assignment = new Map<number, number>();
  let joined = 0;
  let newPeople = 0;
  if (reclustered) {
    const labels = await clusterFaces(faces, options);
    const owners = await clusterOwners(sql, faces, labels);
    for (const [i, face] of faces.entries()) assignment.set(face.id, owners.get(labels[i])!.id);
    newPeople = [...owners.values()].filter((owner) => owner.isNew).length;
  } else {
    const known = faces.filter((face) => face.personId !== null);
    const fresh = faces.filter((face) => face.personId === null);
    const near = await nearestPeople(known, fresh, options);
    joined = near.filter((person) => person !== undefined).length;
    fresh.forEach((face, i) => near[i] !== undefined && assignment.set(face.id, near[i]));
    const alone = fresh.filter((_, i) => near[i] === undefined);
    if (alone.length > 0) {
      const labels = await clusterFaces(alone, options);
      const ids = await newPersonIds(sql, labels.reduce((most, label) => Math.max(most, label), -1) + 1);
      alone.forEach((face, i) => assignment.set(face.id, ids[labels[i]]));
      newPeople = ids.length;
    }
  }
  if (assignment.size > 0) {
    await sql.query('UPDATE faces SET person_id = v.person FROM unnest($1::int[], $2::int[]) AS v(face, person) WHERE faces.id = v.face', [
      [...assignment.keys()],
      [...assignment.values()],
    ]);
  }
  await removeFacelessPeople(sql);
  return { faces: faces.length, reclustered, joined, newPeople };
}

/** People whose faces all went (their photos changed or were redone) are no one. */
async function removeFacelessPeople(sql: LibrarySql): Promise<void> {
  await sql.query('DELETE FROM people WHERE NOT EXISTS (SELECT 1 FROM faces WHERE faces.person_id = people.id)');
}

async function newPersonIds(sql: LibrarySql, count: number): Promise<number[]> {
  const rows = await sql.query<{ id: number }>('INSERT INTO people (name) SELECT NULL FROM generate_series(1, $1::int) RETURNING id', [
    count,
  ]);
  return rows.map((row) => row.id).sort((a, b) => a - b);
}

/**
 * The person each cluster becomes: the one that had most of its faces (ties:
 * a named one, then the smaller id), each person at most one cluster; a new
 * person for the rest, in order of the clusters' first faces.
 */
async function clusterOwners(
  sql: LibrarySql,
  faces: LibraryFace[],
  labels: number[],
): Promise<Map<number, { id: number; isNew: boolean }>> {
  const named = new Set((await sql.query<{ id: number }>('SELECT id FROM people WHERE name IS NOT NULL')).map((row) => row.id));
  const overlap = new Map<string, { label: number; person: number; faces: number }>();
  faces.forEach((face, i) => {
    if (face.personId === null) return;
    const key = `${labels[i]}:${face.personId}`;
    const entry = overlap.get(key) ?? { label: labels[i], person: face.personId, faces: 0 };
    entry.faces++;
    overlap.set(key, entry);
  });
  const ranked = [...overlap.values()].sort(
    (a, b) => b.faces - a.faces || Number(named.has(b.person)) - Number(named.has(a.person)) || a.person - b.person || a.label - b.label,
  );
  const owners = new Map<number, { id: number; isNew: boolean }>();
  const taken = new Set<number>();
  for (const { label, person } of ranked) {
    if (owners.has(label) || taken.has(person)) continue;
    owners.set(label, { id: person, isNew: false });
    taken.add(person);
  }
  const unowned = [...new Set(labels)].filter((label) => !owners.has(label));
  const ids = await newPersonIds(sql, unowned.length);
  unowned.forEach((label, n) => owners.set(label, { id: ids[n], isNew: true }));
  return owners;
}

/**
 * For each fresh face, the person of its nearest known face under the
 * threshold (with samePhotoDifferentPeople, the nearest whose person has no
 * face of its photo yet, counting the fresh faces that joined before it), or
 * undefined.
 */
async function nearestPeople(known: LibraryFace[], fresh: LibraryFace[], options: PeopleOptions): Promise<(number | undefined)[]> {
  if (known.length === 0 || fresh.length === 0) return fresh.map(() => undefined);
  const blocks = await DescriptorBlocks.create(DESCRIPTOR_LENGTH);
  try {
    blocks.reserve(known.length);
    for (const face of known) blocks.add(face.descriptor);
    const photosOf = new Map<number, Set<number>>();
    for (const face of known) {
      const photos = photosOf.get(face.personId!) ?? new Set<number>();
      photos.add(face.photoId);
      photosOf.set(face.personId!, photos);
    }
    return fresh.map((face) => {
      const distances = blocks.distances(face.descriptor);
      const candidates: number[] = [];
      for (let k = 0; k < known.length; k++) if (distances[k] < options.threshold) candidates.push(k);
      candidates.sort((a, b) => distances[a] - distances[b] || a - b);
      for (const k of candidates) {
        const person = known[k].personId!;
        const photos = photosOf.get(person)!;
        if (options.samePhotoDifferentPeople && photos.has(face.photoId)) continue;
        photos.add(face.photoId);
        return person;
      }
      return undefined;
    });
  } finally {
    blocks.dispose();
  }
}
