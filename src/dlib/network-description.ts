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

export type LayerDescription =
  | ConLayer
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

export type LossDescription = { kind: 'loss_metric'; margin: number; distanceThreshold: number } | { kind: 'loss_multiclass_log' };

export interface NetworkDescription {
  loss: LossDescription;
  input: InputRgbImage;
  /** From the layer just above the input to layer<1>. */
  layers: LayerDescription[];
}
