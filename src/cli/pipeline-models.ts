import { faceRecognitionModelOf, loadFaceRecognitionModel, type FaceRecognitionModel } from '../face/face-recognition-model.js';
import { availableParallelism } from 'node:os';
import { PhotoLocatorPool, shareCores, type PhotoLocatorInit } from './photo-locator-pool.js';
import type { FaceDetectorKind } from '../face/face-pipeline.js';
import { BUNDLED_CNN_DETECTOR, BUNDLED_DETECTOR, BUNDLED_LANDMARKS, BUNDLED_MODEL } from './paths.js';
import { openFilterbankCache } from './detector-filterbank-cache.js';
import { openLandmarkModel } from './landmark-model-cache.js';
import { type NetworkCacheOptions, openNetworkConstantsCache } from './network-constants-cache.js';
import { readRegularFile } from './regular-file.js';

/** Which models the pipeline runs: the bundled detector of a kind (default hog), the user's landmark or recognition model files. */
export interface PipelineModelFiles {
  detector?: FaceDetectorKind;
  landmarks?: string;
  model?: string;
}

/**
 * The recognition model in `file` (the bundled one, or the user's), on
 * `threads`: made from its entry in the network constants cache, the file
 * not read at all, or else read from the file and its entry written
 * meanwhile (`kept` settles once it is, or is passed by): the first photo
 * does not wait for it.
 */
export async function loadRecognitionModel(
  file: string | URL,
  threads: number,
  cache: NetworkCacheOptions = {},
): Promise<{ model: FaceRecognitionModel; kept: Promise<void> }> {
  const constants = await openNetworkConstantsCache(file, cache);
  const cached = await constants.network({ threads });
  if (cached) return { model: faceRecognitionModelOf(cached), kept: Promise.resolve() };
  const model = await loadFaceRecognitionModel(await readRegularFile(file), { threads });
  return { model, kept: constants.keep(model.network).catch(() => undefined) };
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
  const startWorkers = async () => {
    const [detector, filterbank] = await Promise.all([
      readRegularFile(detectorKind === 'cnn' ? BUNDLED_CNN_DETECTOR : BUNDLED_DETECTOR),
      detectorKind === 'hog' ? openFilterbankCache(BUNDLED_DETECTOR) : undefined,
    ]);
    return PhotoLocatorPool.start({ ...init, detector, detectorKind, filterbank, landmarks }, photos, threads, describesWhileLocating);
  };
  const [workers, recognition] = await Promise.allSettled([
    startWorkers(),
    loadRecognitionModel(files.model ?? BUNDLED_MODEL, networkThreads).then(({ model }) => model),
  ]);
  if (workers.status === 'fulfilled' && recognition.status === 'fulfilled')
    return { workers: workers.value, recognition: recognition.value };
  if (workers.status === 'fulfilled') await workers.value.close();
  if (recognition.status === 'fulfilled') recognition.value.dispose();
  throw workers.status === 'rejected' ? workers.reason : (recognition as PromiseRejectedResult).reason;
}
