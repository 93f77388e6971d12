import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectorOption, integerOption, parseArgs, threadsOption, upsampleOption, UsageError } from './args.js';
import { encodePng } from './encode-png.js';
import { isUserFacing, reportFailure } from './each-image.js';
import {
  type ClaimedPhoto,
  claimPhotos,
  type IndexedFace,
  type PhotoFile,
  pendingPhotos,
  recordFailure,
  recordPhoto,
  registerPhotos,
} from './library/photo-claims.js';
import { dbOption, withLibrary } from './library/library-store.js';
import type { LocatedPhotoFace } from './photo-locator-pool.js';
import { listPhotos } from './photo-files.js';
import { startPhotoPipeline } from './pipeline-models.js';
import { Progress } from './progress.js';
import { readRegularFile } from './regular-file.js';

/** Photos claimed, indexed and committed together by default. */
const DEFAULT_BATCH = 16;
/** How long an indexer waits before looking again for photos other indexers hold (they return if one dies). */
const WAIT_FOR_OTHERS_MS = 250;

/** Each photo's path (absolute: the library outlives the working folder), content hash and size; unreadable ones reported. */
async function readPhotoFiles(photos: string[]): Promise<{ files: PhotoFile[]; failures: number }> {
  const files: PhotoFile[] = [];
  let failures = 0;
  for (const photo of photos) {
    try {
      const bytes = await readRegularFile(photo);
      files.push({ path: resolve(photo), contentHash: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
    } catch (error) {
      if (!isUserFacing(error)) throw error;
      failures++;
      reportFailure(photo, (error as Error).message, false);
    }
  }
  return { files, failures };
}

/**
 * `index <photos or folders...> --db LIBRARY [--batch 16] [--chips] [--detector hog|cnn] [--threads N] [--upsample 1]
 * [--landmarks model.dat] [--model face.dat] [--quiet]`: finds, aligns and describes the faces of
 * every photo not yet in the library (or changed since), and stores them. Photos are claimed and
 * committed a batch per transaction: a run killed at any moment loses only its open batch, which
 * the next run (or, on a server, another indexer) does again.
 */
export async function indexCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(
    args,
    ['--db', '--batch', '--threads', '--upsample', '--landmarks', '--model', '--detector'],
    ['--chips', '--quiet', '--accept-damaged-images'],
  );
  const db = dbOption(parsed.options);
  if (parsed.positional.length === 0) throw new UsageError('no photos or folders to index');
  const batch = integerOption(parsed, '--batch', DEFAULT_BATCH)!;
  const upsample = upsampleOption(parsed);
  const threads = threadsOption(parsed);
  const keepChips = parsed.options.has('--chips');
  const photos = await listPhotos(parsed.positional);
  if (photos.length === 0) throw new UsageError('no .jpg, .jpeg or .png files found');
  const { files, failures: unreadable } = await readPhotoFiles(photos);

  return withLibrary(
    db,
    async (store) => {
      const registration = await registerPhotos(store, files);
      const pending = await pendingPhotos(store);
      const indexer = `${hostname()}:${process.pid}`;
      let indexed = 0;
      let faceCount = 0;
      let failures = unreadable;
      if (pending > 0) {
        const { workers, recognition } = await startPhotoPipeline(
          {
            detector: detectorOption(parsed),
            landmarks: parsed.options.get('--landmarks') as string | undefined,
            model: parsed.options.get('--model') as string | undefined,
          },
          { upsample, allowDamaged: parsed.options.has('--accept-damaged-images') },
          Math.min(pending, batch),
          threads,
        );
        const progress = new Progress(pending, parsed.options.has('--quiet'));
        try {
          for (;;) {
            const claimed = await store.transaction(async (sql) => {
              const claim = await claimPhotos(sql, batch);
              const located: { photo: ClaimedPhoto; faces: LocatedPhotoFace[] }[] = [];
              failures += await workers.forEachPhoto(
                claim.map((photo) => photo.path),
                async (faces, _, i) => {
                  located.push({ photo: claim[i], faces });
                },
                { update: () => undefined, drawingBar: progress.drawingBar },
                (_, message, i) => recordFailure(sql, claim[i], message, indexer),
              );
              const descriptors = await recognition.computeFaceDescriptors(located.flatMap(({ faces }) => faces.map((f) => f.chip)));
              let next = 0;
              for (const { photo, faces } of located) {
                const described = faces.map(
                  ({ rect, confidence, landmarks, chip }): IndexedFace => ({
                    rect,
                    confidence,
                    landmarks,
                    descriptor: descriptors[next++],
                    chip: keepChips ? encodePng(chip) : undefined,
                  }),
                );
                await recordPhoto(sql, photo, described, indexer);
                faceCount += faces.length;
                workers.recycleChips(faces);
              }
              return claim.length;
            });
            indexed += claimed;
            // Progress counts photos committed: what a kill from here on would keep.
            if (claimed > 0) progress.update(Math.min(indexed, pending), faceCount);
            else if (!store.shared || (await pendingPhotos(store)) === 0) break;
            else await sleep(WAIT_FOR_OTHERS_MS);
          }
        } finally {
          await workers.close();
          await recognition.dispose();
        }
      }
      const [totals] = await store.query<{ photos: number; faces: number }>(
        `SELECT (SELECT count(*)::int FROM photos WHERE status = 'done') AS photos, (SELECT count(*)::int FROM faces) AS faces`,
      );
      process.stdout.write(
        `indexed ${indexed} photo${indexed === 1 ? '' : 's'} (${faceCount} faces, ${failures} failed); ` +
          `${registration.added} new, ${registration.changed} changed, ${registration.unchanged} unchanged; ` +
          `the library holds ${totals.photos} photos and ${totals.faces} faces\n`,
      );
      return failures === 0 ? 0 : 1;
    },
    true,
  );
}
