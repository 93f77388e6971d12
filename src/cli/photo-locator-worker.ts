// A worker thread of the cluster and faces commands: finds, aligns and saves
// the faces of the photos it is sent (see photo-locator-pool.ts), so that photos
// are detected in parallel while the calling thread describes their chips.
import { parentPort, workerData } from 'node:worker_threads';
import { loadSharedShapePredictor } from '../face/shape-predictor.js';
import { isUserFacing } from './each-image.js';
import { describeLocateError, loadPhotoLocator } from './photo-locator.js';
import type { LocateJob, PhotoLocatorWorkerData, PhotoLocatorWorkerStart, ShapePredictorDelivery } from './photo-locator-pool.js';

const port = parentPort!;

try {
  // The landmark model comes once the calling thread has read it, maybe after the first jobs: their
  // photos are decoded and searched meanwhile, and wait for it only to place their faces.
  let deliver!: (delivery: ShapePredictorDelivery) => void;
  const delivered = new Promise<ShapePredictorDelivery>((resolve) => {
    deliver = resolve;
  });
  const shapePredictor = delivered.then(({ landmarks, slot }) => loadSharedShapePredictor(landmarks, slot));
  shapePredictor.catch(() => undefined); // met by locate, at a photo's faces
  const loading = loadPhotoLocator(workerData as PhotoLocatorWorkerData, shapePredictor);
  port.on('message', async (message: ShapePredictorDelivery | LocateJob) => {
    if ('landmarks' in message) deliver(message);
    else port.postMessage(await (await loading).locate(message));
  });
  await loading;
  port.postMessage({ ready: true } satisfies PhotoLocatorWorkerStart);
} catch (error) {
  port.postMessage({
    ready: false,
    message: describeLocateError(error),
    userFacing: isUserFacing(error),
  } satisfies PhotoLocatorWorkerStart);
  port.close();
}
