import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { types as PgliteTypes } from '@electric-sql/pglite';
import { InputError } from '../../errors.js';
import { UsageError } from '../args.js';
import { isLockEntry, lockFolder } from './folder-lock.js';
import { migrateLibrary } from './library-schema.js';

/** Runs SQL: the library's one way to its database, the same statements on either engine. */
export interface LibrarySql {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /**
   * A query's rows in PostgreSQL's binary COPY format (see binary-copy.ts),
   * where the engine hands them over without making text of them first:
   * PGlite, whose rows of 100k descriptors take ~2.3 s as text and ~1 s
   * this way. Absent on a server, where `query` is the way.
   */
  copyBinary?(sql: string): Promise<Uint8Array>;
}

/**
 * A photo library's database: PGlite (PostgreSQL compiled to wasm, in this
 * process, persisted to a folder) or a PostgreSQL server. The same schema and
 * SQL on both.
 */
export interface LibraryStore extends LibrarySql {
  /** What `--db` named, for messages (a URL without its password). */
  readonly location: string;
  /** Whether other processes may share the library (a server): claims must then hold until committed. */
  readonly shared: boolean;
  /** Runs `work` in one transaction on one connection: committed if it returns, rolled back if it throws (or the process dies). */
  transaction<T>(work: (sql: LibrarySql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Whether `--db` names a PostgreSQL server rather than a library folder. */
export const isServerUrl = (db: string) => /^postgres(ql)?:\/\//.test(db);

/**
 * Opens the library `--db` names, a folder for PGlite or a postgres:// URL,
 * and brings its schema up to date. A library folder is made only with
 * `create` (by `index`): elsewhere a folder that is not one is an error.
 */
export async function openLibrary(db: string, { create = false } = {}): Promise<LibraryStore> {
  const store = isServerUrl(db) ? await openServer(db) : await openFolder(db, create);
  try {
    await store.transaction((sql) => migrateLibrary(sql));
    return store;
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The `--db` option: a library folder or a postgres:// URL. */
export function dbOption(options: Map<string, string | true>): string {
  const db = options.get('--db');
  if (typeof db !== 'string') throw new UsageError('--db LIBRARY is required (a folder, or postgres://...)');
  return db;
}

/** Opens the library (making it with `create`), runs `work` and closes it. */
export async function withLibrary<T>(db: string, work: (store: LibraryStore) => Promise<T>, create = false): Promise<T> {
  const store = await openLibrary(db, { create });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** The library folder's entries: PGlite's data folder and the lock of the process using it (folder-lock.ts). */
const DATA_FOLDER = 'postgres';
/** Where a new data folder is made, to be renamed DATA_FOLDER once complete. */
const NEW_DATA_FOLDER = 'postgres.new';

async function openFolder(folder: string, create: boolean): Promise<LibraryStore> {
  if (!create && !existsSync(join(folder, DATA_FOLDER))) {
    throw new InputError(`${folder} is not a photo library: \`dlib-wasm index PHOTOS... --db ${folder}\` makes one`);
  }
  mkdirSync(folder, { recursive: true });
  const foreign = readdirSync(folder).filter((entry) => ![DATA_FOLDER, NEW_DATA_FOLDER].includes(entry) && !isLockEntry(entry));
  if (foreign.length > 0) {
    throw new InputError(
      `${folder} holds files that are not a dlib-wasm library (${foreign.slice(0, 3).join(', ')}): choose a new or empty folder`,
    );
  }
  const unlock = await lockFolder(folder);
  try {
    // Loaded here only: the commands that use no library do not pay for PGlite's wasm.
    const { PGlite, types } = await import('@electric-sql/pglite');
    const byteaCodec = fastBytea(types);
    const data = join(folder, DATA_FOLDER);
    if (!existsSync(data)) {
      // PGlite writes a new data folder at the end of its initdb, file by file: made aside and
      // renamed, a run killed meanwhile leaves no half-written folder to be taken for a library.
      const fresh = join(folder, NEW_DATA_FOLDER);
      rmSync(fresh, { recursive: true, force: true });
      await (await PGlite.create(fresh, byteaCodec)).close();
      renameSync(fresh, data);
    }
    const db = await PGlite.create(data, byteaCodec);
    const run = async <Row>(on: Pick<typeof db, 'query'>, sql: string, params?: unknown[]) => (await on.query<Row>(sql, params)).rows;
    // PGlite's COPY to its '/dev/blob' device returns the output as a Blob.
    const copyBinary = async (on: Pick<typeof db, 'query'>, sql: string) => {
      const { blob } = await on.query(`COPY (${sql}) TO '/dev/blob' WITH (FORMAT binary)`);
      return new Uint8Array(await blob!.arrayBuffer());
    };
    return {
      location: folder,
      shared: false,
      query: (sql, params) => run(db, sql, params),
      copyBinary: (sql) => copyBinary(db, sql),
      transaction: (work) =>
        db.transaction((tx) => work({ query: (sql, params) => run(tx, sql, params), copyBinary: (sql) => copyBinary(tx, sql) })),
      close: async () => {
        try {
          await db.close();
        } finally {
          unlock();
        }
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}

/**
 * bytea to and from PostgreSQL's hex text in native code (Buffer), where
 * PGlite's own parser takes a parseInt a byte: reading back 100k descriptors
 * (51 MB) took it 8-10 s, this 1.5 s. Buffers, as `pg` gives on a server.
 */
function fastBytea({ BYTEA, parsers }: typeof PgliteTypes) {
  return {
    parsers: { [BYTEA]: (value: string) => (value.startsWith('\\x') ? Buffer.from(value.slice(2), 'hex') : parsers[BYTEA](value)) },
    serializers: {
      [BYTEA]: (value: unknown) => {
        if (!(value instanceof Uint8Array)) throw new TypeError('bytea parameters must be Uint8Arrays');
        return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
      },
    },
  };
}

async function openServer(url: string): Promise<LibraryStore> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // A connection the server drops while idle is an error event, not a crash: the next query reconnects.
  pool.on('error', () => undefined);
  // Messages and reports show the URL without its password.
  const shown = url.replace(/(\/\/[^:@/]*):[^@/]*@/, '$1@');
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw new InputError(`cannot reach the PostgreSQL server ${shown}: ${(error as Error).message}`);
  }
  return {
    location: shown,
    shared: true,
    query: async (sql, params) => (await pool.query(sql, params)).rows,
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({ query: async (sql, params) => (await client.query(sql, params)).rows });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
