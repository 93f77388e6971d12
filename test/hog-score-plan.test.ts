import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FHOG_PLANES, readHogDetector } from '../src/dlib/hog-detector-reader.js';
import { separableTerms } from '../src/face/fhog-filterbank.js';
import { chooseScoring, planeFilters, transformTiles } from '../src/face/hog-score-plan.js';
import { planHogWorkspace } from '../src/face/hog-workspace.js';
import { fixture } from './support/helpers.js';

// Which levels the HOG detector scores by FFT tiles and which by the correlation
// bank; both paths give dlib's detections (hog-detector.test.ts runs photos whose
// pyramids take both, checked here).

const root = fileURLToPath(new URL('..', import.meta.url));
const description = readHogDetector(new Uint8Array(readFileSync(`${root}models/frontal_face_detector.dat`)));
const filterbank = description.filters.map((f) => separableTerms(f, description.filterRows, description.filterCols));
/** The bank's multiply-adds a cell: the row and column taps of the frontal face detector's 305 terms. */
const BANK_MACS = 305 * 20;

describe("the HOG detector's scoring plan", () => {
  it('scores a small level by the bank, larger ones by 32 x 32 tiles of 23 x 23 cells, the largest by 64 x 64 tiles', () => {
    expect(chooseScoring(6, 10, BANK_MACS, 10, 10)).toEqual({ kind: 'bank' });
    expect(chooseScoring(183, 276, BANK_MACS, 10, 10)).toEqual({ kind: 'transform', bits: 5, tiles: 8 * 12 });
    expect(chooseScoring(318, 478, BANK_MACS, 10, 10)).toEqual({ kind: 'transform', bits: 6, tiles: 6 * 9 });
    expect(transformTiles(5, 23, 24, 10, 10)).toBe(2);
    // Only tiles larger than the filter: a 40 x 40 cell filter (~10 terms a plane) takes 64 x 64 ones, a 70 x 70 one the bank.
    expect(chooseScoring(500, 500, 31 * 10 * 80, 40, 40)).toEqual({ kind: 'transform', bits: 6, tiles: 20 * 20 });
    expect(chooseScoring(500, 500, 31 * 10 * 140, 70, 70)).toEqual({ kind: 'bank' });
  });

  it("takes both paths over a reference photo's pyramid (upsampled once), the largest levels by tiles", () => {
    const scoringOf = (g: { planeRows: number; planeCols: number }) => chooseScoring(g.planeRows - 9, g.planeCols - 9, BANK_MACS, 10, 10);
    const ws = planHogWorkspace({ width: 500, height: 375 }, 4, 1, description, scoringOf, 305, 1 << 20, 1, 0);
    const kinds = ws.levels.map(({ scoring }) => scoring.kind);
    expect(kinds[0]).toBe('transform');
    expect(kinds[kinds.length - 1]).toBe('bank');
    expect(kinds.filter((k) => k === 'transform').length).toBeGreaterThan(3);
  });

  it("gives each plane's filter as its rank-1 terms sum, or a full-rank filter's own weights", () => {
    const size = description.filterRows * description.filterCols;
    const filters = planeFilters(description, filterbank);
    expect(filters).toHaveLength(5 * FHOG_PLANES * size);
    const plane = 7;
    const expected = new Float64Array(size);
    for (const t of filterbank[2].filter((t) => t.plane === plane)) {
      for (let m = 0; m < 10; m++) for (let n = 0; n < 10; n++) expected[m * 10 + n] += t.column[m] * t.row[n];
    }
    const at = (2 * FHOG_PLANES + plane) * size;
    expect(Array.from(filters.subarray(at, at + size))).toEqual(Array.from(expected, Math.fround));
    // The terms leave out the smallest singular values: close to the weights, not equal.
    const weights = description.filters[2].weights.subarray(plane * size, (plane + 1) * size);
    const largest = expected.reduce((most, v, i) => Math.max(most, Math.abs(v - weights[i])), 0);
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThan(0.01);

    const fullRank = readHogDetector(fixture('hog/full-rank-detector.dat'));
    const fullTerms = fullRank.filters.map((f) => separableTerms(f, fullRank.filterRows, fullRank.filterCols));
    const full = planeFilters(fullRank, fullTerms);
    expect(Array.from(full.subarray(0, FHOG_PLANES * size))).toEqual(Array.from(fullRank.filters[0].weights, Math.fround));
  });
});
