import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FHOG_BINS,
  FHOG_TABLE_ENTRY_BYTES,
  fhogCellTables,
  fhogGeometry,
  fhogHistogramCols,
  fhogHistogramRows,
  fhogVoteBytes,
  type FhogGeometry,
} from '../../src/face/fhog.js';
import { expectExact, expectWithin, KERNEL_BUILDS, KernelHarness, randomInts } from '../support/kernel-harness.js';
import { random } from '../support/reference-conv.js';
import { dlibOrientationTable } from '../support/dlib-orientations.js';

// dlib's fHOG in two kernels, f32_fhog_cells (gradient histograms) and
// f32_fhog_features (Felzenszwalb's 31 normalized features), with the tables
// of src/face/fhog.ts, against their documented arithmetic written out here
// with every f32 operation rounded (fround; a Float32Array slot for the
// histogram sums). The features match dlib bit for bit; the cell kernel sums
// each bin's votes band by band rather than in dlib's pixel order, so its
// histograms match within rounding (votes are never negative: a relative bound).

const f = Math.fround;
const PLANES = 31;

interface Image {
  width: number;
  height: number;
  planeBytes: number;
  data: number[];
}

/** A histogram bin summed in another order than dlib's: at most this far from dlib's sum, relative to it. */
const HISTOGRAM_RELATIVE_TOLERANCE = 1e-5;

/** The cell histograms, bordered: 18 planes of (cellRows + 2) x fhogHistogramCols. */
function referenceCells(img: Image, g: FhogGeometry, cellSize: number): Float32Array {
  const { rows, columns } = fhogCellTables(g, cellSize);
  const orientations = dlibOrientationTable();
  const rowView = new DataView(rows.buffer);
  const colView = new DataView(columns.buffer);
  const histCols = fhogHistogramCols(g);
  const histPlane = fhogHistogramRows(g) * histCols;
  const hist = new Float32Array(FHOG_BINS * histPlane);
  const at = (k: number, y: number, x: number) => img.data[k * img.planeBytes + y * img.width + x];
  for (let y = 1; y < g.visibleRows; y++) {
    const upper = rowView.getInt32(y * FHOG_TABLE_ENTRY_BYTES, true) / 4;
    const R = [0, 1, 2, 3].map((k) => rowView.getFloat32(y * FHOG_TABLE_ENTRY_BYTES + 16 + 4 * k, true));
    for (let x = 1; x < g.visibleCols; x++) {
      const laterWins = x < g.eightWideEnd;
      let best = { gx: 0, gy: 0, len: -1 };
      for (let k = 0; k < 3; k++) {
        const gx = at(k, y, x + 1) - at(k, y, x - 1);
        const gy = at(k, y + 1, x) - at(k, y - 1, x);
        const len = gx * gx + gy * gy;
        if (k === 0 || len > best.len || (laterWins && len === best.len)) best = { gx, gy, len };
      }
      const bin = orientations[(best.gy + 255) * 511 + best.gx + 255];
      const v = f(Math.sqrt(best.len));
      const column = colView.getInt32(x * FHOG_TABLE_ENTRY_BYTES, true) / 4;
      // The table holds [vx1, vx1, vx0, vx0]; dlib weighs the four cells by [vx1, vx0, vx1, vx0].
      const C = [0, 2, 0, 2].map((k) => colView.getFloat32(x * FHOG_TABLE_ENTRY_BYTES + 16 + 4 * k, true));
      const w = [0, 1, 2, 3].map((k) => (laterWins ? f(R[k] * f(C[k] * v)) : f(f(R[k] * C[k]) * v)));
      const base = bin * histPlane + upper + column;
      [base, base + 1, base + histCols, base + histCols + 1].forEach((i, k) => {
        hist[i] += w[k];
      });
    }
  }
  return hist;
}

const EPS = f(0.0001),
  NORM_SCALE = f(0.2),
  TRUNCATION = f(0.1),
  TEXTURE_SCALE = f(2 * 0.2357);

/** The 31 padded feature planes from bordered histograms. */
function referenceFeatures(hist: Float32Array, g: FhogGeometry): Float32Array {
  const histCols = g.cellCols + 2;
  const histPlane = fhogHistogramRows(g) * histCols;
  const hv = (o: number, r: number, c: number) => hist[o * histPlane + (r + 1) * histCols + c + 1];
  const energy = (r: number, c: number) => {
    let e = 0;
    for (let o = 0; o < 9; o++) {
      const pair = f(hv(o, r, c) + hv(o + 9, r, c));
      e = f(e + f(pair * pair));
    }
    return e;
  };
  const block = (r: number, c: number) => {
    const n = f(NORM_SCALE * f(Math.sqrt(f(f(f(f(energy(r, c) + energy(r, c + 1)) + energy(r + 1, c)) + energy(r + 1, c + 1)) + EPS))));
    return { n, s: f(TRUNCATION / n) };
  };
  const out = new Float32Array(PLANES * g.planeRows * g.planeCols);
  for (let y = 0; y < g.hogRows; y++) {
    for (let x = 0; x < g.hogCols; x++) {
      const blocks = [block(y + 1, x + 1), block(y, x + 1), block(y + 1, x), block(y, x)];
      const q = (v: number) => blocks.map(({ n, s }) => f(Math.min(v, n) * s));
      const feature = (qs: number[]) => f(f(qs[0] + qs[1]) + f(qs[2] + qs[3]));
      const o = (p: number) => (p * g.planeRows + y + g.padTop) * g.planeCols + x + g.padLeft;
      const qAll = Array.from({ length: 18 }, (_, b) => q(hv(b, y + 1, x + 1)));
      for (let b = 0; b < 18; b++) out[o(b)] = feature(qAll[b]);
      for (let b = 0; b < 9; b++) out[o(18 + b)] = feature(q(f(hv(b, y + 1, x + 1) + hv(b + 9, y + 1, x + 1))));
      for (let k = 0; k < 4; k++) {
        let t = 0;
        for (let b = 0; b < 18; b += 3) t = f(t + f(f(qAll[b][k] + qAll[b + 1][k]) + qAll[b + 2][k]));
        out[o(27 + k)] = f(t * TEXTURE_SCALE);
      }
    }
  }
  return out;
}

// [width, height, cell size]: dlib's 8-pixel cells, small cells for small images, widths around the 8-wide loop's end.
const sizes: [number, number, number][] = [
  [40, 33, 8],
  [13, 11, 4],
  [7, 7, 2],
  [65, 20, 8],
  [19, 24, 3],
  [30, 26, 8],
];

describe.each(KERNEL_BUILDS)('fHOG kernels (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  /** A random image, or one whose planes 0 and 1 tie in every gradient's length (1 is 0 inverted) and 2 is faint. */
  function image(width: number, height: number, ties: boolean): Image {
    const planeBytes = width * height + 5;
    const data = randomInts(random(width * 100 + height + (ties ? 1 : 0)), 3 * planeBytes, 256);
    if (ties) {
      for (let i = 0; i < width * height; i++) {
        data[planeBytes + i] = 255 - data[i];
        data[2 * planeBytes + i] >>= 3;
      }
    }
    return { width, height, planeBytes, data };
  }

  describe.each([false, true])('planes that tie: %s', (ties) => {
    it.each(sizes)('cells of a %i x %i image, cell size %i, whole and split by histogram rows', (width, height, cellSize) => {
      const g = fhogGeometry(width, height, cellSize, 6, 5)!;
      expect(g).toBeDefined();
      const img = image(width, height, ties);
      const expected = referenceCells(img, g, cellSize);
      const tables = fhogCellTables(g, cellSize);
      // The kernel reads 8 pixels at a time and the rows around them: slack after the planes.
      const src = h.u8(img.data, img.data.length + 2 * width + 16);
      const orientations = h.u8(dlibOrientationTable());
      const rows = h.u8(tables.rows);
      const columns = h.u8(tables.columns);
      const first = h.i32(tables.firstPixelRows);
      const histRows = fhogHistogramRows(g);
      const histCols = fhogHistogramCols(g);
      const histPlaneBytes = histRows * histCols * 4;
      const voteBytes = fhogVoteBytes(g);
      /** The histogram made by `calls` ([chunkStart, chunkEnd, carryIn, carryOut] each) of chunks of chunkRows rows. */
      const histogramOf = (chunkRows: number, calls: number[][]) => {
        // Not cleared: the kernel writes every cell of its rows.
        const hist = h.f32(new Float32Array((FHOG_BINS * histPlaneBytes) / 4).fill(Number.NaN));
        const votes = h.alloc(Math.ceil(histRows / chunkRows) * voteBytes);
        for (const [chunkStart, chunkEnd, carryIn, carryOut] of calls) {
          h.k.f32_fhog_cells__simd128(
            src,
            width,
            img.planeBytes,
            orientations,
            g.visibleCols,
            g.eightWideEnd,
            rows,
            columns,
            first,
            hist,
            histPlaneBytes,
            histCols * 4,
            histRows,
            votes,
            voteBytes,
            carryIn,
            carryOut,
            chunkRows,
            chunkStart,
            chunkEnd,
          );
        }
        return h.readF32(hist, expected.length);
      };
      const whole = histogramOf(histRows, [[0, 1, -1, -1]]);
      // Chunks of 1, 2, a half and all the rows: one call per chunk (as threads would), or chunks 1.. in one call.
      for (const chunkRows of [histRows, Math.ceil(histRows / 2), 2, 1]) {
        const chunks = Math.ceil(histRows / chunkRows);
        const calls =
          chunks > 2
            ? [
                [0, 1, -1, -1],
                [1, chunks, -1, -1],
              ]
            : Array.from({ length: chunks }, (_, i) => [i, i + 1, -1, -1]);
        expectWithin(
          histogramOf(chunkRows, calls),
          expected,
          (i) => HISTOGRAM_RELATIVE_TOLERANCE * expected[i],
          `histogram in chunks of ${chunkRows} rows`,
        );
        // One chunk after another, each call's first taking the row the call before stored for it: the whole call's bits.
        const carried = Array.from({ length: chunks }, (_, i) => [i, i + 1, i > 0 ? i : -1, i < chunks - 1 ? i : -1]);
        expect(histogramOf(chunkRows, carried)).toEqual(whole);
        // A chunk taking a row that was not stored for it misses that band's votes: the band is read once.
        if (chunks > 1)
          expect(
            histogramOf(
              chunkRows,
              carried.map(([s, e, carryIn]) => [s, e, carryIn, -1]),
            ),
          ).not.toEqual(whole);
      }
      h.expectGuardsIntact();
    });
  });

  /** The four phases of the feature kernel (optionally each split in two), against the reference, output guarded. */
  function features(width: number, height: number, cellSize: number, filterRows: number, filterCols: number, split: boolean): void {
    const g = fhogGeometry(width, height, cellSize, filterRows, filterCols)!;
    const histCols = g.cellCols + 2;
    const histRows = fhogHistogramRows(g);
    const histPlaneBytes = histRows * histCols * 4;
    const next = random(width * 7 + height);
    const hist = Float32Array.from({ length: FHOG_BINS * histRows * histCols }, () => Math.max(0, next() * 40));
    // An empty cell (all bins zero): its blocks' norms are 0.2 * sqrt(0.0001) at most.
    for (let o = 0; o < FHOG_BINS; o++) hist[o * histRows * histCols + 2 * histCols + 2] = 0;
    const expected = referenceFeatures(hist, g);
    // The scratch rows and the histogram need 64 readable bytes after them; the output gets none.
    const scratchStride = g.cellCols + 4;
    const [energy, blockNorm, blockScale] = [0, 1, 2].map(() => h.alloc(g.cellRows * scratchStride * 4 + 64));
    const histAt = h.f32(hist, hist.length * 4 + 64);
    const planeBytes = g.planeRows * g.planeCols * 4;
    const out = h.alloc(PLANES * planeBytes);
    const args = [
      histAt,
      histCols,
      histPlaneBytes,
      g.cellRows,
      g.cellCols,
      energy,
      blockNorm,
      blockScale,
      scratchStride,
      out,
      g.planeRows,
      g.planeCols,
      planeBytes,
      g.padTop,
      g.padLeft,
    ] as const;
    [g.cellRows, g.cellRows - 1, g.cellRows - 2, 0].forEach((rows, phase) => {
      if (split && rows > 1) {
        h.k.f32_fhog_features__simd128(...args, phase, 1, rows);
        h.k.f32_fhog_features__simd128(...args, phase, 0, 1);
      } else {
        h.k.f32_fhog_features__simd128(...args, phase, 0, rows);
      }
    });
    expectExact(h.readF32(out, expected.length), expected, split ? 'split' : 'whole');
    h.expectGuardsIntact();
  }

  it.each(sizes)(
    'features of the cells of a %i x %i image (cell size %i), 6 x 5 filter padding, random histograms, some cells empty, whole and split by rows',
    (width, height, cellSize) => {
      features(width, height, cellSize, 6, 5, false);
      h.reset();
      features(width, height, cellSize, 6, 5, true);
    },
  );

  it.each([
    [1, 10],
    [10, 1],
    [2, 2],
  ])('features padded for a %i x %i filter', (filterRows, filterCols) => {
    features(40, 33, 8, filterRows, filterCols, false);
  });

  // With no padding right of or below the feature cells (a 1 x 1 filter), the last 4-column group
  // of a row must store only its cells: a whole group once ran into the next plane and past the last.
  it('features padded for a 1 x 1 filter (hogCols not a multiple of 4): the last row stays in its plane', () => {
    features(40, 33, 8, 1, 1, false);
  });
});
