import { f32_correlate_2d__simd128 } from './f32-correlate-2d-simd128';
import { f32_correlate_columns__simd128, f32_correlate_rows__simd128 } from './f32-correlate-separable-simd128';

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
 * `tapCols` filter (row-major taps) through `f32_correlate_2d`. Each output
 * value sums exactly as those kernels sum it, the steps in table order,
 * whatever the bands.
 *
 * Images are `stride` floats a row. Outputs are rows [rowStart, rowEnd)
 * (rowStart >= anchorRow), columns [columnStart, columnEnd), the first
 * `threeWayEnd` of them summed three-way (see the kernels);
 * `threeWayEnd - columnStart` is a multiple of 8. Source rows outside
 * [srcRowStart, srcRowEnd) count as zero (not read). Band b has its own
 * bandRows + tapRows - 1 rows of `stride` floats of scratch, from
 * scratch + b * (bandRows + tapRows - 1) rows; its row sums for the rows
 * above and below the band are computed by it too.
 *
 * Work: bands [bandStart, bandEnd) of `bandRows` output rows from rowStart
 * (the last one up to rowEnd).
 */
export function f32_correlate_bank__simd128(
  steps: usize, stepCount: i32, stride: i32, tapRows: i32, tapCols: i32, anchorRow: i32, anchorCol: i32,
  srcRowStart: i32, srcRowEnd: i32, rowStart: i32, rowEnd: i32, columnStart: i32, threeWayEnd: i32, columnEnd: i32,
  scratch: usize, bandRows: i32, bandStart: i32, bandEnd: i32,
): void {
  const rowBytes = <usize>stride << 2;
  for (let band = bandStart; band < bandEnd; band++) {
    const r0 = rowStart + band * bandRows;
    const r1 = min(r0 + bandRows, rowEnd);
    // Row sums [s0, s1) are read; those of zero rows stay zero.
    const s0 = r0 - anchorRow;
    const s1 = r1 - anchorRow + tapRows - 1;
    const sums = scratch + <usize>(band * (bandRows + tapRows - 1)) * rowBytes - <usize>s0 * rowBytes;
    const computed0 = max(s0, srcRowStart);
    const computed1 = max(computed0, min(s1, srcRowEnd));
    for (let s = s0; s < s1; s++) {
      if (s < computed0 || s >= computed1) memory.fill(sums + <usize>s * rowBytes + (<usize>columnStart << 2), 0, <usize>(columnEnd - columnStart) << 2);
    }
    for (let k = 0; k < stepCount; k++) {
      const step = steps + <usize>k * STEP_BYTES;
      const src = <usize>load<i32>(step);
      const dst = <usize>load<i32>(step, 4);
      const accumulate = load<i32>(step, 8) != 0;
      const taps = <usize>load<i32>(step, 16);
      if (load<i32>(step, 12) != 0) {
        f32_correlate_2d__simd128(src, dst, stride, taps, tapRows, tapCols, anchorRow, anchorCol, accumulate, columnStart, threeWayEnd, columnEnd, r0, r1);
        continue;
      }
      f32_correlate_rows__simd128(src, sums, stride, taps, tapCols, anchorCol, columnStart, threeWayEnd, columnEnd, computed0, computed1);
      const columnTaps = <usize>load<i32>(step, 20);
      f32_correlate_columns__simd128(sums, dst, stride, columnTaps, tapRows, anchorRow, accumulate, columnStart, threeWayEnd, columnEnd, r0, r1);
    }
  }
}
