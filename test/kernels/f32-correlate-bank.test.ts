import { beforeAll, beforeEach, describe, it } from 'vitest';
import { expectExact, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, random } from '../support/reference-conv.js';

// f32_correlate_bank: a table of correlations (rank-1 ones through scratch
// rows of their own per band, two or three of the same source at a time; full 2-D
// ones), each written over or added to its output, run band of output rows by
// band. Every output must be bit for bit what the single kernels give when
// run one after the other over whole images (they are checked against exact
// sums in f32-correlate.test.ts): the shared rows passes and the columns pass's
// rows three by three sum each output as the single kernels do, whatever the band
// height and however the bands are split between calls.

const STEP_INTS = 6;

describe.each(KERNEL_BUILDS)('f32 correlation bank (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  it.each([
    [10, 10, 45, 13],
    [3, 5, 27, 6],
    [4, 7, 9, 2],
  ])('%i x %i taps over %i x %i outputs, bands of 1 row to the whole height, split in two calls', (tapRows, tapCols, outCols, outRows) => {
    const anchorRow = Math.trunc(tapRows / 2);
    const anchorCol = Math.trunc(tapCols / 2);
    const stride = outCols + tapCols - 1;
    const rows = outRows + tapRows - 1;
    const columnStart = anchorCol;
    const columnEnd = columnStart + outCols;
    // Source rows outside [srcRowStart, srcRowEnd) are zero, as the detector's padding rows.
    const srcRowStart = anchorRow;
    const srcRowEnd = rows - (tapRows - 1 - anchorRow);
    const planeFloats = rows * stride;
    const next = random(tapRows * 100 + tapCols * 10 + outCols);
    const sources = [0, 1].map(() => {
      const plane = floats(planeFloats, next);
      plane.fill(0, 0, srcRowStart * stride);
      plane.fill(0, srcRowEnd * stride);
      return plane;
    });
    const rowTaps = [0, 1, 2].map(() => floats(tapCols, next));
    const columnTaps = [0, 1, 2].map(() => floats(tapRows, next));
    const fullTaps = floats(tapRows * tapCols, next);
    const old = [0, 1].map(() => floats(planeFloats, next));
    const bytes = planeFloats * 4 + 64;
    // Steps: [kind, source, output, accumulate, which taps]. Runs of rank-1 steps of one
    // source share their rows pass by threes, a run of four by twos: here runs of 2, 1, 3, 4
    // (two pairs), then a full filter, then runs of 5 (three and two) and 1.
    const rank1 = (source: number, output: number, accumulate: boolean, taps: number) => ({
      full: false,
      source,
      output,
      accumulate,
      taps,
    });
    const plan = [
      rank1(0, 0, false, 0),
      rank1(0, 1, true, 2),
      rank1(1, 1, true, 1),
      rank1(0, 0, true, 1),
      rank1(0, 0, true, 0),
      rank1(0, 1, true, 2),
      rank1(1, 0, true, 2),
      rank1(1, 1, true, 0),
      rank1(1, 0, true, 1),
      rank1(1, 1, true, 1),
      { full: true, source: 1, output: 0, accumulate: true, taps: 0 },
      rank1(0, 1, true, 0),
      rank1(0, 0, true, 2),
      rank1(0, 1, true, 1),
      rank1(0, 0, true, 0),
      rank1(0, 1, true, 2),
      rank1(1, 1, true, 2),
    ];

    // The single kernels, step after step, over whole images.
    const src = sources.map((plane) => h.f32(plane, bytes));
    const rowTapsAt = rowTaps.map((t) => h.f32(t));
    const columnTapsAt = columnTaps.map((t) => h.f32(t));
    const fullTapsAt = h.f32(fullTaps);
    const expectedAt = old.map((plane) => h.f32(plane, bytes));
    const scratch = h.zeros(bytes);
    for (const step of plan) {
      const dst = expectedAt[step.output];
      if (step.full) {
        h.k.f32_correlate_2d__simd128(
          src[step.source],
          dst,
          stride,
          fullTapsAt,
          tapRows,
          tapCols,
          anchorRow,
          anchorCol,
          step.accumulate,
          columnStart,
          columnEnd,
          anchorRow,
          anchorRow + outRows,
        );
        continue;
      }
      h.k.f32_correlate_rows__simd128(
        src[step.source],
        scratch,
        stride,
        rowTapsAt[step.taps],
        tapCols,
        anchorCol,
        columnStart,
        columnEnd,
        srcRowStart,
        srcRowEnd,
      );
      h.k.f32_correlate_columns__simd128(
        scratch,
        dst,
        stride,
        columnTapsAt[step.taps],
        tapRows,
        anchorRow,
        step.accumulate,
        columnStart,
        columnEnd,
        anchorRow,
        anchorRow + outRows,
      );
    }
    const expected = expectedAt.map((at) => h.readF32(at, planeFloats));

    for (const bandRows of [1, 3, outRows]) {
      const bands = Math.ceil(outRows / bandRows);
      const outputs = old.map((plane) => h.f32(plane, bytes));
      // Poisoned, as the kernel must zero the row sums of zero rows itself.
      const bankScratch = h.alloc(bands * 3 * (bandRows + tapRows - 1) * stride * 4 + 64);
      const table = plan.flatMap((step) => [
        src[step.source],
        outputs[step.output],
        step.accumulate ? 1 : 0,
        step.full ? 1 : 0,
        step.full ? fullTapsAt : rowTapsAt[step.taps],
        step.full ? 0 : columnTapsAt[step.taps],
      ]);
      const steps = h.i32(table);
      const split = Math.trunc(bands / 2);
      for (const [first, last] of [
        [split, bands],
        [0, split],
      ]) {
        h.k.f32_correlate_bank__simd128(
          steps,
          table.length / STEP_INTS,
          stride,
          tapRows,
          tapCols,
          anchorRow,
          anchorCol,
          srcRowStart,
          srcRowEnd,
          anchorRow,
          anchorRow + outRows,
          columnStart,
          columnEnd,
          bankScratch,
          bandRows,
          first,
          last,
        );
      }
      outputs.forEach((at, o) => expectExact(h.readF32(at, planeFloats), expected[o], `output ${o}, bands of ${bandRows}`));
      h.expectGuardsIntact();
    }
  });
});
