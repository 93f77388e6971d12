import { beforeAll, beforeEach, describe, it } from 'vitest';
import { expectWithin, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, random } from '../support/reference-conv.js';

// f32_fft_2d: a square complex tile's 2-D DFT in place, forward into its own
// order (transposed, both axes bit-reversed), inverse back from it (times n²).
// f32_correlate_fft_bank: sums of correlations by overlap-save FFT tiles, each
// output against the exact sum of its products (f64), anywhere in the
// region, the last tiles partial, the tiles split in groups across calls.

/** n cosines, then n sines, of 2πj / n: the kernels' twiddles. */
function twiddles(n: number): Float32Array {
  const t = new Float32Array(2 * n);
  for (let j = 0; j < n; j++) {
    t[j] = Math.cos((2 * Math.PI * j) / n);
    t[n + j] = Math.sin((2 * Math.PI * j) / n);
  }
  return t;
}

const bitReversed = (i: number, bits: number) => {
  let r = 0;
  for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
  return r;
};

describe.each(KERNEL_BUILDS)('f32 2-D FFT (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  it.each([2, 3, 4, 5])('forward is the DFT (n = 2^%i), in its order: X[u][v] at row bitrev(v), column bitrev(u)', (bits) => {
    const n = 1 << bits;
    const next = random(bits);
    const xr = floats(n * n, next);
    const xi = floats(n * n, next);
    const re = h.f32(xr);
    const im = h.f32(xi);
    h.k.f32_fft_2d__simd128(re, im, bits, h.f32(twiddles(n)), false, h.zeros(8 * n * n));
    const gotRe = h.readF32(re, n * n);
    const gotIm = h.readF32(im, n * n);
    const expectedRe = new Float64Array(n * n);
    const expectedIm = new Float64Array(n * n);
    for (let u = 0; u < n; u++) {
      for (let v = 0; v < n; v++) {
        let sr = 0;
        let si = 0;
        for (let r = 0; r < n; r++) {
          for (let c = 0; c < n; c++) {
            const angle = (-2 * Math.PI * ((u * r + v * c) % n)) / n;
            const [a, b] = [xr[r * n + c], xi[r * n + c]];
            sr += a * Math.cos(angle) - b * Math.sin(angle);
            si += a * Math.sin(angle) + b * Math.cos(angle);
          }
        }
        const at = bitReversed(v, bits) * n + bitReversed(u, bits);
        expectedRe[at] = sr;
        expectedIm[at] = si;
      }
    }
    // The inputs are in [-1, 1): each output's error is a few ulps of n, as its sum's.
    const bound = () => 4e-7 * n * bits;
    expectWithin(gotRe, expectedRe, bound, 'real parts');
    expectWithin(gotIm, expectedIm, bound, 'imaginary parts');
    h.expectGuardsIntact();
  });

  it.each([2, 3, 5, 6])('inverse after forward gives n² times the tile back (n = 2^%i)', (bits) => {
    const n = 1 << bits;
    const next = random(10 + bits);
    const xr = floats(n * n, next);
    const xi = floats(n * n, next);
    const re = h.f32(xr);
    const im = h.f32(xi);
    const t = h.f32(twiddles(n));
    const scratch = h.zeros(8 * n * n);
    h.k.f32_fft_2d__simd128(re, im, bits, t, false, scratch);
    h.k.f32_fft_2d__simd128(re, im, bits, t, true, scratch);
    const scale = (values: Float32Array) => Array.from(values, (v) => v / (n * n));
    const bound = () => 3e-7 * bits * 2;
    expectWithin(scale(h.readF32(re, n * n)), xr, bound, 'real parts');
    expectWithin(scale(h.readF32(im, n * n)), xi, bound, 'imaginary parts');
    h.expectGuardsIntact();
  });
});

describe.each(KERNEL_BUILDS)('f32 correlation bank by FFT (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  // [sources, outputs, tapRows, tapCols, tile bits, output rows, output columns, groups]
  it.each([
    [31, 5, 10, 10, 5, 37, 50, 3],
    [4, 2, 3, 5, 4, 13, 9, 2],
    [3, 1, 4, 7, 4, 6, 29, 1],
    [1, 4, 10, 10, 6, 20, 60, 1],
  ])(
    '%i sources into %i outputs, %i x %i taps, tiles of 2^%i, over %i x %i outputs, in %i groups over two calls',
    (sourceCount, outputCount, tapRows, tapCols, bits, outRows, outCols, groupCount) => {
      const n = 1 << bits;
      const anchorRow = Math.trunc(tapRows / 2);
      const anchorCol = Math.trunc(tapCols / 2);
      const stride = outCols + tapCols - 1;
      const rows = outRows + tapRows - 1;
      // The detector's padding rows are zero and not read: here they hold values that must count as zero.
      const srcRowStart = anchorRow;
      const srcRowEnd = rows - (tapRows - 1 - anchorRow);
      const planeFloats = rows * stride;
      const next = random(sourceCount * 100 + outputCount * 10 + tapRows);
      const sourceValues = floats(sourceCount * planeFloats, next);
      const taps = floats(outputCount * sourceCount * tapRows * tapCols, next);
      const sources = h.f32(sourceValues, sourceValues.length * 4 + 64);
      const outputs = Array.from({ length: outputCount }, () => h.f32(new Float32Array(planeFloats).fill(-7)));
      const table = h.i32(outputs);
      const t = h.f32(twiddles(n));
      const pairs = Math.ceil(sourceCount / 2);
      const spectra = h.zeros(8 * n * n * pairs * outputCount);
      h.k.f32_correlate_fft_spectra__simd128(
        h.f32(taps),
        sourceCount,
        outputCount,
        tapRows,
        tapCols,
        bits,
        t,
        spectra,
        h.zeros(16 * n * n),
      );

      const tileRows = n - tapRows + 1;
      const tileCols = n - tapCols + 1;
      const tiles = Math.ceil(outRows / tileRows) * Math.ceil(outCols / tileCols);
      const tilesPerGroup = Math.ceil(tiles / groupCount);
      const scratch = h.zeros(groupCount * (8 * n * n + 192) * (pairs + outputCount + 1));
      const call = (groupStart: number, groupEnd: number) =>
        h.k.f32_correlate_fft_bank__simd128(
          sources,
          sourceCount,
          planeFloats * 4,
          stride,
          srcRowStart,
          srcRowEnd,
          table,
          outputCount,
          spectra,
          bits,
          t,
          tapRows,
          tapCols,
          anchorRow,
          anchorCol,
          anchorRow,
          anchorRow + outRows,
          anchorCol,
          anchorCol + outCols,
          scratch,
          tilesPerGroup,
          groupStart,
          groupEnd,
        );
      const half = Math.trunc(groupCount / 2);
      call(0, half);
      call(half, groupCount);

      for (let o = 0; o < outputCount; o++) {
        const expected = new Float64Array(planeFloats).fill(-7);
        for (let r = anchorRow; r < anchorRow + outRows; r++) {
          for (let c = anchorCol; c < anchorCol + outCols; c++) {
            let sum = 0;
            for (let p = 0; p < sourceCount; p++) {
              for (let m = 0; m < tapRows; m++) {
                const sr = r - anchorRow + m;
                if (sr < srcRowStart || sr >= srcRowEnd) continue;
                for (let l = 0; l < tapCols; l++) {
                  const product =
                    sourceValues[p * planeFloats + sr * stride + c - anchorCol + l] *
                    taps[((o * sourceCount + p) * tapRows + m) * tapCols + l];
                  sum += product;
                }
              }
            }
            expected[r * stride + c] = sum;
          }
        }
        // A transform's rounding spreads over its tile: each output within a few ulps of the largest.
        const largest = expected.reduce((most, v) => Math.max(most, Math.abs(v)), 0);
        expectWithin(h.readF32(outputs[o], planeFloats), expected, () => 1e-6 * largest, `output ${o}`);
      }
      h.expectGuardsIntact();
    },
  );
});
