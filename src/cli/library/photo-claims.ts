import type { Point, Rectangle } from '../../geometry/point-transforms.js';
import type { LibrarySql, LibraryStore } from './library-store.js';

/** A photo file as found on disk. */
export interface PhotoFile {
  path: string;
  contentHash: string;
  size: number;
}

/** What registering the photos found did. */
export interface Registration {
  added: number;
  changed: number;
  unchanged: number;
}

/** Photos registered per transaction. */
const REGISTER_BATCH = 500;

/**
 * Puts the photos found into the library: a new path is a pending photo; a
 * path whose content changed loses its faces and is pending again; one whose
 * content is unchanged is left as it is (done, failed or still pending). A
 * transaction per batch of paths, each safe to run again: a run killed here
 * registers the rest next time.
 */
export async function registerPhotos(store: LibraryStore, found: PhotoFile[]): Promise<Registration> {
  const registration: Registration = { added: 0, changed: 0, unchanged: 0 };
  // Each path once, in one order for every indexer: two registering the same new paths then wait
  // for each other's rows in turn, never in a deadlock.
  const files = [...new Map(found.map((file) => [file.path, file])).values()].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
  for (let start = 0; start < files.length; start += REGISTER_BATCH) {
    const batch = files.slice(start, start + REGISTER_BATCH);
    await store.transaction(async (sql) => {
      const known = new Map(
        (
          await sql.query<{ path: string; content_hash: string }>('SELECT path, content_hash FROM photos WHERE path = ANY($1::text[])', [
            batch.map((f) => f.path),
          ])
        ).map((row) => [row.path, row.content_hash]),
      );
      const added = batch.filter((f) => !known.has(f.path));
      const changed = batch.filter((f) => known.has(f.path) && known.get(f.path) !== f.contentHash);
      registration.added += added.length;
      registration.changed += changed.length;
      registration.unchanged += batch.length - added.length - changed.length;
      if (added.length > 0) {
        // Another indexer may register the same path meanwhile: the first one's row stands.
        await sql.query(
          `INSERT INTO photos (path, content_hash, size)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT (path) DO NOTHING`,
          [added.map((f) => f.path), added.map((f) => f.contentHash), added.map((f) => f.size)],
        );
      }
      for (const file of changed) {
        const updated = await sql.query<{ id: number }>(
          `UPDATE photos SET content_hash = $2, size = $3, status = 'pending', failure = NULL, indexed_at = NULL, indexed_by = NULL
           WHERE path = $1 AND content_hash <> $2 RETURNING id`,
          [file.path, file.contentHash, file.size],
        );
        for (const { id } of updated) await sql.query('DELETE FROM faces WHERE photo_id = $1', [id]);
      }
    });
  }
  return registration;
}

/** A photo claimed for indexing. */
export interface ClaimedPhoto {
  id: number;
  path: string;
}

/**
 * Claims up to `count` pending photos in the caller's transaction: their rows
 * stay locked until it commits (the photos then done) or rolls back, which a
 * server does by itself when the indexer's connection dies, so that another
 * indexer takes them. Photos other indexers hold are skipped, not waited for.
 */
export async function claimPhotos(sql: LibrarySql, count: number): Promise<ClaimedPhoto[]> {
  return sql.query<ClaimedPhoto>(`SELECT id, path FROM photos WHERE status = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, [
    count,
  ]);
}

/** Photos pending, counting those other indexers hold now (they return to pending if an indexer dies). */
export async function pendingPhotos(sql: LibrarySql): Promise<number> {
  const [{ pending }] = await sql.query<{ pending: number }>(`SELECT count(*)::int AS pending FROM photos WHERE status = 'pending'`);
  return pending;
}

/** A face found in a photo, described. */
export interface IndexedFace {
  rect: Rectangle;
  confidence: number;
  landmarks: Point[];
  descriptor: Float32Array;
  /** The aligned chip as PNG, when chips are kept. */
  chip?: Uint8Array;
}

/** A descriptor's bytea: its float32 values, little-endian as every runtime of this package is. */
export const descriptorBytes = (descriptor: Float32Array) =>
  new Uint8Array(descriptor.buffer, descriptor.byteOffset, descriptor.byteLength).slice();

/**
 * A descriptor from its bytea, copied (the bytes may not be 4-aligned) by
 * `set`, a memcpy: `Uint8Array.from` walks them one by one (0.3 s for 100k).
 */
export function descriptorFromBytes(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/** Records a claimed photo's faces and marks it done, in the claim's transaction. */
export async function recordPhoto(sql: LibrarySql, photo: ClaimedPhoto, faces: IndexedFace[], indexer: string): Promise<void> {
  for (const [k, face] of faces.entries()) {
    await sql.query(
      `INSERT INTO faces (photo_id, face_index, rect_left, rect_top, rect_right, rect_bottom, confidence, landmarks, descriptor, chip)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::real[], $9, $10)`,
      [
        photo.id,
        k,
        face.rect.left,
        face.rect.top,
        face.rect.right,
        face.rect.bottom,
        face.confidence,
        face.landmarks.flat(),
        descriptorBytes(face.descriptor),
        face.chip ?? null,
      ],
    );
  }
  await sql.query(`UPDATE photos SET status = 'done', indexed_at = now(), indexed_by = $2 WHERE id = $1`, [photo.id, indexer]);
}

/** Marks a claimed photo that could not be read or decoded as failed (tried again only once its content changes). */
export async function recordFailure(sql: LibrarySql, photo: ClaimedPhoto, failure: string, indexer: string): Promise<void> {
  await sql.query(`UPDATE photos SET status = 'failed', failure = $2, indexed_at = now(), indexed_by = $3 WHERE id = $1`, [
    photo.id,
    failure,
    indexer,
  ]);
}
