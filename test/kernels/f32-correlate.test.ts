import { beforeAll, beforeEach, describe, it } from 'vitest';
import { expectExact, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, random } from '../support/reference-conv.js';

// The HOG detector's correlations, f32_correlate_rows / _columns / _2d,
// against their documented summation orders written out here with every
// product and sum rounded to f32 (fround): columns [columnStart, threeWayEnd)
// "three-way" (partial sums s0, s1, s2 taking taps n, n+1, n+2 of each triple,
// the leftovers to s0, result s0 + (s1 + s2)), the rest in order; the old
// value of dst added last when accumulating. These orders are dlib's (the
// detector matches dlib's scores bit for bit), so exact. The 10-tap case has
// unrolled paths of its own (16 columns at a time for rows, 4 rows for
// columns): output widths and heights below cover them and their leftovers.

const f = Math.fround;

/** One output value: `values(i)` and `taps[i]` for i < count, in the given order; `rowLength` restarts the triples (2-D). */
function sum(count: number, value: (i: number) => number, taps: Float32Array, threeWay: boolean, rowLength = count): number {
  if (!threeWay) {
    let s = 0;
    for (let i = 0; i < count; i++) s = f(s + f(value(i) * taps[i]));
    return s;
  }
  const s = [0, 0, 0];
  for (let row = 0; row < count; row += rowLength) {
    let n = 0;
    for (; n < rowLength - 2; n += 3) for (let k = 0; k < 3; k++) s[k] = f(s[k] + f(value(row + n + k) * taps[row + n + k]));
    for (; n < rowLength; n++) s[0] = f(s[0] + f(value(row + n) * taps[row + n]));
  }
  return f(s[0] + f(s[1] + s[2]));
}

/** The detector's column split: three-way from the first output column in steps of 8 while 8 more fit. */
function columnRanges(tapCols: number, outCols: number) {
  const columnStart = Math.trunc(tapCols / 2);
  const columnEnd = columnStart + outCols;
  let threeWayEnd = columnStart;
  while (threeWayEnd < columnEnd - 7) threeWayEnd += 8;
  return { anchor: columnStart, columnStart, threeWayEnd, columnEnd, stride: outCols + tapCols - 1 };
}

describe.each(KERNEL_BUILDS)('f32 correlations (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  // In-order tails of 1 to 7 columns (the widths mod 8), four columns a vector and the rest lane by lane.
  const outCols = [1, 7, 8, 10, 12, 13, 14, 16, 27, 45];

  it.each([1, 2, 3, 4, 5, 7, 10, 11])('rows with %i taps, output widths 1 to 45, split by rows', (tapCount) => {
    for (const width of outCols) {
      h.reset();
      const { anchor, columnStart, threeWayEnd, columnEnd, stride } = columnRanges(tapCount, width);
      const rows = 5;
      const next = random(tapCount * 100 + width);
      const src = floats(rows * stride, next);
      const taps = floats(tapCount, next);
      const s = h.f32(src, src.length * 4 + 64);
      const t = h.f32(taps);
      // Zeros outside the output columns, which must stay zeros.
      const dst = h.zeros(rows * stride * 4);
      const expected = new Float32Array(rows * stride);
      for (let r = 0; r < rows; r++) {
        for (let c = columnStart; c < columnEnd; c++) {
          expected[r * stride + c] = sum(tapCount, (n) => src[r * stride + c - anchor + n], taps, c < threeWayEnd);
        }
      }
      h.k.f32_correlate_rows__simd128(s, dst, stride, t, tapCount, anchor, columnStart, threeWayEnd, columnEnd, 2, rows);
      h.k.f32_correlate_rows__simd128(s, dst, stride, t, tapCount, anchor, columnStart, threeWayEnd, columnEnd, 0, 2);
      expectExact(h.readF32(dst, rows * stride), expected, `output width ${width}`);
      h.expectGuardsIntact();
    }
  });

  it.each([1, 2, 3, 4, 5, 7, 10, 11])('columns with %i taps, 1 to 9 output rows, widths 1 to 45, accumulating or not', (tapCount) => {
    for (const width of outCols) {
      for (const outRows of [1, 4, 9]) {
        for (const accumulate of [false, true]) {
          h.reset();
          const { columnStart, threeWayEnd, columnEnd, stride } = columnRanges(3, width);
          const anchor = Math.trunc(tapCount / 2);
          const rows = outRows + tapCount - 1;
          const next = random(tapCount * 1000 + width * 10 + outRows);
          const src = floats(rows * stride, next);
          const taps = floats(tapCount, next);
          const old = floats(rows * stride, next);
          const s = h.f32(src, src.length * 4 + 64);
          const t = h.f32(taps);
          const dst = h.f32(old, old.length * 4 + 64);
          const expected = Float32Array.from(old);
          for (let r = anchor; r < anchor + outRows; r++) {
            for (let c = columnStart; c < columnEnd; c++) {
              const v = sum(tapCount, (m) => src[(r - anchor + m) * stride + c], taps, c < threeWayEnd);
              expected[r * stride + c] = accumulate ? f(old[r * stride + c] + v) : v;
            }
          }
          const split = anchor + Math.min(outRows, 5);
          h.k.f32_correlate_columns__simd128(
            s,
            dst,
            stride,
            t,
            tapCount,
            anchor,
            accumulate,
            columnStart,
            threeWayEnd,
            columnEnd,
            split,
            anchor + outRows,
          );
          h.k.f32_correlate_columns__simd128(
            s,
            dst,
            stride,
            t,
            tapCount,
            anchor,
            accumulate,
            columnStart,
            threeWayEnd,
            columnEnd,
            anchor,
            split,
          );
          expectExact(h.readF32(dst, rows * stride), expected, `width ${width}, ${outRows} rows, accumulate ${accumulate}`);
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
        const { anchor: anchorCol, columnStart, threeWayEnd, columnEnd, stride } = columnRanges(tapCols, width);
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
        const expected = Float32Array.from(old);
        for (let r = anchorRow; r < anchorRow + outRows; r++) {
          for (let c = columnStart; c < columnEnd; c++) {
            const at = (i: number) => src[(r - anchorRow + Math.floor(i / tapCols)) * stride + c - anchorCol + (i % tapCols)];
            const v = sum(tapRows * tapCols, at, taps, c < threeWayEnd, tapCols);
            expected[r * stride + c] = accumulate ? f(old[r * stride + c] + v) : v;
          }
        }
        const args = [s, dst, stride, t, tapRows, tapCols, anchorRow, anchorCol, accumulate, columnStart, threeWayEnd, columnEnd] as const;
        h.k.f32_correlate_2d__simd128(...args, anchorRow + 1, anchorRow + outRows);
        h.k.f32_correlate_2d__simd128(...args, anchorRow, anchorRow + 1);
        expectExact(h.readF32(dst, rows * stride), expected, `width ${width}, accumulate ${accumulate}`);
        h.expectGuardsIntact();
      }
    }
  });
});
