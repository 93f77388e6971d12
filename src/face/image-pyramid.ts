import { type Rectangle, rectHeight, rectWidth } from '../geometry/point-transforms.js';

/**
 * dlib's image pyramids as the HOG detector uses them: `pyramid_down<6>`
 * between the detector's levels, and `pyramid_down<2>`'s up-sampler
 * (`pyramid_up`) for the caller's up-sampling. Both resample with dlib's
 * bilinear `resize_image`; they differ in sizes and in how coordinates map.
 */

export interface Size {
  width: number;
  height: number;
}

/** The N of the detector's `pyramid_down<N>`: each level is 5/6 of the one before. */
const DETECTOR_PYRAMID_N = 6;

/** dlib's drectangle to rectangle conversion: every side rounded half up. */
export function roundRect(r: Rectangle): Rectangle {
  return {
    left: Math.floor(r.left + 0.5),
    top: Math.floor(r.top + 0.5),
    right: Math.floor(r.right + 0.5),
    bottom: Math.floor(r.bottom + 0.5),
  };
}

function mapRect(r: Rectangle, map: (v: number, axis: 0 | 1) => number): Rectangle {
  return { left: map(r.left, 0), top: map(r.top, 1), right: map(r.right, 0), bottom: map(r.bottom, 1) };
}

/** `pyramid_down<N>`'s output size: `(N-1) * n / N` in integers, per side. */
export function pyramidDownSize({ width, height }: Size): Size {
  const n = DETECTOR_PYRAMID_N;
  return { width: Math.floor(((n - 1) * width) / n), height: Math.floor(((n - 1) * height) / n) };
}

/**
 * How many levels `scan_fhog_pyramid` builds for an image: dlib counts by
 * shrinking the image's rectangle with `rect_down` (rounding it each time)
 * while it stays at least the minimum size, not by the level images' sizes.
 */
export function detectorLevelCount({ width, height }: Size, minWidth: number, minHeight: number, maxLevels: number): number {
  const ratio = (DETECTOR_PYRAMID_N - 1.0) / DETECTOR_PYRAMID_N;
  let rect: Rectangle = { left: 0, top: 0, right: width - 1, bottom: height - 1 };
  let levels = 0;
  do {
    rect = roundRect(mapRect(rect, (v) => (v - 0.3) * ratio));
    levels++;
  } while (rectWidth(rect) >= minWidth && rectHeight(rect) >= minHeight && levels < maxLevels);
  return levels;
}

/** `pyramid_down<N>::rect_up(rect, levels)`, rounded: from a level's coordinates to the image's. */
export function rectUpFromLevel(rect: Rectangle, levels: number): Rectangle {
  const ratio = DETECTOR_PYRAMID_N / (DETECTOR_PYRAMID_N - 1.0);
  let r = rect;
  for (let i = 0; i < levels; i++) r = mapRect(r, (v) => v * ratio + 0.3);
  return roundRect(r);
}

/** `pyramid_down<2>`'s point_up offsets, x then y. */
const UP_OFFSET = [1.25, 0.75];

/** The size `pyramid_up` gives: the image's rectangle through `pyramid_down<2>::rect_up`, rounded. */
export function pyramidUpSize({ width, height }: Size): Size {
  if (width === 0 || height === 0) return { width: 0, height: 0 };
  const up = roundRect(mapRect({ left: 0, top: 0, right: width - 1, bottom: height - 1 }, (v, axis) => (v + UP_OFFSET[axis]) * 2));
  if (up.right < up.left || up.bottom < up.top) return { width: 0, height: 0 };
  return { width: up.right + 1, height: up.bottom + 1 };
}

/** `pyramid_down<2>::rect_down(rect, times)`, rounded once at the end: from an up-sampled image back to the original. */
export function rectDownFromUpsampled(rect: Rectangle, times: number): Rectangle {
  let r = rect;
  for (let i = 0; i < times; i++) r = mapRect(r, (v, axis) => v / 2.0 - UP_OFFSET[axis]);
  return roundRect(r);
}
