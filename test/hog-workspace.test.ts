import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FHOG_PLANES, readHogDetector } from '../src/dlib/hog-detector-reader.js';
import { fhogHistogramCols, fhogHistogramRows } from '../src/face/fhog.js';
import { isScanned, planHogWorkspace } from '../src/face/hog-workspace.js';

// The HOG detector writes a level's features and scores over the level's own
// image, after it has made the next level's image in the other buffer: the
// layout must keep apart what is alive at once.

const root = fileURLToPath(new URL('..', import.meta.url));
const description = readHogDetector(new Uint8Array(readFileSync(`${root}models/frontal_face_detector.dat`)));

type Range = [number, number];
const overlaps = ([a, b]: Range, [c, d]: Range) => a < d && c < b;

describe("the HOG detector's workspace", () => {
  for (const [width, height, upsample] of [
    [1986, 1545, 1],
    [500, 375, 0],
    [360, 480, 2],
  ]) {
    it(`for a ${width}x${height} image up-sampled ${upsample} times, keeps each level's features apart from the next level's image`, () => {
      const ws = planHogWorkspace({ width, height }, 4, upsample, description, 305, 1 << 20, 2, 1024);
      const histogram: Range = [ws.histogram, ws.histogram + 0];
      const levels = ws.levels.filter(isScanned);
      expect(levels.length).toBeGreaterThan(3);
      levels.forEach((level, l) => {
        const g = level.fhog;
        const planeBytes = g.planeRows * g.planeCols * 4;
        const features: Range = [level.features, level.features + FHOG_PLANES * planeBytes];
        const scores = level.scores.map((at): Range => [at, at + planeBytes]);
        histogram[1] = Math.max(histogram[1], ws.histogram + 18 * fhogHistogramRows(g) * fhogHistogramCols(g) * 4);
        for (const s of scores) expect(overlaps(s, features)).toBe(false);
        scores.forEach((s, i) => scores.slice(i + 1).forEach((t) => expect(overlaps(s, t)).toBe(false)));
        const next = levels[l + 1]?.image;
        if (next) {
          const image: Range = [next.address, next.address + 3 * next.planeBytes];
          expect(overlaps(image, features)).toBe(false);
          for (const s of scores) expect(overlaps(image, s)).toBe(false);
        }
        // Its own image is dead by then: they share its buffer.
        expect(level.features).toBe(level.image.address);
        for (const r of [features, ...scores]) expect(r[1]).toBeLessThanOrEqual(ws.end);
      });
      for (const level of levels) {
        expect(overlaps(histogram, [level.image.address, level.image.address + 3 * level.image.planeBytes])).toBe(false);
        expect(overlaps(histogram, [level.features, level.scores[level.scores.length - 1] + 1])).toBe(false);
      }
    });
  }

  it('takes 84 MB for a 2-megapixel photo up-sampled once (128 MB when features had a buffer of their own)', () => {
    const ws = planHogWorkspace({ width: 1986, height: 1545 }, 4, 1, description, 305, 1 << 20, 1, 0);
    expect(ws.end / 1e6).toBeGreaterThan(80);
    expect(ws.end / 1e6).toBeLessThan(85);
  });
});
