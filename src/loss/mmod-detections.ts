import type { LayerDescription, MmodOptions } from '../dlib/network-description.js';
import { UnsupportedLayerError } from '../errors.js';
import { suppressOverlaps } from '../face/non-max-suppression.js';
import type { Rectangle } from '../geometry/point-transforms.js';
import { roundRect } from '../face/image-pyramid.js';

/** A detection of dlib's `loss_mmod`, as its `mmod_rect`. */
export interface MmodDetection {
  /** dlib's inclusive pixel bounds, in the image the net's input layer was given. */
  rect: Rectangle;
  /** The window's score (dlib's `detection_confidence`): above the threshold the detection was made with. */
  confidence: number;
  /** The label of the detector window that found it ('' when the detector has none). */
  label: string;
  /** Which detector window (score channel) found it. */
  windowIndex: number;
}

/** A score map: the net's output, one channel per detector window, planar. */
export interface ScoreMaps {
  channels: number;
  rows: number;
  cols: number;
  data: Float32Array;
}

/**
 * dlib's `output_tensor_to_input_tensor`: a point of the net's output mapped
 * down through each layer (`p * stride - padding + size / 2` for a con or a
 * pool, itself for the element-wise layers) to the input tensor's coordinates.
 * `layers` are from the input side up, as a NetworkDescription lists them.
 */
export function outputToInputPoint(layers: LayerDescription[], x: number, y: number): [number, number] {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    switch (layer.kind) {
      case 'con':
        x = x * layer.strideX - layer.padX + Math.trunc(layer.kernelCols / 2);
        y = y * layer.strideY - layer.padY + Math.trunc(layer.kernelRows / 2);
        break;
      case 'max_pool':
      case 'avg_pool':
        if (layer.windowRows === 0 && layer.windowCols === 0) {
          throw new UnsupportedLayerError(`${layer.kind} over the whole input maps no output point to the input`, layer.index);
        }
        x = x * layer.strideX - layer.padX + Math.trunc(layer.windowCols / 2);
        y = y * layer.strideY - layer.padY + Math.trunc(layer.windowRows / 2);
        break;
      case 'fc':
        throw new UnsupportedLayerError('fc maps no output point to the input (dlib has no such map for it)', layer.index);
      case 'skip': {
        // dlib follows a skip to its tag, and goes on below it.
        const tag = layer.tag;
        let j = i - 1;
        while (j >= 0 && !(layers[j].kind === 'tag' && (layers[j] as { id: number }).id === tag)) j--;
        i = j;
        break;
      }
      default:
        break; // relu, affine, bn, multiply, tag, add_prev, concat: the identity
    }
  }
  return [x, y];
}

/**
 * The indices of the values above `threshold`, in order. The scan of every
 * score on its own, reading no object: V8 re-optimized and dropped the scan
 * when it also read the detector window's fields (a deprecated hidden
 * class), every call, 1.5-4 ms a call of the face detector's 10.7k scores.
 */
function indicesAbove(data: Float32Array, threshold: number): number[] {
  const found: number[] = [];
  for (let i = 0; i < data.length; i++) if (data[i] > threshold) found.push(i);
  return found;
}

/**
 * dlib's `loss_mmod_::to_label` for one sample: every score above
 * `adjustThreshold`, its window centered at the point the score maps to in
 * the input tensor, mapped to the image by `tensorToImage` and rounded; then,
 * highest score first, dlib's non-max suppression with the options'
 * `overlapsNms`. dlib's sort is not stable: scores that tie exactly keep
 * their scan order here (window, row, column), as dlib's does for up to 16
 * candidates.
 */
export function mmodDetections(
  scores: ScoreMaps,
  layers: LayerDescription[],
  options: MmodOptions,
  tensorToImage: (rect: Rectangle) => Rectangle,
  adjustThreshold: number,
): MmodDetection[] {
  if (options.useBoundingBoxRegression) {
    // The loss is dlib's layer<0>.
    throw new UnsupportedLayerError('loss_mmod with bounding box regression cannot be decoded yet', 0);
  }
  const { rows, cols, data } = scores;
  const candidates: MmodDetection[] = [];
  for (const i of indicesAbove(data.subarray(0, options.detectorWindows.length * rows * cols), adjustThreshold)) {
    const k = Math.floor(i / (rows * cols));
    const r = Math.floor(i / cols) % rows;
    const c = i % cols;
    const window = options.detectorWindows[k];
    const halfWidth = (window.width - 1) / 2;
    const halfHeight = (window.height - 1) / 2;
    const [x, y] = outputToInputPoint(layers, c, r);
    const rect = tensorToImage({ left: x - halfWidth, top: y - halfHeight, right: x + halfWidth, bottom: y + halfHeight });
    candidates.push({ rect: roundRect(rect), confidence: data[i], label: window.label, windowIndex: k });
  }
  candidates.sort((a, b) => b.confidence - a.confidence);
  return suppressOverlaps(candidates, options.overlapsNms);
}
