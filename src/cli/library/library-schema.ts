import { InputError } from '../../errors.js';
import type { LibrarySql } from './library-store.js';

/**
 * The schema, a list of migrations: migration n takes a library from version
 * n to n + 1. Plain PostgreSQL, the same on PGlite and on a server.
 * Descriptors are bytea (128 float32, little-endian: exact, and a quarter of
 * their text), landmarks real[] (x, y, x, y...), chips PNG bytes.
 */
const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE photos (
      id serial PRIMARY KEY,
      path text NOT NULL UNIQUE,
      content_hash text NOT NULL,
      size bigint NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
      failure text,
      indexed_at timestamptz,
      indexed_by text
    )`,
    `CREATE INDEX photos_pending ON photos (id) WHERE status = 'pending'`,
    `CREATE TABLE people (
      id serial PRIMARY KEY,
      name text
    )`,
    `CREATE TABLE faces (
      id serial PRIMARY KEY,
      photo_id integer NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
      face_index integer NOT NULL,
      rect_left integer NOT NULL,
      rect_top integer NOT NULL,
      rect_right integer NOT NULL,
      rect_bottom integer NOT NULL,
      confidence real NOT NULL,
      landmarks real[] NOT NULL,
      descriptor bytea NOT NULL,
      chip bytea,
      person_id integer REFERENCES people (id) ON DELETE SET NULL,
      UNIQUE (photo_id, face_index)
    )`,
    `CREATE INDEX faces_person ON faces (person_id)`,
  ],
];

/** The schema version this code reads and writes. */
export const LIBRARY_VERSION = MIGRATIONS.length;

/** An arbitrary key of the advisory lock that lets one process at a time migrate a shared library. */
const MIGRATION_LOCK = 0x646c6962;

/** Brings the library to LIBRARY_VERSION, in the caller's transaction; refuses a library from a newer dlib-wasm. */
export async function migrateLibrary(sql: LibrarySql): Promise<void> {
  // Indexers starting together on a server would otherwise create the tables twice.
  await sql.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
  await sql.query('CREATE TABLE IF NOT EXISTS dlib_wasm_library (version integer NOT NULL)');
  const [row] = await sql.query<{ version: number }>('SELECT version FROM dlib_wasm_library');
  const version = row?.version ?? 0;
  if (version > LIBRARY_VERSION) {
    throw new InputError(
      `the library is of version ${version}, made by a newer dlib-wasm: this one reads up to version ${LIBRARY_VERSION}`,
    );
  }
  for (const statements of MIGRATIONS.slice(version)) for (const statement of statements) await sql.query(statement);
  if (row === undefined) await sql.query('INSERT INTO dlib_wasm_library (version) VALUES ($1)', [LIBRARY_VERSION]);
  else if (version < LIBRARY_VERSION) await sql.query('UPDATE dlib_wasm_library SET version = $1', [LIBRARY_VERSION]);
}
