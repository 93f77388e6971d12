import { InputError } from '../errors.js';
import {
  affineThroughThreePoints,
  applyAffine,
  findSimilarityTransform,
  rotatePoint,
  type AffineTransform,
  type Point,
  type Rectangle,
} from '../geometry/point-transforms.js';
import { MAX_IMAGE_PIXELS } from '../image.js';

/**
 * dlib's `chip_details`: where a chip is cut from an image. `rect` (a
 * drectangle, fractional) rotated by `angle` (radians) about its centre is
 * sampled onto `rows` x `cols` pixels; `imageToChip` is the affine map from
 * image to chip coordinates (dlib's `get_mapping_to_chip`).
 */
export interface ChipDetails {
  rect: Rectangle;
  angle: number;
  rows: number;
  cols: number;
  imageToChip: AffineTransform;
}

// dlib's alignment templates (interpolation.h), in a unit square: for 5 points, dlib's 5-point
// model's parts; for 68, the mean face of iBUG points 17..67.
const FIVE_POINT_TEMPLATE: Point[] = [
  [0.8595674595992, 0.2134981538014],
  [0.6460604764104, 0.2289674387677],
  [0.1205750620789, 0.2137274526848],
  [0.3340850613712, 0.2290642403242],
  [0.4901123135679, 0.6277975316475],
];
const MEAN_FACE_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127, 0.490127, 0.490127,
  0.490127, 0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647, 0.714428,
  0.793132, 0.858516, 0.79751, 0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721, 0.490127,
  0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127, 0.42689,
];
const MEAN_FACE_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805,
  0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733, 0.245099, 0.244077, 0.231733,
  0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805,
  0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803, 0.824182,
];
/** The 68-point parts dlib aligns: 27..54 and 60..64 (no jaw, eyebrows or lower lip). */
const ALIGNED_68_POINT_PARTS = Array.from({ length: 68 }, (_, i) => i).filter(
  (i) => i >= 27 && !(i >= 55 && i <= 59) && !(i >= 65 && i <= 67),
);

/** The corners dlib maps to a chip's corners: the rect's, rotated by `angle` about its centre. */
export function rotatedCorners(rect: Rectangle, angle: number): { tl: Point; tr: Point; bl: Point; br: Point } {
  const center: Point = [(rect.left + rect.right) / 2, (rect.top + rect.bottom) / 2];
  return {
    tl: rotatePoint(center, [rect.left, rect.top], angle),
    tr: rotatePoint(center, [rect.right, rect.top], angle),
    bl: rotatePoint(center, [rect.left, rect.bottom], angle),
    br: rotatePoint(center, [rect.right, rect.bottom], angle),
  };
}

function checkShape(shape: Point[]): void {
  if (!Array.isArray(shape) || (shape.length !== 5 && shape.length !== 68)) {
    const count = Array.isArray(shape) ? `${shape.length} points` : 'not an array of points';
    throw new InputError(`a face shape for chip alignment has 5 or 68 points (dlib's landmark models), got ${count}`);
  }
  shape.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
      throw new InputError(`shape point ${i} is not a finite [x, y]`);
    }
  });
}

/**
 * dlib's `get_face_chip_details(shape, size, padding)`: the similarity that
 * best maps dlib's template face (grown by `padding` of its size on every
 * side, scaled to `size` pixels) onto the shape's landmarks (5 or 68, as
 * dlib's landmark models give them) gives the chip's rotated rect.
 */
export function getFaceChipDetails(shape: Point[], size = 150, padding = 0.25): ChipDetails {
  checkShape(shape);
  if (!Number.isInteger(size) || size < 2 || size * size > MAX_IMAGE_PIXELS) {
    throw new InputError(`chip size must be an integer from 2 to ${Math.floor(Math.sqrt(MAX_IMAGE_PIXELS))}, got ${String(size)}`);
  }
  if (!(padding >= 0) || !Number.isFinite(padding)) throw new InputError(`padding must be a finite number >= 0, got ${String(padding)}`);
  // dlib pads the 5-point template as a vector, dividing by multiplying with the reciprocal, and
  // the 68-point one coordinate by coordinate, dividing.
  const chipPoints =
    shape.length === 5
      ? FIVE_POINT_TEMPLATE.flatMap(([x, y]) => [
          (padding + x) * (1 / (2 * padding + 1)) * size,
          (padding + y) * (1 / (2 * padding + 1)) * size,
        ])
      : ALIGNED_68_POINT_PARTS.flatMap((i) => [
          ((padding + MEAN_FACE_X[i - 17]) / (2 * padding + 1)) * size,
          ((padding + MEAN_FACE_Y[i - 17]) / (2 * padding + 1)) * size,
        ]);
  const imagePoints = (shape.length === 5 ? [0, 1, 2, 3, 4] : ALIGNED_68_POINT_PARTS).flatMap((i) => shape[i]);
  const chipToImage = findSimilarityTransform(chipPoints, imagePoints);
  // chip_details(chip_points, img_points, dims): a similarity is scale, rotation and translation;
  // the angle and scale come from where it sends (1, 0), the translation from the chip's centre.
  const [px, py] = [chipToImage.m[0][0], chipToImage.m[1][0]];
  const angle = Math.atan2(py, px);
  const scale = Math.sqrt(px * px + py * py);
  const [cx, cy] = applyAffine(chipToImage, size / 2, size / 2);
  // centered_drect(p, w, h) shrinks w and h by one: dlib's rects include both ends.
  const halfWidth = (size * scale - 1) / 2;
  const halfHeight = (size * scale - 1) / 2;
  const rect = { left: cx - halfWidth, top: cy - halfHeight, right: cx + halfWidth, bottom: cy + halfHeight };
  return { rect, angle, rows: size, cols: size, imageToChip: mappingToChip(rect, angle, size, size) };
}

/** dlib's `get_mapping_to_chip`: the rotated rect's top-left, top-right and bottom-right corners to the chip's. */
function mappingToChip(rect: Rectangle, angle: number, rows: number, cols: number): AffineTransform {
  const { tl, tr, br } = rotatedCorners(rect, angle);
  return affineThroughThreePoints(
    [tl, tr, br],
    [
      [0, 0],
      [cols - 1, 0],
      [cols - 1, rows - 1],
    ],
  );
}
