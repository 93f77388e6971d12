import { optionsObject } from '../arguments.js';
import { readDlibNetwork } from '../dlib/network-reader.js';
import type { NetworkDescription } from '../dlib/network-description.js';
import { DlibNetwork, type EngineOptions } from '../engine/network.js';
import { InputError } from '../errors.js';
import type { RgbImage } from '../image.js';
import { detectObjects, isMmodDetector } from '../loss/detect-objects.js';
import { readModelSource, type ModelSource } from '../model-source.js';
import { checkDetectOptions, type DetectFacesOptions } from './detect-options.js';
import type { FaceDetection } from './hog-detector.js';

export type CnnFaceDetectorOptions = Pick<EngineOptions, 'threads' | 'wasm' | 'workerUrl'>;

/** dlib's CNN face detector (`mmod_human_face_detector.dat`): dlib's Python `cnn_face_detection_model_v1`. */
export interface CnnFaceDetector {
  /**
   * The faces in an image (RGB or RGBA bytes), highest confidence first, as
   * dlib's `cnn_face_detection_model_v1(img, upsample)` finds them.
   * `upsample` defaults to 1 (DEFAULT_UPSAMPLE), as the HOG detector's and
   * dlib's example: the detector's window is 80x80 pixels and it finds faces
   * down to about 40 pixels once up-sampled. `weightIndex` is the detector
   * window that found the face (0: this file has one).
   */
  detectFaces(image: RgbImage, options?: DetectFacesOptions): Promise<FaceDetection[]>;
  /** The net as read from its file. */
  readonly description: NetworkDescription;
  /** The threads it really uses (1 where the runtime cannot share memory with workers). */
  readonly threads: number;
  /**
   * Bytes of WebAssembly memory it holds (weights, the largest band's
   * tensors, and a banded photo's tiled pyramid where it is written whole);
   * 0 once disposed.
   */
  readonly memoryBytes: number;
  /** Frees the detector's memory; any later call throws DisposedError. */
  dispose(): void;
}

/**
 * Loads dlib's CNN face detector (`mmod_human_face_detector.dat`, or any
 * dlib MMOD net over an image pyramid). A file of another kind is a
 * DatFormatError from its reader, or an InputError for a net that is no detector.
 */
export async function loadCnnFaceDetector(source: ModelSource, options?: CnnFaceDetectorOptions): Promise<CnnFaceDetector> {
  options = optionsObject(options, "loadCnnFaceDetector's options");
  const description = readDlibNetwork(await readModelSource(source));
  if (!isMmodDetector(description)) {
    throw new InputError(
      `loadCnnFaceDetector takes dlib's CNN face detector (a loss_mmod net over input_rgb_image_pyramid); this file's net is ${description.loss.kind} over ${description.input.kind}`,
    );
  }
  const { threads, wasm, workerUrl } = options;
  const network = await DlibNetwork.create(description, { threads, wasm, workerUrl });
  return {
    description,
    get threads() {
      return network.backend.threads;
    },
    get memoryBytes() {
      return network.memoryBytes;
    },
    async detectFaces(image, options = {}) {
      const { upsample, adjustThreshold } = checkDetectOptions(options);
      const found = await detectObjects(network, image, { upsample, adjustThreshold });
      return found.map(({ rect, confidence, windowIndex }) => ({ rect, confidence, weightIndex: windowIndex }));
    },
    dispose() {
      network.dispose();
    },
  };
}
