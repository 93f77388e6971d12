import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLibrary } from '../src/cli/library/library-store.js';
import { runCli, startCli } from './support/cli.js';
import { type PostgresServer, startPostgresServer } from './support/postgres-server.js';

// The photo library on a PostgreSQL server of the test's own (Debian's postgresql): two indexers
// share it, one is killed with SIGKILL in the middle of a batch, and every photo is indexed once.

const people = { Abel_Pacheco: [1, 2, 4], Akhmed_Zakayev: [1, 2, 3], Amber_Tamblyn: [1, 2] };
const dir = mkdtempSync(join(tmpdir(), 'dlib-wasm-library-server-'));
const photos = join(dir, 'photos');
let server: PostgresServer;

beforeAll(async () => {
  mkdirSync(photos);
  for (const [person, numbers] of Object.entries(people)) {
    for (const n of numbers) {
      const name = `${person}_000${n}.jpg`;
      copyFileSync(join('test/fixtures/lfw/deepfunneled_250', person, name), join(photos, name));
    }
  }
  server = await startPostgresServer();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the photo library on a PostgreSQL server', () => {
  it('shares the photos between two indexers; one killed mid-batch loses none, and none is indexed twice', async () => {
    const index = () => startCli(['index', photos, '--db', server.url, '--batch', '1', '--threads', '1']);
    const killed = index();
    const survivor = index();
    // Its first batch committed, the killed indexer is at work on its next claim (in all likelihood) when it dies.
    await killed.stderrMatch(/dlib-wasm: 1\/\d photos/);
    killed.child.kill('SIGKILL');
    expect((await killed.done).signal).toBe('SIGKILL');
    const survived = await survivor.done;
    expect(survived.stderr).not.toMatch(/error/i);
    expect(survived.code).toBe(0);

    const store = await openLibrary(server.url);
    try {
      const rows = await store.query<{ path: string; status: string; indexed_by: string; faces: number }>(
        `SELECT p.path, p.status, p.indexed_by, count(f.id)::int AS faces, count(DISTINCT f.face_index)::int AS distinct_faces
         FROM photos p LEFT JOIN faces f ON f.photo_id = p.id GROUP BY p.id ORDER BY p.path`,
      );
      expect(rows.map((r) => [basename(r.path), r.status, r.faces])).toEqual(
        readdirSync(photos)
          .sort()
          .map((name) => [name, 'done', 1]),
      );
      // Both indexers did some: the killed one its first photo at least, the survivor the rest.
      const indexers = new Set(rows.map((r) => r.indexed_by.split(':')[1]));
      expect(indexers).toEqual(new Set([String(killed.child.pid), String(survivor.child.pid)]));
    } finally {
      await store.close();
    }
  }, 120_000);

  it('runs the same schema and queries: a rerun skips every photo, people finds the three people, name and report', async () => {
    const rerun = await runCli(['index', photos, '--db', server.url]);
    expect(rerun.stdout).toBe(
      'indexed 0 photos (0 faces, 0 failed); 0 new, 0 changed, 8 unchanged; the library holds 8 photos and 8 faces\n',
    );
    const clustered = await runCli(['people', '--db', server.url]);
    expect(clustered.code).toBe(0);
    expect(
      clustered.stdout
        .split('\n')
        .slice(0, -1)
        .map((line) => line.split('\t')[1]),
    ).toEqual(['3', '3', '2']);
    const store = await openLibrary(server.url);
    try {
      const groups = await store.query<{ names: string[] }>(
        `SELECT array_agg(regexp_replace(p.path, '^.*/|_\\d+\\.jpg$', '', 'g') ORDER BY p.path) AS names
         FROM faces f JOIN photos p ON p.id = f.photo_id GROUP BY f.person_id ORDER BY min(p.path)`,
      );
      expect(groups.map((g) => g.names)).toEqual(Object.entries(people).map(([person, numbers]) => numbers.map(() => person)));
    } finally {
      await store.close();
    }
    const [first] = clustered.stdout.split('\t');
    expect((await runCli(['name', '--db', server.url, first, 'Someone'])).code).toBe(0);
    const out = join(dir, 'report');
    const report = await runCli(['report', '--db', server.url, '--out', out]);
    expect(report.stdout).toBe(`3 people, 8 faces. Wrote ${join(out, 'index.html')}\n`);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain(`Someone (person ${first})`);
  }, 60_000);
});
