import type { WorkerInit } from './thread-protocol.js';
import { nodeHardwareThreads, nodeWorkerThreads, spawnNodeWorkers } from './node-workers.js';
import { spawnWebWorkers } from './web-workers.js';

/** A started worker, whatever the runtime's kind. */
export interface WorkerHandle {
  terminate(): void;
  /** Calls `listener` (on the event loop) when the worker stops or fails, with why. */
  onDeath(listener: (why: string) => void): void;
}

/** Starts one worker per init, each running `workerMain`; resolves when all are ready. */
export type WorkerSpawner = (inits: WorkerInit[]) => Promise<WorkerHandle[]>;

/** The hardware threads the runtime reports (1 if it reports none). */
export async function hardwareThreads(): Promise<number> {
  const reported = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return reported || (await nodeHardwareThreads()) || 1;
}

/**
 * How this runtime starts workers: module Web Workers wherever there are
 * (browsers, Deno, Bun), Node's worker_threads otherwise; undefined where
 * there is neither (edge runtimes), and the engine runs on one thread.
 */
export async function findWorkerSpawner(workerUrl?: string | URL): Promise<WorkerSpawner | undefined> {
  if (typeof (globalThis as { Worker?: unknown }).Worker === 'function') return (inits) => spawnWebWorkers(inits, workerUrl);
  const threads = await nodeWorkerThreads();
  return threads && ((inits) => spawnNodeWorkers(threads, inits));
}
