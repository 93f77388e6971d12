/**
 * The typed description of a dlib network as read from its `.dat` file:
 * what each layer is and every parameter it carries, nothing about how it
 * will be run. Layers are listed from the input side to the output, each
 * with dlib's `layer<i>` index (the loss is layer<0>, the input the last).
 */

export type LayerMode = 'conv' | 'fc';

interface LayerBase {
  /** dlib's `layer<i>` index: 1 is the layer under the loss. */
  index: number;
  /** Byte offset of the layer's payload (or marker) in the file. */
  offset: number;
}

export interface ConLayer extends LayerBase {
  kind: 'con';
  numFilters: number;
  inputChannels: number;
  kernelRows: number;
  kernelCols: number;
  strideY: number;
  strideX: number;
  padY: number;
  padX: number;
  /** `[numFilters][inputChannels][kernelRows][kernelCols]`. */
  filters: Float32Array;
  bias: Float32Array | null;
}

export interface FcLayer extends LayerBase {
  kind: 'fc';
  numOutputs: number;
  numInputs: number;
  /** Row-major `[numInputs][numOutputs]`, as dlib stores it. */
  weights: Float32Array;
  bias: Float32Array | null;
}

export interface ReluLayer extends LayerBase {
  kind: 'relu';
}

/** `y = gamma * x + beta`, per channel (conv mode) or per element (fc mode). */
export interface AffineLayer extends LayerBase {
  kind: 'affine';
  mode: LayerMode;
  /** Empty when `disabled` (after dlib's `fuse_layers`): the layer is then the identity. */
  gamma: Float32Array;
  beta: Float32Array;
  disabled: boolean;
}

/** Batch normalization in inference mode (running statistics). */
export interface BatchNormLayer extends LayerBase {
  kind: 'bn';
  mode: LayerMode;
  gamma: Float32Array;
  beta: Float32Array;
  runningMeans: Float32Array;
  runningVariances: Float32Array;
  eps: number;
}

/** Max or average pooling; a 0x0 window means the whole input (`*_pool_everything`). */
export interface PoolLayer extends LayerBase {
  kind: 'max_pool' | 'avg_pool';
  windowRows: number;
  windowCols: number;
  strideY: number;
  strideX: number;
  padY: number;
  padX: number;
}

/** Adds the output of the nearest `tag<tag>` below it (zero-extending the smaller). */
export interface AddPrevLayer extends LayerBase {
  kind: 'add_prev';
  tag: number;
}

/** Identity that marks its output for a later `skip` or `add_prev`. */
export interface TagLayer extends LayerBase {
  kind: 'tag';
  id: number;
}

/** Outputs the tensor of the nearest `tag<tag>` below it. */
export interface SkipLayer extends LayerBase {
  kind: 'skip';
  tag: number;
}

/** `y = value * x` (dlib's `multiply`, also what a `dropout` becomes at inference: value = 1 - drop rate). */
export interface MultiplyLayer extends LayerBase {
  kind: 'multiply';
  value: number;
}

/**
 * Concatenates along channels the outputs of the nearest `tag<id>` below it
 * for each id in `tags`, in that order (dlib's `concat_<TAG1, TAG2, ...>`).
 * Its own input (the layer just below) is not read, unless it is one of the tags.
 */
export interface ConcatLayer extends LayerBase {
  kind: 'concat';
  tags: number[];
}

export type LayerDescription =
  | ConLayer
  | MultiplyLayer
  | ConcatLayer
  | FcLayer
  | ReluLayer
  | AffineLayer
  | BatchNormLayer
  | PoolLayer
  | AddPrevLayer
  | TagLayer
  | SkipLayer;

export type LayerKind = LayerDescription['kind'];

export interface InputRgbImage {
  kind: 'input_rgb_image';
  index: number;
  /** Per-channel means (R, G, B) subtracted before dividing by 256. */
  mean: [number, number, number];
  /** Set for `input_rgb_image_sized<rows, cols>`: the only size it accepts. */
  rows?: number;
  cols?: number;
}

/**
 * dlib's `input_rgb_image_pyramid<pyramid_down<N>>`: the image and its
 * pyramid (each level N-1/N the size of the one before) tiled into one
 * image, with `pyramidPadding` pixels between levels and
 * `pyramidOuterPadding` around them; then normalized as `input_rgb_image`.
 */
export interface InputRgbImagePyramid {
  kind: 'input_rgb_image_pyramid';
  index: number;
  mean: [number, number, number];
  /**
   * N of `pyramid_down<N>`: a template argument, in neither the file nor the
   * printout. 6 is what every published dlib MMOD net (and dlib's own
   * examples) declare.
   */
  pyramidDownFactor: 6;
  pyramidPadding: number;
  pyramidOuterPadding: number;
  /** Never fixed: the tiled image's size follows the input image's. */
  rows?: undefined;
  cols?: undefined;
}

export type InputDescription = InputRgbImage | InputRgbImagePyramid;

/** A `test_box_overlap`: two boxes overlap when their IoU, or the share of either covered by the other, exceeds its threshold. */
export interface BoxOverlapTest {
  iouThreshold: number;
  percentCoveredThreshold: number;
}

/** A sliding window of dlib's MMOD detector: one score map (output channel) each. */
export interface DetectorWindow {
  width: number;
  height: number;
  label: string;
}

/** dlib's `mmod_options`, as serialized (versions 1 to 4; what older versions lack has dlib's defaults). */
export interface MmodOptions {
  detectorWindows: DetectorWindow[];
  lossPerFalseAlarm: number;
  lossPerMissedTarget: number;
  truthMatchIouThreshold: number;
  /** Detections overlapping a stronger one this much are dropped (non-max suppression). */
  overlapsNms: BoxOverlapTest;
  /** Truth boxes marked ignore: used in training only. */
  overlapsIgnore: BoxOverlapTest;
  /** Whether the detector's input is an image pyramid (rects are mapped back through it). */
  assumeImagePyramid: boolean;
  /** With it, the net outputs 4 more channels per window (dx, dy, dw, dh) after the score maps. */
  useBoundingBoxRegression: boolean;
  bboxRegressionLambda: number;
}

export type LossDescription =
  | { kind: 'loss_metric'; margin: number; distanceThreshold: number }
  | { kind: 'loss_multiclass_log' }
  | { kind: 'loss_mmod'; options: MmodOptions };

/**
 * A `repeat<count, BLOCK, SUBNET>`: `count` copies of a block of
 * `blockLength` layers (each with weights of its own), the first copy's
 * outermost layer at `firstIndex`. The layers themselves are in `layers`
 * with dlib's indices, as the printout lists them; this only records the grouping.
 */
export interface RepeatGroup {
  firstIndex: number;
  count: number;
  blockLength: number;
  /** Byte offset of the repeat's version. */
  offset: number;
}

export interface NetworkDescription {
  loss: LossDescription;
  input: InputDescription;
  /** From the layer just above the input to layer<1>. */
  layers: LayerDescription[];
  /** The `repeat`s the net was declared with, outermost first (empty for most nets). */
  repeats?: RepeatGroup[];
}
