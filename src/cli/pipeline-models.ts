import { DEFAULT_BATCH_SIZE } from '../engine/network.js';
import { faceRecognitionModelOf, loadFaceRecognitionModel, type FaceRecognitionModel } from '../face/face-recognition-model.js';
import type { RgbImage } from '../image.js';
import { availableParallelism } from 'node:os';
import { PhotoLocatorPool, shareCores, type PhotoLocatorInit } from './photo-locator-pool.js';
import type { FaceDetectorKind } from '../face/face-pipeline.js';
import { BUNDLED_CNN_DETECTOR, BUNDLED_DETECTOR, BUNDLED_LANDMARKS, BUNDLED_MODEL } from './paths.js';
import { openFilterbankCache } from './detector-filterbank-cache.js';
import { openLandmarkModel } from './landmark-model-cache.js';
import { type NetworkCacheOptions, openNetworkConstantsCache } from './network-constants-cache.js';
import { readRegularFile } from './regular-file.js';
import { readModelFile } from './model-file.js';

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
  const model = await readModelFile(file, (bytes) => loadFaceRecognitionModel(bytes, { threads }));
  return { model, kept: constants.keep(model.network).catch(() => undefined) };
}

/**
 * The recognition model while it loads, as the commands that describe
 * located faces use it: the first photos are decoded and searched meanwhile
 * (a cache hit's 43 MB of constants are read at the same time).
 */
export class LoadingRecognitionModel {
  /** Faces described together: the network's batch. */
  readonly batchSize = DEFAULT_BATCH_SIZE;

  constructor(private readonly loading: Promise<FaceRecognitionModel>) {
    // Met by whoever awaits it next (the pipeline aborts its photos at once).
    loading.catch(() => undefined);
  }

  /** The chips' descriptors, once the model is loaded. */
  async computeFaceDescriptors(chips: RgbImage[]): Promise<Float32Array[]> {
    return (await this.loading).computeFaceDescriptors(chips);
  }

  /** Waits for the model: a run that described no face still fails when it could not load. */
  async loaded(): Promise<void> {
    await this.loading;
  }

  /** Frees the model once it is loaded (nothing if it failed). */
  async dispose(): Promise<void> {
    (await this.loading.catch(() => undefined))?.dispose();
  }
}

/**
 * Starts the locate workers for `photos` and loads the recognition model
 * beside them, sharing `threads` cores if given (else a thread per core; see
 * shareCores): with `describesWhileLocating` (the caller describes each
 * photo's faces in forEachPhoto's use of it), the network is on one thread
 * where several workers locate meanwhile.
 * Returns once the workers are started: a model that fails to load later
 * aborts their photos. If the workers fail to start, the model is disposed
 * once loaded and the error thrown.
 */
export async function startPhotoPipeline(
  files: PipelineModelFiles,
  init: Omit<PhotoLocatorInit, 'detector' | 'detectorKind' | 'filterbank' | 'landmarks'>,
  photos: number,
  threads = availableParallelism(),
  { describesWhileLocating = false } = {},
): Promise<{ workers: PhotoLocatorPool; recognition: LoadingRecognitionModel }> {
  const landmarks = openLandmarkModel(files.landmarks ?? BUNDLED_LANDMARKS);
  // Met by the pool, which waits for it once its workers are starting.
  landmarks.catch(() => undefined);
  const { networkThreads } = shareCores(photos, threads, describesWhileLocating);
  const detectorKind = files.detector ?? 'hog';
  const recognition = new LoadingRecognitionModel(
    loadRecognitionModel(files.model ?? BUNDLED_MODEL, networkThreads).then(({ model }) => model),
  );
  try {
    const [detector, filterbank] = await Promise.all([
      readRegularFile(detectorKind === 'cnn' ? BUNDLED_CNN_DETECTOR : BUNDLED_DETECTOR),
      detectorKind === 'hog' ? openFilterbankCache(BUNDLED_DETECTOR) : undefined,
    ]);
    const workers = await PhotoLocatorPool.start(
      { ...init, detector, detectorKind, filterbank, landmarks },
      photos,
      threads,
      describesWhileLocating,
    );
    recognition.loaded().catch((error: Error) => workers.abort(error));
    return { workers, recognition };
  } catch (error) {
    await recognition.dispose();
    throw error;
  }
}
