import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DlibWasmError } from '../errors.js';
import type { Rectangle } from '../geometry/point-transforms.js';
import type { RgbImage } from '../image.js';

export interface LocateWorkerInit {
  detector: Uint8Array;
  landmarks: Uint8Array;
  upsample: number;
  /** Where each face's chip is saved as `<job>-<k>.png`. */
  chipDir: string;
}

export interface LocateJob {
  job: number;
  file: string;
}

/** A worker's first message: ready, or why it could not load the models (a user-facing reason, or a bug). */
export type LocateWorkerStart = { ready: true } | { ready: false; message: string; userFacing: boolean };

/** A photo's faces, or why it has none: a user-facing failure, or a bug (its stack). */
export type LocateReply =
  | { job: number; faces: { rect: Rectangle; chipFile: string; chip: RgbImage }[] }
  | { job: number; failure: string }
  | { job: number; bug: string };

function toShared(bytes: Uint8Array): Uint8Array {
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  shared.set(bytes);
  return shared;
}

/**
 * Worker threads that each find, align and save the faces of one photo at a
 * time (decoding, detector, landmarks, chips, PNG): the cluster command's
 * photos, in parallel. `locate` may be called for many photos at once; each
 * goes to the next free worker.
 */
export class LocateWorkers {
  private readonly idle: Worker[] = [];
  private readonly queue: { job: LocateJob; done: (reply: LocateReply) => void; failed: (error: Error) => void }[] = [];
  private readonly pending = new Map<number, { done: (reply: LocateReply) => void; failed: (error: Error) => void }>();
  private failure: Error | undefined;

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      worker.on('message', (reply: LocateReply) => {
        const waiting = this.pending.get(reply.job)!;
        this.pending.delete(reply.job);
        waiting.done(reply);
        this.idle.push(worker);
        this.dispatch();
      });
      worker.on('error', (error: Error) => this.fail(error));
      worker.on('exit', (code) => this.fail(new Error(`a locate worker exited (code ${code})`)));
    }
    this.idle.push(...workers);
  }

  /** Starts `count` workers (default: the cores Node reports) and waits until they are ready. */
  static async start(init: LocateWorkerInit, count = availableParallelism()): Promise<LocateWorkers> {
    const url = new URL('./locate-worker.js', import.meta.url);
    // The model files once in shared memory, not copied into every worker (dlib's 68-point one is 95 MB).
    const shared = { ...init, detector: toShared(init.detector), landmarks: toShared(init.landmarks) };
    const workers = Array.from({ length: Math.max(1, count) }, () => new Worker(url, { workerData: shared }));
    try {
      await Promise.all(workers.map((worker) => new Promise<void>((resolve, reject) => {
        worker.once('message', (start: LocateWorkerStart) => {
          if (start.ready) resolve();
          // A bad model file is the user's to fix, as it would be on this thread.
          else reject(start.userFacing ? new DlibWasmError(start.message) : new Error(start.message));
        });
        worker.once('error', reject);
      })));
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    return new LocateWorkers(workers);
  }

  locate(job: LocateJob): Promise<LocateReply> {
    return new Promise((done, failed) => {
      if (this.failure) {
        failed(this.failure);
        return;
      }
      this.queue.push({ job, done, failed });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the locate workers are closed');
    await Promise.all(this.workers.map((worker) => {
      worker.removeAllListeners('exit');
      return worker.terminate();
    }));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const { job, done, failed } = this.queue.shift()!;
      this.pending.set(job.job, { done, failed });
      this.idle.pop()!.postMessage(job);
    }
  }

  /** A worker crashed: everything waiting fails with its error. */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const { failed } of [...this.pending.values(), ...this.queue]) failed(error);
    this.pending.clear();
    this.queue.length = 0;
  }
}
