/** A 2-D point, `[x, y]`, x to the right and y down, in pixels. */
export type Point = [x: number, y: number];

/**
 * dlib's rectangle (inclusive bounds: a one-pixel rectangle has
 * `left === right`), or its drectangle when the numbers are fractional.
 */
export interface Rectangle {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** dlib's `rectangle::width()`: inclusive bounds, so one more than the difference; 0 when empty. */
export function rectWidth(r: Rectangle): number {
  return r.right < r.left ? 0 : r.right - r.left + 1;
}

/** dlib's `rectangle::height()`, as rectWidth. */
export function rectHeight(r: Rectangle): number {
  return r.bottom < r.top ? 0 : r.bottom - r.top + 1;
}

/** dlib's `rectangle::area()` (of a drectangle too): 0 when empty. */
export function rectArea(r: Rectangle): number {
  return rectWidth(r) * rectHeight(r);
}

/** dlib's `point_transform_affine`: `p -> m * p + b`. */
export interface AffineTransform {
  m: [[number, number], [number, number]];
  b: [number, number];
}

/** `m * p + b` in double, in the order dlib's matrix product sums it. */
export function applyAffine({ m, b }: AffineTransform, x: number, y: number): Point {
  return [m[0][0] * x + m[0][1] * y + b[0], m[1][0] * x + m[1][1] * y + b[1]];
}

/** dlib's `rotate_point(center, p, angle)`. */
export function rotatePoint(center: Point, p: Point, angle: number): Point {
  const sin = Math.sin(angle);
  const cos = Math.cos(angle);
  const x = p[0] - center[0];
  const y = p[1] - center[1];
  return [cos * x - sin * y + center[0], sin * x + cos * y + center[1]];
}

/**
 * dlib's `find_similarity_transform(from, to)` (Umeyama's least squares:
 * rotation, uniform scale, translation), for points given as flat
 * `[x0, y0, x1, y1, ...]` arrays. dlib gets the rotation from a 2x2 SVD of the
 * covariance; its closed form, used here, is the same number to the last bits
 * or so: `c R = [[a, -b], [b, a]]` with `a = (C00 + C11) / var(from)` and
 * `b = (C10 - C01) / var(from)`. Sums run in double and in point order, as dlib's.
 */
export function findSimilarityTransform(from: ArrayLike<number>, to: ArrayLike<number>): AffineTransform {
  const n = from.length / 2;
  let fromX = 0,
    fromY = 0,
    toX = 0,
    toY = 0;
  for (let i = 0; i < n; i++) {
    fromX += from[2 * i];
    fromY += from[2 * i + 1];
    toX += to[2 * i];
    toY += to[2 * i + 1];
  }
  fromX /= n;
  fromY /= n;
  toX /= n;
  toY /= n;
  let variance = 0,
    c00 = 0,
    c01 = 0,
    c10 = 0,
    c11 = 0;
  for (let i = 0; i < n; i++) {
    const fx = from[2 * i] - fromX;
    const fy = from[2 * i + 1] - fromY;
    const tx = to[2 * i] - toX;
    const ty = to[2 * i + 1] - toY;
    variance += fx * fx + fy * fy;
    c00 += tx * fx;
    c01 += tx * fy;
    c10 += ty * fx;
    c11 += ty * fy;
  }
  variance /= n;
  // dlib divides a matrix by a scalar as a product with the reciprocal.
  const inverseN = 1 / n;
  c00 *= inverseN;
  c01 *= inverseN;
  c10 *= inverseN;
  c11 *= inverseN;
  // Coincident (or single) from-points leave the covariance zero: dlib's SVD then gives the identity.
  const a = variance === 0 ? 1 : (c00 + c11) / variance;
  const b = variance === 0 ? 0 : (c10 - c01) / variance;
  return {
    m: [
      [a, -b],
      [b, a],
    ],
    b: [toX - (a * fromX + -b * fromY), toY - (b * fromX + a * fromY)],
  };
}

/**
 * dlib's `pinv` (from an SVD) of the homogeneous corners of a 150x150 chip,
 * `[[0, 149, 0], [0, 0, 149], [1, 1, 1]]`: not quite the exact inverse, and
 * the difference shows in the last bits of the maps and so in some pixels.
 * Face chips and jitter crops are 150x150; other sizes use the exact inverse.
 */
const DLIB_PINV_CHIP_CORNERS_150 = [
  [-0.0067114093959731525, -0.006711409395973154, 0.9999999999999997],
  [0.006711409395973154, 1.5442469419629963e-19, 0],
  [-8.418978100115711e-19, 0.006711409395973156, 1.92242597708836e-17],
];

const isChipCorners150 = ([p0, p1, p2]: [Point, Point, Point]) =>
  p0[0] === 0 && p0[1] === 0 && p1[0] === 149 && p1[1] === 0 && p2[0] === 0 && p2[1] === 149;

/**
 * dlib's `find_affine_transform` through exactly three point pairs (the only
 * way dlib uses it here): the affine map taking each `from[i]` to `to[i]`.
 * dlib solves `[m | b] = Q pinv(P)`; for a 150x150 chip's corners that is
 * done with dlib's own pinv, summed in dlib's order, so the maps are its bits.
 */
export function affineThroughThreePoints(from: [Point, Point, Point], to: [Point, Point, Point]): AffineTransform {
  if (isChipCorners150(from)) {
    const pi = DLIB_PINV_CHIP_CORNERS_150;
    const mb = (r: number, c: number) => to[0][r] * pi[0][c] + to[1][r] * pi[1][c] + to[2][r] * pi[2][c];
    return {
      m: [
        [mb(0, 0), mb(0, 1)],
        [mb(1, 0), mb(1, 1)],
      ],
      b: [mb(0, 2), mb(1, 2)],
    };
  }
  const [p0, p1, p2] = from;
  const [q0, q1, q2] = to;
  // M [u v] = [s t] with u, v (s, t) the edges from the first point.
  const ux = p1[0] - p0[0],
    uy = p1[1] - p0[1],
    vx = p2[0] - p0[0],
    vy = p2[1] - p0[1];
  const sx = q1[0] - q0[0],
    sy = q1[1] - q0[1],
    tx = q2[0] - q0[0],
    ty = q2[1] - q0[1];
  const det = ux * vy - vx * uy;
  const m: AffineTransform['m'] = [
    [(sx * vy - tx * uy) / det, (tx * ux - sx * vx) / det],
    [(sy * vy - ty * uy) / det, (ty * ux - sy * vx) / det],
  ];
  return { m, b: [q0[0] - (m[0][0] * p0[0] + m[0][1] * p0[1]), q0[1] - (m[1][0] * p0[0] + m[1][1] * p0[1])] };
}
