/**
 * dlib's snapping of an integer gradient to one of the 18 fHOG orientations,
 * written out as fhog.h's loop, independently of src/: the oracle of the
 * orientation table the HOG kernels read.
 */
const f32 = Math.fround;

/** dlib's unit vectors of the 9 orientations, as fhog.h stores them (floats). */
export const DLIB_DIRECTIONS = [
  [1.0, 0.0],
  [0.9397, 0.342],
  [0.766, 0.6428],
  [0.5, 0.866],
  [0.1736, 0.9848],
  [-0.1736, 0.9848],
  [-0.5, 0.866],
  [-0.766, 0.6428],
  [-0.9397, 0.342],
].map(([x, y]) => [f32(x), f32(y)]);

/** The first direction whose f32 dot product with (gx, gy) beats the best so far, or its negation's (+ the direction count). */
export function nearestDirectionBin(directions: number[][], gx: number, gy: number): number {
  let best = 0;
  let bin = 0;
  directions.forEach(([x, y], o) => {
    const dot = f32(f32(x * gx) + f32(y * gy));
    if (dot > best) [best, bin] = [dot, o];
    else if (-dot > best) [best, bin] = [-dot, o + directions.length];
  });
  return bin;
}

/** The bins of every gradient with components in [-range, range], row gy + range, entry gx + range. */
export function directionBinTable(directions: number[][], range: number): Uint8Array {
  const side = 2 * range + 1;
  const table = new Uint8Array(side * side);
  for (let gy = -range; gy <= range; gy++) {
    for (let gx = -range; gx <= range; gx++) table[(gy + range) * side + gx + range] = nearestDirectionBin(directions, gx, gy);
  }
  return table;
}

let orientationTable: Uint8Array | undefined;

/** dlib's orientation table of 8-bit gradients, indexed by (gy + 255) * 511 + gx + 255 (made once: the caller must not change it). */
export const dlibOrientationTable = () => (orientationTable ??= directionBinTable(DLIB_DIRECTIONS, 255));
