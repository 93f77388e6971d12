import type { WorkerInit } from './thread-protocol.js';
import { workerMain } from './worker-main.js';

/** A started worker, whatever the runtime's kind. */
export interface WorkerHandle {
  terminate(): void;
}

type NodeWorkerThreads = typeof import('node:worker_threads');

/** Node's worker_threads, when this is Node (or a runtime that offers it and no Web Workers). */
async function nodeWorkerThreads(): Promise<NodeWorkerThreads | undefined> {
  if (typeof (globalThis as { Worker?: unknown }).Worker === 'function') return undefined;
  try {
    return await import('node:worker_threads');
  } catch {
    return undefined;
  }
}

/** The hardware threads the runtime reports (1 if it reports none). */
export async function hardwareThreads(): Promise<number> {
  const reported = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (reported) return reported;
  try {
    const os = await import('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  } catch {
    return 1;
  }
}

function readyPromise(on: (event: 'message' | 'error', listener: (value: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    on('message', () => resolve());
    on('error', (error) => reject(error instanceof Error ? error : new Error(String((error as ErrorEvent)?.message ?? error))));
  });
}

/**
 * Starts one worker per init, each running `workerMain` from its source
 * text: Node worker_threads where there are no Web Workers, module Web
 * Workers (browsers, Deno, Bun) otherwise. Resolves when all are ready.
 */
export async function spawnWorkers(inits: WorkerInit[]): Promise<WorkerHandle[]> {
  const node = await nodeWorkerThreads();
  if (node) {
    // Evaluated as CommonJS or as a module depending on the parent's flags: import() works in both.
    const source = `import('node:worker_threads').then(({ workerData, parentPort }) =>
  (${String(workerMain)})(workerData, () => parentPort.postMessage('ready')));`;
    const workers = inits.map((init) => new node.Worker(source, { eval: true, workerData: init }));
    try {
      await Promise.all(workers.map((w) => readyPromise((event, listener) => w.once(event, listener))));
    } catch (error) {
      for (const w of workers) void w.terminate();
      throw error;
    }
    // Idle workers sleep in Atomics.wait; they must not keep the process alive.
    for (const w of workers) w.unref();
    return workers.map((w) => ({ terminate: () => void w.terminate() }));
  }
  const source = `self.onmessage = (event) => {
  self.onmessage = null;
  (${String(workerMain)})(event.data, () => self.postMessage('ready'));
};`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  try {
    const workers = inits.map(() => new Worker(url, { type: 'module' }));
    const ready = workers.map((w) => readyPromise((event, listener) => w.addEventListener(event, listener, { once: true })));
    workers.forEach((w, i) => w.postMessage(inits[i]));
    try {
      await Promise.all(ready);
    } catch (error) {
      for (const w of workers) w.terminate();
      throw error;
    }
    return workers.map((w) => ({ terminate: () => w.terminate() }));
  } finally {
    URL.revokeObjectURL(url);
  }
}
