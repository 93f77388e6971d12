import { loadFaceRecognitionModel, type FaceRecognitionModel } from '../face/face-recognition-model.js';
import { PhotoLocatorPool, type PhotoLocatorInit } from './photo-locator-pool.js';
import { BUNDLED_DETECTOR, BUNDLED_LANDMARKS, BUNDLED_MODEL } from './paths.js';
import { readRegularFile } from './regular-file.js';

/** The bytes of the pipeline's three models: the bundled ones, or the user's landmark or recognition model files. */
export async function readPipelineModels(files: { landmarks?: string; model?: string } = {}) {
  const [detector, landmarks, recognition] = await Promise.all([
    readRegularFile(BUNDLED_DETECTOR),
    readRegularFile(files.landmarks ?? BUNDLED_LANDMARKS),
    readRegularFile(files.model ?? BUNDLED_MODEL),
  ]);
  return { detector, landmarks, recognition };
}

/**
 * Starts the locate workers for `photos` and loads the recognition model
 * beside them, both on `threads` threads if given (else a thread per core).
 * If either fails, the other is closed before the error is thrown: live
 * workers would keep the process from ever exiting.
 */
export async function startPhotoPipeline(
  files: { landmarks?: string; model?: string },
  init: Omit<PhotoLocatorInit, 'detector' | 'landmarks'>,
  photos: number,
  threads?: number,
): Promise<{ workers: PhotoLocatorPool; recognition: FaceRecognitionModel }> {
  const { detector, landmarks, recognition: model } = await readPipelineModels(files);
  const [workers, recognition] = await Promise.allSettled([
    PhotoLocatorPool.start({ ...init, detector, landmarks }, photos, threads),
    loadFaceRecognitionModel(model, { threads }),
  ]);
  if (workers.status === 'fulfilled' && recognition.status === 'fulfilled')
    return { workers: workers.value, recognition: recognition.value };
  if (workers.status === 'fulfilled') await workers.value.close();
  if (recognition.status === 'fulfilled') recognition.value.dispose();
  throw workers.status === 'rejected' ? workers.reason : (recognition as PromiseRejectedResult).reason;
}
