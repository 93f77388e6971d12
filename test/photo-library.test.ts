import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLibrary } from '../src/cli/library/library-store.js';
import { runCli, startCli } from './support/cli.js';

// The photo library on PGlite (the default store), through the CLI as `npm run build` builds it:
// index killed and resumed, reruns, people against cluster's all-pairs run, names and ids across
// runs, and the report. One library, the steps in order.

const lfw = (person: string, n: number) => join('test/fixtures/lfw/deepfunneled_250', person, `${person}_000${n}.jpg`);
const dir = mkdtempSync(join(tmpdir(), 'dlib-wasm-library-'));
const photos = join(dir, 'photos');
const library = join(dir, 'library');
/** A photo of two faces that dlib finds closer than 0.6: one person, unless --same-photo-different-people. */
const pair = '2008_001009.jpg';

interface FaceRow {
  photo: string;
  face_index: number;
  person_id: number | null;
  left: number;
  top: number;
}

/** The library's faces, by photo name and face, with their people. */
async function libraryFaces(): Promise<FaceRow[]> {
  const store = await openLibrary(library);
  try {
    const rows = await store.query<FaceRow>(
      `SELECT p.path AS photo, f.face_index, f.person_id, f.rect_left AS left, f.rect_top AS top
       FROM faces f JOIN photos p ON p.id = f.photo_id ORDER BY p.path COLLATE "C", f.face_index`,
    );
    return rows.map((row) => ({ ...row, photo: basename(row.photo) }));
  } finally {
    await store.close();
  }
}

const personOf = (faces: FaceRow[], photo: string, index = 0) => faces.find((f) => f.photo === photo && f.face_index === index)!.person_id;

/** A clustering as a set of sets of faces (photo name and rect corner), whatever the labels. */
function partition(groups: { photo: string; left: number; top: number }[][]): string[][] {
  return groups.map((faces) => faces.map((f) => `${basename(f.photo)}@${f.left},${f.top}`).sort()).sort();
}

beforeAll(() => {
  mkdirSync(photos);
  for (const [person, n] of [
    ['Abel_Pacheco', 1],
    ['Abel_Pacheco', 2],
    ['Akhmed_Zakayev', 1],
    ['Akhmed_Zakayev', 2],
    ['Akhmed_Zakayev', 3],
    ['Amber_Tamblyn', 1],
    ['Amber_Tamblyn', 2],
  ] as const)
    copyFileSync(lfw(person, n), join(photos, basename(lfw(person, n))));
  copyFileSync(join('test/fixtures/photos', pair), join(photos, pair));
});

describe('the photo library on PGlite', () => {
  it('resumes a run killed by SIGKILL after its first batch: every photo indexed, none twice', async () => {
    const killed = startCli(['index', photos, '--db', library, '--batch', '1', '--chips', '--threads', '1']);
    // Progress counts committed photos: the first line means one batch is in the library.
    await killed.stderrMatch(/dlib-wasm: 1\/8 photos/);
    killed.child.kill('SIGKILL');
    expect((await killed.done).signal).toBe('SIGKILL');

    const resumed = await runCli(['index', photos, '--db', library, '--chips', '--quiet']);
    expect(resumed.code).toBe(0);
    const indexed = Number(/^indexed (\d+) photos/.exec(resumed.stdout)?.[1]);
    expect(indexed).toBeGreaterThanOrEqual(1);
    expect(indexed).toBeLessThanOrEqual(7);
    expect(resumed.stdout).toContain('0 new, 0 changed, 8 unchanged; the library holds 8 photos and 9 faces');
    const faces = await libraryFaces();
    expect(faces.map((f) => `${f.photo}#${f.face_index}`)).toEqual([
      `${pair}#0`,
      `${pair}#1`,
      ...readdirSync(photos)
        .filter((name) => name !== pair)
        .sort()
        .map((name) => `${name}#0`),
    ]);
  }, 120_000);

  it('skips the photos whose content is unchanged on a rerun', async () => {
    const rerun = await runCli(['index', photos, '--db', library]);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toBe(
      'indexed 0 photos (0 faces, 0 failed); 0 new, 0 changed, 8 unchanged; the library holds 8 photos and 9 faces\n',
    );
  }, 60_000);

  it('refuses a folder that is not a library, rather than making one or writing into it', async () => {
    const none = join(dir, 'no-library');
    const people = await runCli(['people', '--db', none]);
    expect(people.code).toBe(1);
    expect(people.stderr).toContain(`${none} is not a photo library`);
    expect(readdirSync(dir)).not.toContain('no-library');
    const foreign = await runCli(['index', photos, '--db', photos]);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain(`${photos} holds files that are not a dlib-wasm library`);
  });

  it("clusters the faces into the people cluster's all-pairs run finds", async () => {
    const people = await runCli(['people', '--db', library]);
    expect(people.code).toBe(0);
    expect(people.stderr).toContain('9 faces, 4 people: every face clustered, 4 new people');
    const faces = await libraryFaces();
    const byPerson = new Map<number | null, FaceRow[]>();
    for (const face of faces) byPerson.set(face.person_id, [...(byPerson.get(face.person_id) ?? []), face]);
    expect(
      people.stdout
        .split('\n')
        .slice(0, -1)
        .map((line) => line.split('\t')),
    ).toEqual(
      [...byPerson]
        .sort(([a, x], [b, y]) => y.length - x.length || a! - b!)
        .map(([id, members]) => [String(id), String(members.length), '']),
    );

    const report = join(dir, 'cluster-report');
    const clustered = await runCli(['cluster', photos, '--out', report, '--quiet']);
    expect(clustered.code).toBe(0);
    const { clusters } = JSON.parse(readFileSync(join(report, 'clusters.json'), 'utf8')) as {
      clusters: { faces: { photo: string; rect: { left: number; top: number } }[] }[];
    };
    expect(partition([...byPerson.values()])).toEqual(partition(clusters.map((c) => c.faces.map((f) => ({ photo: f.photo, ...f.rect })))));
    // dlib joins the two faces of the pair photo at 0.6.
    expect(personOf(faces, pair, 0)).toBe(personOf(faces, pair, 1));
  }, 60_000);

  it('keeps ids and names as new faces join their people, and through a full recluster', async () => {
    const before = await libraryFaces();
    const abel = personOf(before, 'Abel_Pacheco_0001.jpg')!;
    const akhmed = personOf(before, 'Akhmed_Zakayev_0001.jpg')!;
    expect((await runCli(['name', '--db', library, String(abel), 'Abel Pacheco'])).code).toBe(0);
    const missing = await runCli(['name', '--db', library, '999', 'Nobody']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('the library has no person 999');

    // A new photo of Abel, and Amber's second photo replaced by one of Afton Smith.
    copyFileSync(lfw('Abel_Pacheco', 4), join(photos, 'Abel_Pacheco_0004.jpg'));
    copyFileSync(lfw('Afton_Smith', 1), join(photos, 'Amber_Tamblyn_0002.jpg'));
    const added = await runCli(['index', photos, '--db', library, '--chips', '--quiet']);
    expect(added.stdout).toBe(
      'indexed 2 photos (2 faces, 0 failed); 1 new, 1 changed, 7 unchanged; the library holds 9 photos and 10 faces\n',
    );

    const incremental = await runCli(['people', '--db', library]);
    expect(incremental.stderr).toContain('10 faces, 5 people: 1 new faces joined people, 1 new people');
    const after = await libraryFaces();
    expect(personOf(after, 'Abel_Pacheco_0004.jpg')).toBe(abel);
    expect(incremental.stdout).toContain(`${abel}\t3\tAbel Pacheco\n`);
    const afton = personOf(after, 'Amber_Tamblyn_0002.jpg');
    expect(after.filter((f) => f.person_id === afton)).toHaveLength(1);
    for (const face of before) expect(afton).toBeGreaterThan(face.person_id!);
    // Nothing new: the people stay as they are (the run reads no descriptor).
    const rerun = await runCli(['people', '--db', library]);
    expect(rerun.stderr).toContain('10 faces, 5 people: 0 new faces joined people, 0 new people');
    expect(rerun.stdout).toBe(incremental.stdout);
    expect(await libraryFaces()).toEqual(after);

    const reclustered = await runCli(['people', '--db', library, '--recluster', '--same-photo-different-people', '--exact']);
    expect(reclustered.code).toBe(0);
    const final = await libraryFaces();
    expect(personOf(final, 'Abel_Pacheco_0001.jpg')).toBe(abel);
    expect(personOf(final, 'Akhmed_Zakayev_0002.jpg')).toBe(akhmed);
    expect(reclustered.stdout).toContain(`${abel}\t3\tAbel Pacheco\n`);
    // The pair photo's faces are two people now.
    expect(personOf(final, pair, 0)).not.toBe(personOf(final, pair, 1));
  }, 120_000);

  it('writes the report: a row of chips per person, names, and the split pair as the first merge suggestion', async () => {
    const out = join(dir, 'report');
    const report = await runCli(['report', '--db', library, '--out', out]);
    expect(report.code).toBe(0);
    expect(report.stdout).toBe(`6 people, 10 faces. Wrote ${join(out, 'index.html')}\n`);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const faces = await libraryFaces();
    const chips = readdirSync(join(out, 'chips'), { recursive: true }).filter((f) => String(f).endsWith('.png'));
    expect(chips).toHaveLength(10);
    expect(html.match(/<section id="person-\d+">/g)).toHaveLength(6);
    expect(html).toContain('Abel Pacheco (person');
    const [a, b] = [personOf(faces, pair, 0)!, personOf(faces, pair, 1)!].sort((x, y) => x - y);
    // Each suggestion shows the two nearest faces' chips, then the two people.
    const first =
      /<li><img src="chips\/\d+\/\d+\.png"[^>]*><img src="chips\/\d+\/\d+\.png"[^>]*> <a href="#person-(\d+)">.*?<a href="#person-(\d+)">.*?nearest faces ([\d.]+) apart<\/li>/.exec(
        html,
      );
    expect([Number(first?.[1]), Number(first?.[2])]).toEqual([a, b]);
    expect(Number(first?.[3])).toBeLessThan(0.6);
  }, 60_000);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
