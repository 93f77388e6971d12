export { loadNetwork, type LoadNetworkOptions } from './load-network.js';
export {
  loadFaceRecognitionModel,
  descriptorDistance,
  FACE_CHIP_SIZE,
  DESCRIPTOR_LENGTH,
  SAME_PERSON_THRESHOLD,
  MAX_JITTERS,
  type FaceRecognitionModel,
  type FaceRecognitionOptions,
} from './face/face-recognition-model.js';
export {
  DlibNetwork,
  type BackendInfo,
  type EngineOptions,
  type LayerOutput,
  type PlacedConstantEntry,
  type PlacedConstantsImage,
  type StepTiming,
} from './engine/network.js';
export { classifyLogits, type Classification } from './loss/multiclass-log.js';
export type { DetectObjectsOptions, ObjectDetection } from './loss/detect-objects.js';
export { loadCnnFaceDetector, type CnnFaceDetector, type CnnFaceDetectorOptions } from './face/cnn-face-detector.js';
export type { WasmSource } from './engine/kernels.js';
export type { ModelSource } from './model-source.js';
export { readDlibNetwork, readDlibNetworkPrefix, type ReadNetworkOptions, type NetworkPrefix } from './dlib/network-reader.js';
export { readNetworkAndShapePredictor, type NetworkAndShapePredictor } from './dlib/network-and-shape-predictor.js';
export type { ShapePredictorModel, CascadeLevel, RegressionTree } from './dlib/shape-predictor-reader.js';
export { parsePrintout, type Topology, type TopologyLayer } from './dlib/printout.js';
export { faceRecognitionTopology } from './dlib/face-model-topology.js';
export type * from './dlib/network-description.js';
export type { RgbImage, FloatTensor, NetworkInput } from './image.js';
export {
  DlibWasmError,
  DatFormatError,
  TopologyError,
  UnsupportedLayerError,
  InputError,
  DisposedError,
  WorkerStartError,
  WorkerDiedError,
  WasmMemoryError,
} from './errors.js';
export {
  chineseWhispers,
  descriptorGraph,
  MAX_CLUSTER_EDGES,
  MAX_CLUSTER_NODES,
  type Clustering,
  type ChineseWhispersOptions,
  type Edge,
} from './face/chinese-whispers.js';
export { DlibRand } from './dlib/dlib-rand.js';
export { loadShapePredictor, type ShapePredictor, type ShapePredictorOptions } from './face/shape-predictor.js';
export type { Point, Rectangle } from './geometry/point-transforms.js';
export { getFaceChipDetails, type ChipDetails } from './face/face-chip.js';
export {
  loadImageChipExtractor,
  type ImageChipExtractor,
  type ImageChipExtractorOptions,
  type ChipRegion,
} from './face/image-chip-extractor.js';
export type { AffineTransform } from './geometry/point-transforms.js';
export {
  loadFrontalFaceDetector,
  DEFAULT_UPSAMPLE,
  MAX_UPSAMPLE,
  MAX_DETECTOR_MEMORY_BYTES,
  type FrontalFaceDetector,
  type FrontalFaceDetectorOptions,
  type FaceDetection,
  type DetectFacesOptions,
} from './face/hog-detector.js';
export { readHogDetector, type HogDetectorDescription, type HogFilter } from './dlib/hog-detector-reader.js';
export type { SeparableTerm } from './face/fhog-filterbank.js';
export { jitterImage, drawJitter, type JitterParameters } from './face/jitter.js';
export type { DescriptorOptions } from './face/face-recognition-model.js';
export {
  loadFacePipeline,
  type FaceDetector,
  type FaceDetectorKind,
  type FacePipeline,
  type FacePipelineModels,
  type FacePipelineOptions,
  type DetectOptions,
  type DetectedFace,
  type LocatedFace,
} from './face/face-pipeline.js';
export {
  loadGenderClassifier,
  genderChipDetails,
  GENDER_CHIP_SIZE,
  GENDER_CHIP_PADDING,
  GENDER_LABELS,
  type GenderClassifier,
  type GenderEstimate,
} from './face/gender-classifier.js';
export { genderClassifierTopology } from './dlib/gender-classifier-topology.js';
export { FaceMatcher, UNKNOWN_PERSON, type FaceMatch, type FaceMatcherJSON, type FaceMatcherOptions } from './face/face-matcher.js';
