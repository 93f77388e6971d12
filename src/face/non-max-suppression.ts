import { type Rectangle, rectArea as area } from '../geometry/point-transforms.js';

/** dlib's `test_box_overlap` settings. */
export interface OverlapThresholds {
  iouThreshold: number;
  percentCoveredThreshold: number;
}

/**
 * dlib's `test_box_overlap`: boxes overlap when their intersection is more
 * than `iouThreshold` of the box bounding both (dlib's `a + b`, not the union
 * of the two areas) or more than `percentCoveredThreshold` of either box.
 */
function boxesOverlap(a: Rectangle, b: Rectangle, t: OverlapThresholds): boolean {
  const inner = area({
    left: Math.max(a.left, b.left),
    top: Math.max(a.top, b.top),
    right: Math.min(a.right, b.right),
    bottom: Math.min(a.bottom, b.bottom),
  });
  if (inner === 0) return false;
  const outer = area({
    left: Math.min(a.left, b.left),
    top: Math.min(a.top, b.top),
    right: Math.max(a.right, b.right),
    bottom: Math.max(a.bottom, b.bottom),
  });
  return inner / outer > t.iouThreshold || inner / area(a) > t.percentCoveredThreshold || inner / area(b) > t.percentCoveredThreshold;
}

/** dlib's non-max suppression: in the given order, a box is kept unless it overlaps one kept before it. */
export function suppressOverlaps<T extends { rect: Rectangle }>(candidates: T[], thresholds: OverlapThresholds): T[] {
  const kept: T[] = [];
  for (const c of candidates) {
    if (!kept.some((k) => boxesOverlap(k.rect, c.rect, thresholds))) kept.push(c);
  }
  return kept;
}
