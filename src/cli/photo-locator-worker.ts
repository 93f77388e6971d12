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
  // The detector and chips load while the calling thread reads the landmark model, which comes next.
  const delivered = new Promise<ShapePredictorDelivery>((resolve) => port.once('message', resolve));
  const shapePredictor = delivered.then(({ landmarks, slot }) => loadSharedShapePredictor(landmarks, slot));
  const locator = await loadPhotoLocator(workerData as PhotoLocatorWorkerData, shapePredictor);
  // Ready once the model is delivered: the jobs come after it on the same port, and its failure is the start's.
  await shapePredictor;
  port.on('message', async (job: LocateJob) => port.postMessage(await locator.locate(job)));
  port.postMessage({ ready: true } satisfies PhotoLocatorWorkerStart);
} catch (error) {
  port.postMessage({
    ready: false,
    message: describeLocateError(error),
    userFacing: isUserFacing(error),
  } satisfies PhotoLocatorWorkerStart);
  port.close();
}
