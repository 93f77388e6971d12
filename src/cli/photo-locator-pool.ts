import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DlibWasmError } from '../errors.js';
import type { Point, Rectangle } from '../geometry/point-transforms.js';
import type { RgbImage } from '../image.js';
import type { FaceDetectorKind } from '../face/face-pipeline.js';
import type { SharedShapePredictor } from '../face/shape-predictor.js';
import type { FilterbankCache } from './detector-filterbank-cache.js';
import { reportFailure, reportWarnings } from './each-image.js';
import { type LandmarkModelSource, loadLandmarkModel, sharedLandmarkModel } from './landmark-model-cache.js';
import type { PhotoLocator } from './photo-locator.js';
import { readRegularFile } from './regular-file.js';
import { SharedJobQueue } from './shared-job-queue.js';

/**
 * Photos handed to the workers ahead of the one being used: keeps them busy,
 * bounds memory (a located photo holds its faces' chips, 67.5 KB each). The
 * replies are used in photo order, so while one worker locates a large photo
 * (bald_guys up-sampled: ~250 ms) the others go on with the small ones after
 * it (~20 ms each) only as far as this lets them: at 2 a worker, the second
 * of 2 workers idled through most of every large photo (dlib's 12 example
 * photos x3 at --threads 2: 3.25-3.54 s; at 8, 3.14-3.17 s).
 */
const LOCATE_AHEAD_PER_WORKER = 8;

export interface PhotoLocatorInit {
  detector: Uint8Array;
  detectorKind: FaceDetectorKind;
  /** The HOG detector's filterbank in the CLI's cache (openFilterbankCache): taken if there, kept if not. */
  filterbank?: FilterbankCache;
  /** The landmark model (openLandmarkModel), found while the workers start. */
  landmarks: Promise<LandmarkModelSource>;
  upsample: number;
  /** Use damaged JPEGs as far as they decode (decodeImage's allowDamaged), with a warning. */
  allowDamaged?: boolean;
  /** Where each face's chip is saved as `<job>-<k>.png`, if anywhere. */
  chipDir?: string;
  /** Cut each face's gender classifier chip too (genderChipDetails). */
  genderChips?: boolean;
}

/** What a locator loads: the init but the landmark model (which comes later), and its detector's threads. */
export interface PhotoLocatorSettings extends Omit<PhotoLocatorInit, 'landmarks'> {
  detectorThreads: number;
}

/**
 * What a worker starts with: its locator's settings, the detector's file in
 * shared memory, and the queue it claims photos from. The landmark model
 * comes next, in a message of its own (ShapePredictorDelivery): read once for
 * all workers while they start.
 */
export interface PhotoLocatorWorkerData extends PhotoLocatorSettings {
  /** The pool's SharedJobQueue. */
  queue: SharedArrayBuffer;
}

/** A worker's second message in: the landmark model, read and laid out in a memory all workers share, and the worker's slot in it. */
export interface ShapePredictorDelivery {
  landmarks: SharedShapePredictor;
  slot: number;
}

export interface LocateJob {
  job: number;
  file: string;
}

/** A worker's first message: ready, or why it could not load the models (a user-facing reason, or a bug). */
export type PhotoLocatorWorkerStart = { ready: true } | { ready: false; message: string; userFacing: boolean };

/** A face found in a photo and aligned, with its chip's file if the workers save chips. */
export interface LocatedPhotoFace {
  rect: Rectangle;
  confidence: number;
  landmarks: Point[];
  chip: RgbImage;
  chipFile?: string;
  /** With `genderChips`: the face's 32x32 chip for the gender classifier. */
  genderChip?: RgbImage;
}

/** A photo's faces, or why it has none: a user-facing failure, or a bug (its stack). */
export type LocateReply =
  | { job: number; faces: LocatedPhotoFace[]; warnings: string[] }
  | { job: number; failure: string }
  | { job: number; bug: string };

function toShared(bytes: Uint8Array): Uint8Array {
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  shared.set(bytes);
  return shared;
}

/** Told of each photo done; `drawingBar` when a progress bar holds the current line of stderr. */
export interface PhotoProgress {
  update(done: number): void;
  drawingBar: boolean;
}

/**
 * How `threads` cores are shared among the locate workers and the network
 * that describes their faces on the calling thread, so that together they
 * never run more threads than that: a worker per core (no more than the
 * photos), each photo's detector on the cores left over. A command that
 * describes each photo's faces as they come (`describesWhileLocating`: faces,
 * cluster, recognize) runs the network on one thread while other workers
 * locate (on all of them where a single worker, one core or one photo,
 * alternates with it), and its use of a photo takes that many cores; one that
 * describes once the photos are located (index), while the workers wait, runs
 * it on all of them, and its use of a photo takes none.
 */
export function shareCores(
  photos: number,
  threads: number,
  describesWhileLocating: boolean,
): { workers: number; detectorThreads: number; networkThreads: number; useCores: number } {
  const workers = Math.max(1, Math.min(threads, photos));
  const networkThreads = describesWhileLocating && workers > 1 ? 1 : threads;
  return {
    workers,
    detectorThreads: Math.max(1, Math.floor(threads / workers)),
    networkThreads,
    useCores: describesWhileLocating ? networkThreads : 0,
  };
}

/** A locate call waiting for its reply. */
interface Waiter {
  done: (reply: LocateReply) => void;
  failed: (error: Error) => void;
}

/** Where the pool's photos are located: worker threads, or the calling thread in their stead. */
interface LocatorThread {
  /** Told of a photo before it may be claimed from the queue (every thread is; one will locate it). */
  offer(job: LocateJob): void;
  /** Takes back chips' pixels for its next photos' chips: the calling thread's only (a worker's chips were copied across). */
  recycleChips?(chips: Uint8Array[]): void;
  close(): Promise<void>;
}

/** What a locator thread tells the pool: a photo's reply, or that it crashed. */
interface LocatorEvents {
  replied(reply: LocateReply): void;
  failed(error: Error): void;
}

/** A started worker (its ready message seen) as a locator thread: it claims its photos from the queue itself. */
function workerThread(worker: Worker, events: LocatorEvents): LocatorThread {
  worker.on('message', (reply: LocateReply) => events.replied(reply));
  worker.on('error', (error: Error) => events.failed(error));
  worker.on('exit', (code) => events.failed(new Error(`a locate worker exited (code ${code})`)));
  return {
    offer: (job) => worker.postMessage(job),
    async close() {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

/**
 * The calling thread locating the photos itself, as a worker would. The file
 * of each photo offered is read meanwhile, while this thread locates or
 * describes the ones before it: it never waits for a file.
 */
function callingThread(locator: PhotoLocator, queue: SharedJobQueue, cores: number, events: LocatorEvents): LocatorThread {
  const reads = new Map<number, { file: string; bytes: Promise<Uint8Array> }>();
  queue
    .serve(cores, async (job) => {
      const { file, bytes } = reads.get(job)!;
      reads.delete(job);
      const reply = await locator.locate({ job, file }, bytes);
      events.replied(reply);
      return 'faces' in reply;
    })
    .catch(events.failed);
  return {
    offer: ({ job, file }) => {
      const bytes = readRegularFile(file);
      // Met by locate, as its own read's failure would be.
      bytes.catch(() => undefined);
      reads.set(job, { file, bytes });
    },
    recycleChips: (chips) => locator.recycleChips(chips),
    close: async () => locator.dispose(),
  };
}

/**
 * Finds, aligns and saves the faces of one photo at a time per locator
 * (decoding, detector, landmarks, chips, PNG): the photos of the `cluster` and
 * `faces` commands, in parallel on worker threads (see forEachPhoto). Each
 * thread takes the next photo from a queue in shared memory as soon as it
 * has the cores for it, so a worker never waits for the calling thread to
 * hand it one (a batch of faces described there holds the calling thread for
 * 45-170 ms). Where a single worker could never run beside the calling
 * thread's use of a photo, the calling thread locates them.
 */
export class PhotoLocatorPool {
  private readonly threads: LocatorThread[];
  private readonly pending = new Map<number, Waiter>();
  /** Photos offered so far, over every forEachPhoto call: the next one's job number. */
  private offered = 0;
  private failure: Error | undefined;

  private constructor(
    connect: (events: LocatorEvents) => LocatorThread[],
    /** The worker threads the pool runs: none where the calling thread locates the photos. */
    readonly workerThreads: number,
    /** The photos and the cores, shared with the locators (see shareCores). */
    private readonly queue: SharedJobQueue,
    /**
     * The landmark model, loaded (the calling thread's) or sent to the workers while they locate:
     * a run fails when it cannot be, though no photo had a face to place.
     */
    private readonly landmarksLoaded: Promise<unknown> = Promise.resolve(),
  ) {
    this.threads = connect({
      replied: (reply) => {
        const waiting = this.pending.get(reply.job);
        this.pending.delete(reply.job);
        // None once the run was aborted: its photos have failed already.
        waiting?.done(reply);
      },
      failed: (error) => this.abort(error),
    });
  }

  /**
   * Starts a worker per thread (`threads`, by default a thread per core Node
   * reports), but no more than `photos`, and waits until they are ready. Fewer
   * workers than threads (fewer photos) share the rest: their detectors split
   * each photo's rows among them. See shareCores for `describesWhileLocating`.
   * A single worker whose photo and the calling thread's use of one would
   * take more than the cores together only ever runs while the calling thread
   * waits (--threads 1): there the calling thread locates the photos itself,
   * without a thread to start, the code and models to load twice, and each
   * photo's faces to copy across.
   */
  static async start(
    init: PhotoLocatorInit,
    photos: number,
    threads = availableParallelism(),
    describesWhileLocating = false,
  ): Promise<PhotoLocatorPool> {
    const { workers: count, detectorThreads, useCores } = shareCores(photos, threads, describesWhileLocating);
    const queue = SharedJobQueue.create(threads, useCores);
    const { landmarks, ...rest } = init;
    if (count === 1 && detectorThreads + useCores > threads) {
      // Its trees read into the predictor's memory (65 MB for dlib's 68-point model) while the detector loads: started first.
      const shapePredictor = landmarks.then(loadLandmarkModel);
      shapePredictor.catch(() => undefined); // awaited by the locator at the first photo's faces, and by forEachPhoto at its end
      // Imported here: a pool of workers does not run the pipeline on this thread.
      const { loadPhotoLocator } = await import('./photo-locator.js');
      const locator = await loadPhotoLocator({ ...rest, detectorThreads }, shapePredictor);
      return new PhotoLocatorPool((events) => [callingThread(locator, queue, detectorThreads, events)], 0, queue, shapePredictor);
    }
    const url = new URL('./photo-locator-worker.js', import.meta.url);
    // The detector's file once in shared memory, not copied into every worker.
    const workerData: PhotoLocatorWorkerData = {
      ...rest,
      detector: toShared(init.detector),
      detectorThreads,
      queue: queue.buffer,
    };
    const workers = Array.from({ length: count }, () => new Worker(url, { workerData }));
    // Read while the workers start and locate their first photos: dlib's 68-point model can take longer
    // to read (100 MB) than a worker to start, and is read once, its trees in one memory for all of them.
    const delivered = landmarks
      .then((source) => sharedLandmarkModel(source, count))
      .then((shared) =>
        workers.forEach((worker, slot) => worker.postMessage({ landmarks: shared, slot } satisfies ShapePredictorDelivery)),
      );
    // Met by the pool, which aborts on it (and forEachPhoto, which ends with it).
    delivered.catch(() => undefined);
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              worker.once('message', (start: PhotoLocatorWorkerStart) => {
                if (start.ready) resolve();
                // A bad model file is the user's to fix, as it would be on this thread.
                else reject(start.userFacing ? new DlibWasmError(start.message) : new Error(start.message));
              });
              worker.once('error', reject);
            }),
        ),
      );
    } catch (error) {
      queue.close();
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    const pool = new PhotoLocatorPool((events) => workers.map((worker) => workerThread(worker, events)), count, queue, delivered);
    // The workers wait for the model at their first photo's faces: without it, nothing can go on.
    delivered.catch((error: Error) => pool.abort(error));
    return pool;
  }

  /** Offers a photo to the locators; its reply comes once one of them has located it. */
  private locate(file: string): { job: number; reply: Promise<LocateReply> } {
    const job = this.offered++;
    const reply = new Promise<LocateReply>((done, failed) => {
      if (this.failure) {
        failed(this.failure);
        return;
      }
      this.pending.set(job, { done, failed });
      for (const thread of this.threads) thread.offer({ job, file });
      this.queue.publish(job + 1);
    });
    return { job, reply };
  }

  /**
   * Locates the photos, a few ahead per worker, and hands each one's faces to
   * `use` in photo order. A photo that cannot be read or decoded is reported
   * on stderr, skipped and told to `failed`; a bug throws. `progress` sees
   * each photo done. Returns the failures.
   */
  async forEachPhoto(
    photos: string[],
    use: (faces: LocatedPhotoFace[], photo: string, index: number) => Promise<void>,
    progress?: PhotoProgress,
    failed?: (photo: string, message: string, index: number) => Promise<void>,
  ): Promise<number> {
    let failures = 0;
    const ahead: { job: number; reply: Promise<LocateReply> }[] = [];
    for (let i = 0; i < photos.length; i++) {
      while (ahead.length < LOCATE_AHEAD_PER_WORKER * this.threads.length && i + ahead.length < photos.length) {
        const located = this.locate(photos[i + ahead.length]);
        // Awaited in turn below; if a worker dies, the replies behind the first are not.
        located.reply.catch(() => undefined);
        ahead.push(located);
      }
      const { job, reply: replied } = ahead.shift()!;
      this.queue.awaiting(job);
      const reply = await replied;
      if ('bug' in reply) throw new Error(`locating the faces of ${photos[i]} failed: ${reply.bug}`);
      if ('failure' in reply) {
        failures++;
        reportFailure(photos[i], reply.failure, progress?.drawingBar ?? false);
        await failed?.(photos[i], reply.failure, i);
      } else {
        reportWarnings(photos[i], reply.warnings, progress?.drawingBar ?? false);
        await this.queue.takeUserCores();
        try {
          await use(reply.faces, photos[i], i);
        } finally {
          this.queue.releaseUserCores();
        }
      }
      progress?.update(i + 1);
    }
    await this.landmarksLoaded;
    return failures;
  }

  /** Gives back the chips of faces forEachPhoto handed on, once used: the locators cut later photos' chips into them. */
  recycleChips(faces: LocatedPhotoFace[]): void {
    // Where the calling thread locates, it is the pool's one thread.
    this.threads[0].recycleChips?.(faces.flatMap(({ chip: { data } }) => (data instanceof Uint8Array ? [data] : [])));
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the locate workers are closed');
    this.queue.close();
    await Promise.all(this.threads.map((thread) => thread.close()));
  }

  /** The run cannot go on (a worker crashed, a model the photos need failed to load): everything waiting fails with `error`. */
  abort(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    // A use waiting for cores goes on, to meet the failure at its next photo; the locators stop.
    this.queue.close();
    for (const { failed } of this.pending.values()) failed(error);
    this.pending.clear();
  }
}
