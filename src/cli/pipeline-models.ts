import { loadFaceRecognitionModel, type FaceRecognitionModel } from '../face/face-recognition-model.js';
import { availableParallelism } from 'node:os';
import { PhotoLocatorPool, shareCores, type PhotoLocatorInit } from './photo-locator-pool.js';
import type { FaceDetectorKind } from '../face/face-pipeline.js';
import { BUNDLED_CNN_DETECTOR, BUNDLED_DETECTOR, BUNDLED_LANDMARKS, BUNDLED_MODEL } from './paths.js';
import { openFilterbankCache } from './detector-filterbank-cache.js';
import { openLandmarkModel } from './landmark-model-cache.js';
import { openNetworkConstantsCache } from './network-constants-cache.js';
import { readRegularFile } from './regular-file.js';

/** Which models the pipeline runs: the bundled detector of a kind (default hog), the user's landmark or recognition model files. */
export interface PipelineModelFiles {
  detector?: FaceDetectorKind;
  landmarks?: string;
  model?: string;
}

/** The bytes of the pipeline's detector and recognition models: the bundled ones, or the user's recognition model file. */
async function readNetworkModels(files: PipelineModelFiles) {
  const [detector, recognition] = await Promise.all([
    readRegularFile(files.detector === 'cnn' ? BUNDLED_CNN_DETECTOR : BUNDLED_DETECTOR),
    readRegularFile(files.model ?? BUNDLED_MODEL),
  ]);
  return { detector, recognition };
}

/**
 * Starts the locate workers for `photos` and loads the recognition model
 * beside them, sharing `threads` cores if given (else a thread per core; see
 * shareCores): with `describesWhileLocating` (the caller describes each
 * photo's faces in forEachPhoto's use of it), the network is on one thread
 * where several workers locate meanwhile.
 * If either fails, the other is closed before the error is thrown: live
 * workers would keep the process from ever exiting.
 */
export async function startPhotoPipeline(
  files: PipelineModelFiles,
  init: Omit<PhotoLocatorInit, 'detector' | 'detectorKind' | 'filterbank' | 'landmarks'>,
  photos: number,
  threads = availableParallelism(),
  { describesWhileLocating = false } = {},
): Promise<{ workers: PhotoLocatorPool; recognition: FaceRecognitionModel }> {
  const landmarks = openLandmarkModel(files.landmarks ?? BUNDLED_LANDMARKS);
  // Met by the pool, which waits for it once its workers are starting.
  landmarks.catch(() => undefined);
  const { networkThreads } = shareCores(photos, threads, describesWhileLocating);
  const detectorKind = files.detector ?? 'hog';
  const [{ detector, recognition: model }, constants, filterbank] = await Promise.all([
    readNetworkModels(files),
    openNetworkConstantsCache(files.model ?? BUNDLED_MODEL),
    detectorKind === 'hog' ? openFilterbankCache(BUNDLED_DETECTOR) : undefined,
  ]);
  const [workers, recognition] = await Promise.allSettled([
    PhotoLocatorPool.start({ ...init, detector, detectorKind, filterbank, landmarks }, photos, threads, describesWhileLocating),
    loadFaceRecognitionModel(model, { threads: networkThreads, constants: constants.image }).then((loaded) => {
      // Written while the photos are located: the first photo does not wait for it.
      constants.keep(loaded.network).catch(() => undefined);
      return loaded;
    }),
  ]);
  if (workers.status === 'fulfilled' && recognition.status === 'fulfilled')
    return { workers: workers.value, recognition: recognition.value };
  if (workers.status === 'fulfilled') await workers.value.close();
  if (recognition.status === 'fulfilled') recognition.value.dispose();
  throw workers.status === 'rejected' ? workers.reason : (recognition as PromiseRejectedResult).reason;
}
