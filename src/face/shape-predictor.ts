import { InputError } from '../errors.js';
import { findSimilarityTransform, type Point, type Rectangle } from '../geometry/point-transforms.js';
import { describeRgbImage, MIN_SAMPLED_SIDE, type RgbImage } from '../image.js';
import { readModelSource, type ModelSource } from '../model-source.js';
import { readShapePredictor, type ShapePredictorModel } from '../dlib/shape-predictor-reader.js';

/** dlib's `shape_predictor`: face landmarks from an image and the face's box. */
export interface ShapePredictor {
  /** Landmarks per face: 68 for dlib's iBUG model, 5 for the 5-point one. */
  readonly numParts: number;
  /**
   * The landmarks of the face in `rect` (dlib's inclusive pixel rectangle, in
   * whole pixels, as a detector gives it), as dlib's `sp(img, rect)` finds
   * them: integer pixel positions, `[x, y]` per part.
   */
  predict(image: RgbImage, rect: Rectangle): Point[];
}

const f = Math.fround;

/** The rect must be whole pixels (dlib's `rectangle` holds longs) and overlap the image. */
function checkRect(rect: Rectangle, width: number, height: number): void {
  if (rect === null || typeof rect !== 'object') throw new InputError('rect must be { left, top, right, bottom }');
  const { left, top, right, bottom } = rect;
  if (![left, top, right, bottom].every(Number.isSafeInteger)) {
    throw new InputError(`rect (${left}, ${top}, ${right}, ${bottom}) must have integer coordinates (dlib's rectangle is in whole pixels)`);
  }
  if (right < left || bottom < top) throw new InputError(`rect (${left}, ${top}, ${right}, ${bottom}) is empty`);
  if (right < 0 || bottom < 0 || left >= width || top >= height) {
    throw new InputError(`rect (${left}, ${top}, ${right}, ${bottom}) lies outside the ${width}x${height} image`);
  }
}

/**
 * Runs the cascade as dlib's `shape_predictor::operator()` does, with dlib's
 * float and double steps: the shape and its increments in float, the
 * similarity to the initial shape in double then cast to float, each feature
 * pixel's position in float in the box's coordinates, then in double in the
 * image's, rounded to the nearest pixel.
 */
function predictShape(model: ShapePredictorModel, forests: Forest[], image: RgbImage, rect: Rectangle): Point[] {
  const { width, height, pixelStride } = describeRgbImage(image, 'image', MIN_SAMPLED_SIDE);
  checkRect(rect, width, height);
  const { data } = image;
  const { initialShape, levels } = model;
  const shapeLength = initialShape.length;
  // unnormalizing_tform(rect): (0,0), (1,0), (1,1) to the rect's top-left, top-right and bottom-right corners.
  const boxWidth = rect.right - rect.left;
  const boxHeight = rect.bottom - rect.top;
  const shape = Float32Array.from(initialShape);
  levels.forEach(({ anchors, deltas }, level) => {
    const { m } = findSimilarityTransform(initialShape, shape);
    const m00 = f(m[0][0]),
      m01 = f(m[0][1]),
      m10 = f(m[1][0]),
      m11 = f(m[1][1]);
    const features = new Float32Array(anchors.length);
    for (let j = 0; j < anchors.length; j++) {
      const dx = deltas[2 * j],
        dy = deltas[2 * j + 1];
      const qx = f(f(f(m00 * dx) + f(m01 * dy)) + shape[2 * anchors[j]]);
      const qy = f(f(f(m10 * dx) + f(m11 * dy)) + shape[2 * anchors[j] + 1]);
      const x = Math.floor(boxWidth * qx + rect.left + 0.5);
      const y = Math.floor(boxHeight * qy + rect.top + 0.5);
      if (x >= 0 && y >= 0 && x < width && y < height) {
        // get_pixel_intensity of an rgb_pixel: the integer mean of its channels.
        const o = (y * width + x) * pixelStride;
        features[j] = Math.floor((data[o] + data[o + 1] + data[o + 2]) / 3);
      }
    }
    // The leaf of every tree first, then their sums: the leaf rows lie far apart in memory, and
    // reading several at once hides the waits (2.3x faster with dlib's 68-point model).
    const { splitStarts, idx1, idx2, thresholds, leaves } = forests[level];
    const leafStarts = new Int32Array(leaves.length);
    for (let t = 0; t < leaves.length; t++) {
      const base = splitStarts[t];
      const splits = splitStarts[t + 1] - base;
      let node = 0;
      while (node < splits) {
        const at = base + node;
        node = features[idx1[at]] - features[idx2[at]] > thresholds[at] ? 2 * node + 1 : 2 * node + 2;
      }
      leafStarts[t] = (node - splits) * shapeLength;
    }
    addLeaves(shape, leaves, leafStarts);
  });
  const parts: Point[] = [];
  for (let k = 0; k < shapeLength; k += 2) {
    parts.push([Math.floor(boxWidth * shape[k] + rect.left + 0.5), Math.floor(boxHeight * shape[k + 1] + rect.top + 0.5)]);
  }
  return parts;
}

/**
 * shape += each leaf in turn (rows[t] from starts[t]), each sum rounded to
 * float as dlib's float additions are, eight leaves per pass over the shape.
 */
function addLeaves(shape: Float32Array, rows: Float32Array[], starts: Int32Array): void {
  const n = shape.length;
  let t = 0;
  for (; t + 8 <= rows.length; t += 8) {
    const r0 = rows[t],
      r1 = rows[t + 1],
      r2 = rows[t + 2],
      r3 = rows[t + 3];
    const r4 = rows[t + 4],
      r5 = rows[t + 5],
      r6 = rows[t + 6],
      r7 = rows[t + 7];
    const s0 = starts[t],
      s1 = starts[t + 1],
      s2 = starts[t + 2],
      s3 = starts[t + 3];
    const s4 = starts[t + 4],
      s5 = starts[t + 5],
      s6 = starts[t + 6],
      s7 = starts[t + 7];
    for (let k = 0; k < n; k++) {
      let v = f(f(f(f(shape[k] + r0[s0 + k]) + r1[s1 + k]) + r2[s2 + k]) + r3[s3 + k]);
      v = f(f(f(f(v + r4[s4 + k]) + r5[s5 + k]) + r6[s6 + k]) + r7[s7 + k]);
      shape[k] = v;
    }
  }
  for (; t < rows.length; t++) {
    const row = rows[t],
      start = starts[t];
    for (let k = 0; k < n; k++) shape[k] += row[start + k];
  }
}

/**
 * Reads a dlib `shape_predictor` `.dat` (any number of parts, levels and
 * trees; dlib's 68-point `shape_predictor_68_face_landmarks.dat` and the
 * bundled 5-point model among them).
 */
export async function loadShapePredictor(source: ModelSource): Promise<ShapePredictor> {
  return createShapePredictor(readShapePredictor(await readModelSource(source)));
}

/**
 * A level's trees with their splits in one set of arrays (the trees one
 * after another, tree t's from splitStarts[t]): the walk down the trees reads
 * the same few arrays, not a few per tree.
 */
interface Forest {
  splitStarts: Int32Array;
  idx1: Uint32Array;
  idx2: Uint32Array;
  thresholds: Float32Array;
  leaves: Float32Array[];
}

function forestOf(trees: ShapePredictorModel['levels'][number]['trees']): Forest {
  const splitStarts = new Int32Array(trees.length + 1);
  trees.forEach((tree, t) => (splitStarts[t + 1] = splitStarts[t] + tree.thresholds.length));
  const forest = {
    splitStarts,
    idx1: new Uint32Array(splitStarts[trees.length]),
    idx2: new Uint32Array(splitStarts[trees.length]),
    thresholds: new Float32Array(splitStarts[trees.length]),
    leaves: trees.map((tree) => tree.leaves),
  };
  trees.forEach((tree, t) => {
    forest.idx1.set(tree.idx1, splitStarts[t]);
    forest.idx2.set(tree.idx2, splitStarts[t]);
    forest.thresholds.set(tree.thresholds, splitStarts[t]);
  });
  return forest;
}

/** The predictor of an already read model. */
export function createShapePredictor(model: ShapePredictorModel): ShapePredictor {
  const forests = model.levels.map((level) => forestOf(level.trees));
  return {
    numParts: model.initialShape.length / 2,
    predict: (image, rect) => predictShape(model, forests, image, rect),
  };
}
