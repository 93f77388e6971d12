import { f32_correlate_2d__simd128 } from './f32-correlate-2d-simd128';
import { correlateRows, correlateRowsThree, f32_correlate_columns__simd128, THREE_WAY } from './f32-correlate-separable-simd128';

/** Bytes of a step of the bank's table. */
const STEP_BYTES: usize = 24;

/**
 * A bank of correlations of f32 images of one size, each written over or
 * added to its output, in one call that threads can share by bands of
 * output rows. Step k of the table (`STEP_BYTES` bytes each, i32 fields) is
 * [src, dst, accumulate, kind, taps, columnTaps]: kind 0 a rank-1
 * correlation, `tapCols` row taps at `taps` through `f32_correlate_rows`
 * into the band's scratch rows, then `tapRows` column taps at `columnTaps`
 * through `f32_correlate_columns` into dst; kind 1 a full `tapRows` x
 * `tapCols` filter (row-major taps) through `f32_correlate_2d`. Rank-1
 * steps in a row with the same src share their rows pass by twos, or by
 * threes where the build fuses multiply-adds (each loaded vector feeds all;
 * see THREE_WAY), into scratch rows of their own. Each output value sums as
 * those kernels sum it, the steps in table order, whatever the bands.
 *
 * Images are `stride` floats a row. Outputs are rows [rowStart, rowEnd)
 * (rowStart >= anchorRow), columns [columnStart, columnEnd); 64 bytes past
 * what each row needs must be readable (see the kernels). Source rows
 * outside [srcRowStart, srcRowEnd) count as zero (not read). Band b has its
 * own three sets of bandRows + tapRows - 1 rows of `stride` floats of scratch,
 * from scratch + 3b * (bandRows + tapRows - 1) rows; its row sums for the
 * rows above and below the band are computed by it too.
 *
 * Work: bands [bandStart, bandEnd) of `bandRows` output rows from rowStart
 * (the last one up to rowEnd).
 */
export function f32_correlate_bank__simd128(
  steps: usize, stepCount: i32, stride: i32, tapRows: i32, tapCols: i32, anchorRow: i32, anchorCol: i32,
  srcRowStart: i32, srcRowEnd: i32, rowStart: i32, rowEnd: i32, columnStart: i32, columnEnd: i32,
  scratch: usize, bandRows: i32, bandStart: i32, bandEnd: i32,
): void {
  const rowBytes = <usize>stride << 2;
  const scratchBytes = <usize>(bandRows + tapRows - 1) * rowBytes;
  for (let band = bandStart; band < bandEnd; band++) {
    const r0 = rowStart + band * bandRows;
    const r1 = min(r0 + bandRows, rowEnd);
    // Row sums [s0, s1) are read; those of zero rows stay zero.
    const s0 = r0 - anchorRow;
    const s1 = r1 - anchorRow + tapRows - 1;
    const sumsA = scratch + <usize>(3 * band) * scratchBytes - <usize>s0 * rowBytes;
    const sumsB = sumsA + scratchBytes;
    const sumsC = sumsB + scratchBytes;
    const computed0 = max(s0, srcRowStart);
    const computed1 = max(computed0, min(s1, srcRowEnd));
    for (let s = s0; s < s1; s++) {
      if (s >= computed0 && s < computed1) continue;
      const at = <usize>s * rowBytes + (<usize>columnStart << 2);
      const bytes = <usize>(columnEnd - columnStart) << 2;
      memory.fill(sumsA + at, 0, bytes);
      memory.fill(sumsB + at, 0, bytes);
      memory.fill(sumsC + at, 0, bytes);
    }
    for (let k = 0; k < stepCount; k++) {
      const step = steps + <usize>k * STEP_BYTES;
      const src = <usize>load<i32>(step);
      const dst = <usize>load<i32>(step, 4);
      const accumulate = load<i32>(step, 8) != 0;
      const taps = <usize>load<i32>(step, 16);
      if (load<i32>(step, 12) != 0) {
        f32_correlate_2d__simd128(src, dst, stride, taps, tapRows, tapCols, anchorRow, anchorCol, accumulate, columnStart, columnEnd, r0, r1);
        continue;
      }
      const columnTaps = <usize>load<i32>(step, 20);
      const next = step + STEP_BYTES;
      const third = next + STEP_BYTES;
      // The run of rank-1 steps of this source from here (counted up to five), taken by threes,
      // but a run of four by twos: a lone step's rows pass is the slowest.
      let run = 1;
      while (run < 5 && k + run < stepCount && sharesRows(step + <usize>run * STEP_BYTES, src)) run++;
      if (THREE_WAY && run >= 3 && run != 4) {
        correlateRowsThree(
          src, sumsA, sumsB, sumsC, stride, taps, <usize>load<i32>(next, 16), <usize>load<i32>(third, 16), tapCols, anchorCol,
          columnStart, columnEnd, computed0, computed1,
        );
        f32_correlate_columns__simd128(sumsA, dst, stride, columnTaps, tapRows, anchorRow, accumulate, columnStart, columnEnd, r0, r1);
        columnsOfStep(next, sumsB, stride, tapRows, anchorRow, columnStart, columnEnd, r0, r1);
        columnsOfStep(third, sumsC, stride, tapRows, anchorRow, columnStart, columnEnd, r0, r1);
        k += 2;
        continue;
      }
      if (run >= 2) {
        const tapsB = <usize>load<i32>(next, 16);
        correlateRows(src, sumsA, sumsB, stride, taps, tapsB, tapCols, anchorCol, columnStart, columnEnd, computed0, computed1, true);
        f32_correlate_columns__simd128(sumsA, dst, stride, columnTaps, tapRows, anchorRow, accumulate, columnStart, columnEnd, r0, r1);
        columnsOfStep(next, sumsB, stride, tapRows, anchorRow, columnStart, columnEnd, r0, r1);
        k++;
        continue;
      }
      correlateRows(src, sumsA, sumsA, stride, taps, taps, tapCols, anchorCol, columnStart, columnEnd, computed0, computed1, false);
      f32_correlate_columns__simd128(sumsA, dst, stride, columnTaps, tapRows, anchorRow, accumulate, columnStart, columnEnd, r0, r1);
    }
  }
}

/** Whether the table's step at `step` is a rank-1 one of source `src` (one whose rows pass can be shared). */
// @ts-ignore: decorator
@inline function sharesRows(step: usize, src: usize): bool {
  return load<i32>(step, 12) == 0 && <usize>load<i32>(step) == src;
}

/** The columns pass of the rank-1 step at `step`, from its row sums at `sums`. */
// @ts-ignore: decorator
@inline function columnsOfStep(
  step: usize, sums: usize, stride: i32, tapRows: i32, anchorRow: i32, columnStart: i32, columnEnd: i32, r0: i32, r1: i32,
): void {
  const dst = <usize>load<i32>(step, 4);
  const accumulate = load<i32>(step, 8) != 0;
  f32_correlate_columns__simd128(sums, dst, stride, <usize>load<i32>(step, 20), tapRows, anchorRow, accumulate, columnStart, columnEnd, r0, r1);
}
