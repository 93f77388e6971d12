import { WorkerStartError } from '../errors.js';
import type { WorkerInit } from './thread-protocol.js';
import type { WorkerHandle } from './spawn-workers.js';
import { workerMain } from './worker-main.js';

/**
 * A Web Worker's program: its WorkerInit comes as the first message. It runs
 * from source text in a blob: worker, and from dist/worker.js where a
 * Content-Security-Policy forbids blob: workers; so it uses nothing but its
 * argument and the worker's global scope.
 */
export function serveWorkerInit(main: typeof workerMain): void {
  const scope = globalThis as unknown as { onmessage: ((event: { data: WorkerInit }) => void) | null; postMessage(message: unknown): void };
  scope.onmessage = (event) => {
    scope.onmessage = null;
    main(event.data, () => scope.postMessage('ready'));
  };
}

type WebWorker = Worker & { unref?: () => void };

/**
 * Starts one module Web Worker per init (browsers, Deno, Bun), from
 * `workerUrl` if given, else from a blob: URL of the program's source text
 * (so that no worker file has to be found). Resolves when all are ready.
 */
export async function spawnWebWorkers(inits: WorkerInit[], workerUrl?: string | URL): Promise<WorkerHandle[]> {
  const blobUrl =
    workerUrl === undefined
      ? URL.createObjectURL(new Blob([`(${String(serveWorkerInit)})(${String(workerMain)});`], { type: 'text/javascript' }))
      : undefined;
  const url = workerUrl ?? blobUrl!;
  const workers: WebWorker[] = [];
  try {
    for (let i = 0; i < inits.length; i++) workers.push(new Worker(url, { type: 'module' }));
    const ready = workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.addEventListener('message', () => resolve(), { once: true });
          w.addEventListener('error', (event) => reject(new Error(event.message || 'the worker script failed to load')), { once: true });
        }),
    );
    workers.forEach((w, i) => w.postMessage(inits[i]));
    await Promise.all(ready);
  } catch (error) {
    for (const w of workers) w.terminate();
    const reason = error instanceof Error ? error.message : String(error);
    throw new WorkerStartError(
      workerUrl === undefined
        ? `could not start Web Workers from a blob: URL (${reason}); where a Content-Security-Policy forbids blob: workers, pass workerUrl (the package's dlib-wasm/worker script), or threads: 1`
        : `could not start Web Workers from ${String(workerUrl)} (${reason}); workerUrl must be the package's dlib-wasm/worker module script, served with the rest of dist/`,
    );
  } finally {
    if (blobUrl) URL.revokeObjectURL(blobUrl);
  }
  // Bun's workers can be unreferenced, so that idle ones never keep the process alive; Deno's cannot, and stop on dispose().
  for (const w of workers) w.unref?.();
  // A Web Worker that is terminated tells no one; one that fails (out of memory) reports an error.
  return workers.map((w) => ({
    terminate: () => w.terminate(),
    onDeath: (listener) => w.addEventListener('error', (event) => listener(`failed (${event.message || 'an error'})`), { once: true }),
  }));
}
