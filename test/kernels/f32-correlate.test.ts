import { beforeAll, beforeEach, describe, it } from 'vitest';
import { expectWithin, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, random } from '../support/reference-conv.js';

// The HOG detector's correlations, f32_correlate_rows / _columns / _2d,
// against the exact sums (in f64, from the same f32 inputs). They need not
// match any one summation order bit for bit (the relaxed-SIMD build fuses
// its multiply-adds, the plain one rounds each product): each output must be
// within the worst-case rounding error of k additions of f32 products,
// gamma_k * (sum of |products| (+ |old dst| when accumulating)), with
// gamma_k = k u / (1 - k u), u = 2^-24, k the terms. That is a few 1e-7 of
// the terms' size: a wrong tap, offset or row (or a lost term) is off by far
// more. Widths and heights below cover the 16-column blocks, a row's last
// block of 1 to 15 columns, and the columns pass's rows two at a time with a
// row left over.

const U = 2 ** -24;

/** The exact sum of `old` and `count` products, and the bound above on an f32 computation's error. */
function exactSum(count: number, value: (i: number) => number, taps: Float32Array, old = 0): { value: number; bound: number } {
  let sum = old;
  let size = Math.abs(old);
  for (let i = 0; i < count; i++) {
    sum += value(i) * taps[i];
    size += Math.abs(value(i) * taps[i]);
  }
  const k = count + (old === 0 ? 0 : 1);
  return { value: sum, bound: ((k * U) / (1 - k * U)) * size };
}

/** The detector's columns: from the filter's anchor, outCols of them. */
function columnRanges(tapCols: number, outCols: number) {
  const columnStart = Math.trunc(tapCols / 2);
  return { anchor: columnStart, columnStart, columnEnd: columnStart + outCols, stride: outCols + tapCols - 1 };
}

describe.each(KERNEL_BUILDS)('f32 correlations (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  // Blocks of 16 columns, and a last block of 1 to 15.
  const outCols = [1, 7, 15, 16, 17, 27, 32, 45];

  /** Expected values and bounds, exact (bound 0) outside the outputs, as `old` was. */
  function expectation(old: Float32Array) {
    const value = Float64Array.from(old);
    const bound = new Float64Array(old.length);
    const set = (i: number, sum: { value: number; bound: number }) => {
      value[i] = sum.value;
      bound[i] = sum.bound;
    };
    return { value, bound, set };
  }

  it.each([1, 2, 3, 4, 5, 7, 10, 11])('rows with %i taps, output widths 1 to 45, split by rows', (tapCount) => {
    for (const width of outCols) {
      h.reset();
      const { anchor, columnStart, columnEnd, stride } = columnRanges(tapCount, width);
      const rows = 5;
      const next = random(tapCount * 100 + width);
      const src = floats(rows * stride, next);
      const taps = floats(tapCount, next);
      const s = h.f32(src, src.length * 4 + 64);
      const t = h.f32(taps);
      // Zeros outside the output columns, which must stay zeros.
      const dst = h.zeros(rows * stride * 4);
      const expected = expectation(new Float32Array(rows * stride));
      for (let r = 0; r < rows; r++) {
        for (let c = columnStart; c < columnEnd; c++) {
          expected.set(
            r * stride + c,
            exactSum(tapCount, (n) => src[r * stride + c - anchor + n], taps),
          );
        }
      }
      h.k.f32_correlate_rows__simd128(s, dst, stride, t, tapCount, anchor, columnStart, columnEnd, 2, rows);
      h.k.f32_correlate_rows__simd128(s, dst, stride, t, tapCount, anchor, columnStart, columnEnd, 0, 2);
      expectWithin(h.readF32(dst, rows * stride), expected.value, (i) => expected.bound[i], `output width ${width}`);
      h.expectGuardsIntact();
    }
  });

  it.each([1, 2, 3, 4, 5, 7, 10, 11])('columns with %i taps, 1 to 9 output rows, widths 1 to 45, accumulating or not', (tapCount) => {
    for (const width of outCols) {
      for (const outRows of [1, 4, 9]) {
        for (const accumulate of [false, true]) {
          h.reset();
          const { columnStart, columnEnd, stride } = columnRanges(3, width);
          const anchor = Math.trunc(tapCount / 2);
          const rows = outRows + tapCount - 1;
          const next = random(tapCount * 1000 + width * 10 + outRows);
          const src = floats(rows * stride, next);
          const taps = floats(tapCount, next);
          const old = floats(rows * stride, next);
          const s = h.f32(src, src.length * 4 + 64);
          const t = h.f32(taps);
          const dst = h.f32(old, old.length * 4 + 64);
          const expected = expectation(old);
          for (let r = anchor; r < anchor + outRows; r++) {
            for (let c = columnStart; c < columnEnd; c++) {
              const column = (m: number) => src[(r - anchor + m) * stride + c];
              expected.set(r * stride + c, exactSum(tapCount, column, taps, accumulate ? old[r * stride + c] : 0));
            }
          }
          // Two calls, the first of an odd number of rows when there are 9 (the columns pass takes rows two by two).
          const split = anchor + Math.min(outRows, 5);
          const args = [s, dst, stride, t, tapCount, anchor, accumulate, columnStart, columnEnd] as const;
          h.k.f32_correlate_columns__simd128(...args, split, anchor + outRows);
          h.k.f32_correlate_columns__simd128(...args, anchor, split);
          const what = `width ${width}, ${outRows} rows, accumulate ${accumulate}`;
          expectWithin(h.readF32(dst, rows * stride), expected.value, (i) => expected.bound[i], what);
          h.expectGuardsIntact();
        }
      }
    }
  });

  it.each([
    [1, 1],
    [1, 4],
    [3, 3],
    [2, 5],
    [4, 7],
    [10, 10],
    [5, 11],
  ])('2-D with %i x %i taps, widths 1 to 45, accumulating or not', (tapRows, tapCols) => {
    for (const width of outCols) {
      for (const accumulate of [false, true]) {
        h.reset();
        const { anchor: anchorCol, columnStart, columnEnd, stride } = columnRanges(tapCols, width);
        const anchorRow = Math.trunc(tapRows / 2);
        const outRows = 3;
        const rows = outRows + tapRows - 1;
        const next = random(tapRows * 1000 + tapCols * 100 + width);
        const src = floats(rows * stride, next);
        const taps = floats(tapRows * tapCols, next);
        const old = floats(rows * stride, next);
        const s = h.f32(src, src.length * 4 + 64);
        const t = h.f32(taps);
        const dst = h.f32(old, old.length * 4 + 64);
        const expected = expectation(old);
        for (let r = anchorRow; r < anchorRow + outRows; r++) {
          for (let c = columnStart; c < columnEnd; c++) {
            const at = (i: number) => src[(r - anchorRow + Math.floor(i / tapCols)) * stride + c - anchorCol + (i % tapCols)];
            expected.set(r * stride + c, exactSum(tapRows * tapCols, at, taps, accumulate ? old[r * stride + c] : 0));
          }
        }
        const args = [s, dst, stride, t, tapRows, tapCols, anchorRow, anchorCol, accumulate, columnStart, columnEnd] as const;
        h.k.f32_correlate_2d__simd128(...args, anchorRow + 1, anchorRow + outRows);
        h.k.f32_correlate_2d__simd128(...args, anchorRow, anchorRow + 1);
        const what = `width ${width}, accumulate ${accumulate}`;
        expectWithin(h.readF32(dst, rows * stride), expected.value, (i) => expected.bound[i], what);
        h.expectGuardsIntact();
      }
    }
  });
});
