// A worker thread of the cluster and faces commands: finds, aligns and saves
// the faces of the photos it claims from the pool's queue (see
// photo-locator-pool.ts), so that photos are detected in parallel while the
// calling thread describes their chips.
import { parentPort, workerData } from 'node:worker_threads';
import { loadSharedShapePredictor } from '../face/shape-predictor.js';
import { isUserFacing } from './each-image.js';
import { describeLocateError, loadPhotoLocator } from './photo-locator.js';
import type { LocateJob, PhotoLocatorWorkerData, PhotoLocatorWorkerStart, ShapePredictorDelivery } from './photo-locator-pool.js';
import { SharedJobQueue } from './shared-job-queue.js';

const port = parentPort!;
const data = workerData as PhotoLocatorWorkerData;

/**
 * The files of the photos offered to every worker, by job, until one of them
 * claims it. A claimed job's file may still be on its way: the pool offers a
 * photo before it publishes it, but the message comes through this thread's
 * event loop.
 */
class OfferedFiles {
  private readonly files = new Map<number, string>();
  private readonly waiting = new Map<number, (file: string) => void>();

  offer({ job, file }: LocateJob): void {
    const claimed = this.waiting.get(job);
    this.waiting.delete(job);
    if (claimed) claimed(file);
    else this.files.set(job, file);
  }

  claim(job: number): Promise<string> {
    // Jobs are claimed in order: those before this one went to other workers.
    for (const offered of this.files.keys()) if (offered < job) this.files.delete(offered);
    const file = this.files.get(job);
    this.files.delete(job);
    return file !== undefined ? Promise.resolve(file) : new Promise((resolve) => this.waiting.set(job, resolve));
  }
}

// The landmark model comes once the calling thread has read it, maybe after the first jobs: their
// photos are decoded and searched meanwhile, and wait for it only to place their faces.
let deliver!: (delivery: ShapePredictorDelivery) => void;
const delivered = new Promise<ShapePredictorDelivery>((resolve) => {
  deliver = resolve;
});
const shapePredictor = delivered.then(({ landmarks, slot }) => loadSharedShapePredictor(landmarks, slot));
shapePredictor.catch(() => undefined); // met by locate, at a photo's faces
const files = new OfferedFiles();
port.on('message', (message: ShapePredictorDelivery | LocateJob) => {
  if ('landmarks' in message) deliver(message);
  else files.offer(message);
});
const locator = await loadPhotoLocator(data, shapePredictor).catch((error: unknown) => {
  port.postMessage({
    ready: false,
    message: describeLocateError(error),
    userFacing: isUserFacing(error),
  } satisfies PhotoLocatorWorkerStart);
  port.close();
  return undefined;
});
if (locator) {
  port.postMessage({ ready: true } satisfies PhotoLocatorWorkerStart);
  // A locate that throws is a bug: it ends the worker, and the pool's run with it.
  await new SharedJobQueue(data.queue).serve(data.detectorThreads, async (job) => {
    const reply = await locator.locate({ job, file: await files.claim(job) });
    port.postMessage(reply);
    return 'faces' in reply;
  });
}
