import type { WorkerInit } from './thread-protocol.js';
import type { WorkerHandle } from './spawn-workers.js';
import { workerMain } from './worker-main.js';

type NodeWorkerThreads = typeof import('node:worker_threads');

/**
 * Node's worker_threads where the runtime has them. Imported here only, and
 * lazily, so that no other runtime ever loads a Node module.
 */
export async function nodeWorkerThreads(): Promise<NodeWorkerThreads | undefined> {
  try {
    const threads = await import('node:worker_threads');
    return typeof threads.Worker === 'function' ? threads : undefined;
  } catch {
    return undefined;
  }
}

/** The cores Node reports (Node 20 has no navigator.hardwareConcurrency). */
export async function nodeHardwareThreads(): Promise<number | undefined> {
  try {
    const os = await import('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  } catch {
    return undefined;
  }
}

/** Starts one worker per init from `workerMain`'s source text; resolves when all are ready. */
export async function spawnNodeWorkers(threads: NodeWorkerThreads, inits: WorkerInit[]): Promise<WorkerHandle[]> {
  // Evaluated as CommonJS or as a module depending on the parent's flags: import() works in both.
  const source = `import('node:worker_threads').then(({ workerData, parentPort }) =>
  (${String(workerMain)})(workerData, () => parentPort.postMessage('ready')));`;
  const workers = inits.map((init) => new threads.Worker(source, { eval: true, workerData: init }));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
          }),
      ),
    );
  } catch (error) {
    for (const w of workers) void w.terminate();
    throw error;
  }
  // Idle workers sleep in Atomics.wait; they must not keep the process alive.
  for (const w of workers) w.unref();
  return workers.map((w) => ({
    terminate: () => void w.terminate(),
    onDeath: (listener) => {
      w.once('exit', (code) => listener(`exited (code ${code})`));
      w.once('error', (error) => listener(`failed (${error instanceof Error ? error.message : String(error)})`));
    },
  }));
}
