import type { EngineOptions } from '../engine/network.js';
import type { Point, Rectangle } from '../geometry/point-transforms.js';
import type { RgbImage } from '../image.js';
import type { ModelSource } from '../model-source.js';
import { getFaceChipDetails, type ChipDetails } from './face-chip.js';
import { FACE_CHIP_SIZE, loadFaceRecognitionModel, type FaceRecognitionModel } from './face-recognition-model.js';
import { genderChipDetails, type GenderClassifier, type GenderEstimate, loadGenderClassifier } from './gender-classifier.js';
import { loadFrontalFaceDetector, type DetectFacesOptions, type FaceDetection, type FrontalFaceDetector } from './hog-detector.js';
import { loadCnnFaceDetector, type CnnFaceDetector } from './cnn-face-detector.js';
import { loadImageChipExtractor, type ImageChipExtractor } from './image-chip-extractor.js';
import { loadShapePredictor, type ShapePredictor } from './shape-predictor.js';
import { optionsObject } from '../arguments.js';
import { InputError } from '../errors.js';

/** The dlib model files of the face pipeline, as bytes or sources of them. */
export interface FacePipelineModels {
  /**
   * `frontal_face_detector.dat` (dlib's serialized HOG detector), or with
   * `detectorKind: 'cnn'`, `mmod_human_face_detector.dat` (dlib's CNN one).
   */
  detector: ModelSource;
  /** A dlib shape predictor: the bundled 5-point one, or dlib's 68-point one. */
  landmarks: ModelSource;
  /** `dlib_face_recognition_resnet_model_v1.dat`. */
  recognition: ModelSource;
  /** dlib-models' `dnn_gender_classifier_v1.dat` (bundled in `models/`): with it, `detect` gives each face's gender. */
  gender?: ModelSource;
}

/** Which of dlib's face detectors: the HOG one (`frontal_face_detector`) or the CNN one (`mmod_human_face_detector`). */
export type FaceDetectorKind = 'hog' | 'cnn';

export interface FacePipelineOptions extends EngineOptions {
  /** Which detector `models.detector` is. Default 'hog'. */
  detectorKind?: FaceDetectorKind;
}

/** Either of dlib's face detectors (the HOG one detects synchronously). */
export type FaceDetector = FrontalFaceDetector | CnnFaceDetector;

/**
 * The loader of a kind of face detector: the one way the pipeline and the
 * CLI's workers load it. An unknown kind is an InputError here, before anything loads.
 */
export function faceDetectorLoader(
  kind: FaceDetectorKind,
): (source: ModelSource, options: Pick<EngineOptions, 'threads' | 'wasm' | 'workerUrl'>) => Promise<FaceDetector> {
  if (kind === 'hog') return loadFrontalFaceDetector;
  if (kind === 'cnn') return loadCnnFaceDetector;
  throw new InputError(`detectorKind must be 'hog' or 'cnn', not ${String(kind)}`);
}

export interface DetectOptions extends DetectFacesOptions {
  /** Jittered copies averaged per descriptor (see DescriptorOptions). Default 1: none. */
  jitters?: number;
}

/** A face found in a photo and aligned: all but its descriptor and gender. */
export type LocatedFace = Omit<DetectedFace, 'descriptor' | 'gender'>;

/** A face found in a photo, with everything dlib's pipeline computes for it. */
export interface DetectedFace {
  /** In the photo, with dlib's inclusive pixel bounds. */
  rect: Rectangle;
  confidence: number;
  /** Which HOG filter (or CNN detector window) found it. */
  weightIndex: number;
  /** Landmarks in the photo, `[x, y]` per part. */
  landmarks: Point[];
  chipDetails: ChipDetails;
  /** The aligned chip, RGB. */
  chip: RgbImage;
  descriptor: Float32Array;
  /** With the `gender` model: the classifier's label and its probability, from the face's 32x32 chip (genderChipDetails). */
  gender?: GenderEstimate;
}

/** dlib's face pipeline: HOG detector, shape predictor, aligned chips, face descriptors. */
export interface FacePipeline {
  /**
   * Every face in the photo, in the detector's order (highest confidence
   * first). `upsample` defaults to 1 (DEFAULT_UPSAMPLE), as dlib's examples detect.
   */
  detect(image: RgbImage, options?: DetectOptions): Promise<DetectedFace[]>;
  /**
   * `detect` without the descriptors: the faces, landmarks and chips. For
   * many photos of few faces, collect chips across photos and describe them
   * together with `recognition.computeFaceDescriptors` (fuller batches).
   */
  locate(image: RgbImage, options?: DetectFacesOptions): Promise<LocatedFace[]>;
  readonly detector: FaceDetector;
  readonly shapePredictor: ShapePredictor;
  readonly recognition: FaceRecognitionModel;
  readonly chips: ImageChipExtractor;
  /** Loaded from the `gender` model, if given. */
  readonly gender: GenderClassifier | undefined;
  dispose(): void;
}

/**
 * The faces in a photo, their landmarks and aligned chips, as
 * `FacePipeline.locate` finds them, from the three parts that do it.
 */
export async function locateFaces(
  { detector, shapePredictor, chips }: Pick<FacePipeline, 'detector' | 'shapePredictor' | 'chips'>,
  image: RgbImage,
  options?: DetectFacesOptions,
): Promise<LocatedFace[]> {
  return placeFaces({ shapePredictor, chips }, image, await detector.detectFaces(image, options));
}

/**
 * The detected faces' landmarks and aligned chips: the second half of
 * locateFaces. The chips go into `spareChips` (150x150x3 bytes each, taken
 * from its end) as far as it has them, into new arrays after.
 */
export function placeFaces(
  { shapePredictor, chips }: Pick<FacePipeline, 'shapePredictor' | 'chips'>,
  image: RgbImage,
  detections: FaceDetection[],
  spareChips?: Uint8Array[],
): LocatedFace[] {
  return detections.map((d) => {
    const landmarks = shapePredictor.predict(image, d.rect);
    // What dlib's examples cut for the network: 150x150 with 25% padding.
    const chipDetails = getFaceChipDetails(landmarks, FACE_CHIP_SIZE, 0.25);
    return { ...d, landmarks, chipDetails, chip: chips.extractImageChip(image, chipDetails, spareChips?.pop()) };
  });
}

export async function loadFacePipeline(models: FacePipelineModels, options?: FacePipelineOptions): Promise<FacePipeline> {
  optionsObject(models, "loadFacePipeline's models ({ detector, landmarks, recognition })");
  options = optionsObject(options, "loadFacePipeline's options");
  const { wasm, threads, workerUrl, detectorKind = 'hog' } = options;
  const loadDetector = faceDetectorLoader(detectorKind);
  // First the part that starts no thread: a bad landmarks file leaves nothing running.
  const shapePredictor = await loadShapePredictor(models.landmarks, { wasm });
  const [detector, recognition, chips, gender] = await Promise.all([
    loadDetector(models.detector, { wasm, threads, workerUrl }),
    loadFaceRecognitionModel(models.recognition, options),
    loadImageChipExtractor({ wasm: options.wasm }),
    models.gender === undefined ? undefined : loadGenderClassifier(models.gender, options),
  ]);
  const locate = (image: RgbImage, options?: DetectFacesOptions) => locateFaces({ detector, shapePredictor, chips }, image, options);
  return {
    detector,
    shapePredictor,
    recognition,
    chips,
    gender,
    locate,
    async detect(image, { jitters, ...detectOptions } = {}) {
      const faces = await locate(image, detectOptions);
      const descriptors = await recognition.computeFaceDescriptors(
        faces.map((f) => f.chip),
        { jitters },
      );
      const genders = await gender?.classifyChips(faces.map((f) => chips.extractImageChip(image, genderChipDetails(f.landmarks))));
      return faces.map((f, i) => ({ ...f, descriptor: descriptors[i], ...(genders && { gender: genders[i] }) }));
    },
    dispose() {
      detector.dispose();
      recognition.dispose();
      chips.dispose();
      gender?.dispose();
    },
  };
}
