// A worker thread of the cluster and faces commands: finds, aligns and saves
// the faces of the photos it is sent (see photo-locator-pool.ts), so that photos
// are detected in parallel while the calling thread describes their chips.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { faceDetectorLoader, locateFaces } from '../face/face-pipeline.js';
import { genderChipDetails } from '../face/gender-classifier.js';
import { loadImageChipExtractor } from '../face/image-chip-extractor.js';
import { loadPackedShapePredictor } from '../face/shape-predictor.js';
import { encodePng } from './encode-png.js';
import { decodeImage } from './decode-image.js';
import { isUserFacing } from './each-image.js';
import { readRegularFile } from './regular-file.js';
import type {
  LocatedPhotoFace,
  LocateJob,
  LocateReply,
  PhotoLocatorWorkerData,
  PhotoLocatorWorkerStart,
  ShapePredictorDelivery,
} from './photo-locator-pool.js';

const { detector, detectorKind, upsample, chipDir, genderChips, detectorThreads, allowDamaged } = workerData as PhotoLocatorWorkerData;
const port = parentPort!;
const describe = (error: unknown) => (isUserFacing(error) ? (error as Error).message : String((error as Error)?.stack ?? error));

/** The detector and chips load while the calling thread reads the landmark model, which comes next. */
async function loadParts() {
  const delivered = new Promise<ShapePredictorDelivery>((resolve) => port.once('message', resolve));
  const [loadedDetector, chips] = await Promise.all([
    faceDetectorLoader(detectorKind)(detector, { threads: detectorThreads }),
    loadImageChipExtractor(),
  ]);
  return { detector: loadedDetector, shapePredictor: await loadPackedShapePredictor((await delivered).landmarks), chips };
}

async function locate(parts: Awaited<ReturnType<typeof loadParts>>, { job, file }: LocateJob): Promise<LocateReply> {
  try {
    const image = await decodeImage(await readRegularFile(file), { allowDamaged });
    const faces = await Promise.all(
      (await locateFaces(parts, image, { upsample })).map(async ({ rect, confidence, landmarks, chip }, k) => {
        const face: LocatedPhotoFace = { rect, confidence, landmarks, chip };
        if (genderChips) face.genderChip = parts.chips.extractImageChip(image, genderChipDetails(landmarks));
        if (chipDir !== undefined) {
          face.chipFile = join(chipDir, `${job}-${k}.png`);
          await writeFile(face.chipFile, encodePng(chip));
        }
        return face;
      }),
    );
    return { job, faces, warnings: image.warnings };
  } catch (error) {
    return isUserFacing(error) ? { job, failure: describe(error) } : { job, bug: describe(error) };
  }
}

try {
  const parts = await loadParts();
  port.on('message', async (job: LocateJob) => port.postMessage(await locate(parts, job)));
  port.postMessage({ ready: true } satisfies PhotoLocatorWorkerStart);
} catch (error) {
  port.postMessage({ ready: false, message: describe(error), userFacing: isUserFacing(error) } satisfies PhotoLocatorWorkerStart);
  port.close();
}
