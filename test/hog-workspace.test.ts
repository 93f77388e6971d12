import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readHogDetector } from '../src/dlib/hog-detector-reader.js';
import { fhogHistogramRows } from '../src/face/fhog.js';
import { windowsOfStep } from '../src/face/hog-schedule.js';
import { chooseScoring } from '../src/face/hog-score-plan.js';
import { planHogWorkspace } from '../src/face/hog-workspace.js';

// The HOG detector scans an image through windows of rows placed by lifetime
// in one arena: what is alive at the same step must not share bytes, and every
// stage must cover its rows once, in order.

const root = fileURLToPath(new URL('..', import.meta.url));
const description = readHogDetector(new Uint8Array(readFileSync(`${root}models/frontal_face_detector.dat`)));
// The detector's own choice, with its filterbank's multiply-adds a cell (305 rank-1 terms of 10 + 10 taps).
const scoringOf = (g: { planeRows: number; planeCols: number }) => chooseScoring(g.planeRows - 9, g.planeCols - 9, 305 * 20, 10, 10);
const plan = (width: number, height: number, upsample: number, threads: number) =>
  planHogWorkspace({ width, height }, 4, upsample, description, scoringOf, 305, 1 << 20, threads, 1024);

type Range = [number, number];
const overlaps = ([a, b]: Range, [c, d]: Range) => a < d && c < b;

describe("the HOG detector's workspace", () => {
  for (const [width, height, upsample, threads] of [
    [1986, 1545, 1, 1],
    [1986, 1545, 1, 2],
    [500, 375, 0, 1],
    [360, 480, 2, 3],
  ]) {
    const ws = plan(width, height, upsample, threads);
    const images = ws.chain.length;
    const levelImages = ws.levels.map((level) => level.image);

    it(`for a ${width}x${height} image up-sampled ${upsample} times on ${threads} thread(s), keeps apart the windows alive at once`, () => {
      expect(ws.levels.length).toBeGreaterThan(3);
      const lifetimes = ws.windows.map((): Range => [Number.POSITIVE_INFINITY, -1]);
      ws.steps.forEach((step, k) => {
        for (const w of windowsOfStep(step, images, levelImages)) {
          lifetimes[w][0] = Math.min(lifetimes[w][0], k);
          lifetimes[w][1] = Math.max(lifetimes[w][1], k + 1);
        }
      });
      const bytes = ws.windows.map(({ start, planes, planeBytes }): Range => [start, start + planes * planeBytes]);
      for (const [a, b] of bytes) {
        expect(a).toBeGreaterThanOrEqual(1024);
        expect(b).toBeLessThanOrEqual(ws.end);
      }
      let pairs = 0;
      for (let v = 0; v < ws.windows.length; v++) {
        for (let w = v + 1; w < ws.windows.length; w++) {
          if (!overlaps(lifetimes[v], lifetimes[w])) continue;
          pairs++;
          expect(overlaps(bytes[v], bytes[w]), `windows ${v} and ${w}`).toBe(false);
        }
      }
      expect(pairs).toBeGreaterThan(ws.levels.length);
    });

    it(`for a ${width}x${height} image up-sampled ${upsample} times on ${threads} thread(s), makes each image's rows, histograms and scores once, in order`, () => {
      const made = ws.chain.map(() => 0);
      const hist = ws.levels.map(() => 0);
      const scores = ws.levels.map((level) => level.area.top);
      for (const step of ws.steps) {
        if (step.kind === 'stage' || step.kind === 'resize') {
          const i = step.kind === 'stage' ? 0 : step.image;
          expect(step.rowStart).toBe(made[i]);
          made[i] = step.rowEnd;
        } else if (step.kind === 'cells') {
          expect(step.rowStart).toBe(hist[step.level]);
          // Whole chunks: each call takes over the row the call before handed it.
          expect(step.rowStart % ws.levels[step.level].chunkRows).toBe(0);
          hist[step.level] = step.rowEnd;
        } else if (step.kind === 'score') {
          const { scoring, area } = ws.levels[step.level];
          expect(step.rowStart).toBe(scores[step.level]);
          // FFT tiles stay where whole planes put them: bands start on their grid.
          if (scoring.kind === 'transform') expect((step.rowStart - area.top) % (2 ** scoring.bits - 9)).toBe(0);
          scores[step.level] = step.rowEnd;
        }
      }
      expect(made).toEqual(ws.chain.map((image) => image.height));
      expect(hist).toEqual(ws.levels.map((level) => fhogHistogramRows(level.fhog)));
      expect(scores).toEqual(ws.levels.map((level) => level.area.bottom + 1));
    });
  }

  it('takes 52 MB for a 2-megapixel photo up-sampled once (84 MB in whole planes), 104 MB for an 8000x8000 one (429)', () => {
    expect(plan(1986, 1545, 1, 1).end / 1e6).toBeGreaterThan(48);
    expect(plan(1986, 1545, 1, 1).end / 1e6).toBeLessThan(56);
    expect(plan(8000, 8000, 0, 1).end / 1e6).toBeLessThan(110);
  });
});
