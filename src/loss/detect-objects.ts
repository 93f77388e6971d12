import type { InputRgbImagePyramid, LossDescription, NetworkDescription } from '../dlib/network-description.js';
import { InputError } from '../errors.js';
import { checkDetectOptions } from '../face/detect-options.js';
import { rectDownFromUpsampled } from '../face/image-pyramid.js';
import type { Rectangle } from '../geometry/point-transforms.js';
import { describeRgbImage, type FloatTensorRows, type RgbImage } from '../image.js';
import { KEPT_LEVEL_BYTES, tiledPyramidRows, tiledPyramidToImage } from '../input/tiled-image-pyramid.js';
import { buildGraph } from '../plan/graph.js';
import { mmodDetections, type MmodDetection, type ScoreMaps } from './mmod-detections.js';

export interface DetectObjectsOptions {
  /**
   * Times the image is up-sampled 2x (dlib's `pyramid_up` with
   * `pyramid_down<2>`) before the net runs, so that objects half (once) or a
   * quarter (twice) the detector window's size are found; rects are mapped
   * back to the image. Default 0, as dlib's `net(img)`.
   */
  upsample?: number;
  /** Scores above it are detections: negative finds more (and worse) ones. Default 0, as dlib's. */
  adjustThreshold?: number;
}

/** An object found by an MMOD net: dlib's `mmod_rect`. */
export interface ObjectDetection {
  /** dlib's inclusive pixel bounds, in the caller's image. */
  rect: Rectangle;
  /** The score of the window (dlib's `detection_confidence`). */
  confidence: number;
  /** The label of the detector window that found it ('' for a detector without labels, as the face detector). */
  label: string;
}

/** What detection needs of a network: its description and a run on its input tensors, made as the run asks for their rows. */
interface RunnableNetwork {
  readonly description: NetworkDescription;
  run(inputs: FloatTensorRows[]): Promise<Float32Array[]>;
}

/** A net dlib detects objects with: a `loss_mmod` over an image pyramid. */
export type MmodDetectorDescription = NetworkDescription & {
  loss: Extract<LossDescription, { kind: 'loss_mmod' }>;
  input: InputRgbImagePyramid;
};

/** Whether a net is one of dlib's MMOD detectors (a `loss_mmod` over an image pyramid), which detectObjects runs. */
export function isMmodDetector(net: NetworkDescription): net is MmodDetectorDescription {
  return net.loss.kind === 'loss_mmod' && net.input.kind === 'input_rgb_image_pyramid';
}

/**
 * dlib's detection with a `loss_mmod` net over an `input_rgb_image_pyramid`,
 * as dlib's Python `cnn_face_detection_model_v1(img, upsample)` runs it:
 * `pyramid_up` the image `upsample` times, the net on the tiled pyramid of
 * it, `to_label` (scores over the threshold, non-max suppression), each rect
 * brought back by `pyramid_down<2>::rect_down(rect, upsample)`. Highest
 * confidence first. An image too small for the net has no detection.
 */
export async function detectObjects(
  network: RunnableNetwork,
  image: RgbImage,
  options: DetectObjectsOptions = {},
): Promise<MmodDetection[]> {
  const net = network.description;
  if (!isMmodDetector(net)) {
    throw new InputError(
      `detect runs dlib's MMOD detectors (loss_mmod over input_rgb_image_pyramid); this net is ${net.loss.kind} over ${net.input.kind}: use run()`,
    );
  }
  const { loss, input, layers } = net;
  const { upsample, adjustThreshold } = checkDetectOptions(options, 0, 'detect options');
  describeRgbImage(image, 'the image', 0);
  const { tensor, layout } = tiledPyramidRows(image, input, KEPT_LEVEL_BYTES, upsample);
  if (tensor.rows === 0) return [];
  let shape: { c: number; h: number; w: number };
  try {
    const graph = buildGraph(net, tensor.rows, tensor.cols);
    shape = graph.shapes[graph.output];
  } catch (error) {
    // Too small for the net's windows: dlib would find nothing in it either.
    if (error instanceof InputError) return [];
    throw error;
  }
  const [output] = await network.run([tensor]);
  const scores: ScoreMaps = { channels: shape.c, rows: shape.h, cols: shape.w, data: output };
  const found = mmodDetections(scores, layers, loss.options, (rect) => tiledPyramidToImage(layout, input, rect), adjustThreshold);
  return upsample === 0 ? found : found.map((d) => ({ ...d, rect: rectDownFromUpsampled(d.rect, upsample) }));
}
