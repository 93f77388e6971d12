import { f32_correlate_2d__simd128 } from './f32-correlate-2d-simd128';
import { f32_correlate_columns__simd128, f32_correlate_rows__simd128 } from './f32-correlate-separable-simd128';

/** Bytes of a step of the bank's table. */
const STEP_BYTES: usize = 24;

/**
 * A bank of correlations of f32 images of one size, each written over or
 * added to its output, in one call that threads can share by strips of
 * output columns. Step k of the table
 * (`STEP_BYTES` bytes each, i32 fields) is [src, dst, accumulate, kind, taps,
 * columnTaps]: kind 0 a rank-1 correlation, `tapCols` row taps at `taps` and
 * `tapRows` column taps at `columnTaps`, through `f32_correlate_rows` into
 * `scratch` and then `f32_correlate_columns` into dst; kind 1 a full
 * `tapRows` x `tapCols` filter (row-major taps) through `f32_correlate_2d`.
 * Each output value sums exactly as those kernels sum it, the steps in table
 * order, whatever the strips.
 *
 * Images are `stride` floats a row. The rows pass computes source rows
 * [srcRowStart, srcRowEnd) of `scratch` (a plane like the images); the
 * caller keeps its other rows zero (as the rows of a zero source would be).
 * Outputs are rows [rowStart, rowEnd), columns [columnStart, columnEnd), the
 * first `threeWayEnd` of them summed three-way (see the kernels);
 * `threeWayEnd - columnStart` and `stripCols` are multiples of 8.
 *
 * Work: strips [stripStart, stripEnd) of `stripCols` output columns from
 * columnStart (the last one up to columnEnd). A strip writes only its own
 * columns of scratch and of the outputs, so threads may share the strips.
 */
export function f32_correlate_bank__simd128(
  steps: usize, stepCount: i32, stride: i32, tapRows: i32, tapCols: i32, anchorRow: i32, anchorCol: i32,
  srcRowStart: i32, srcRowEnd: i32, rowStart: i32, rowEnd: i32, columnStart: i32, threeWayEnd: i32, columnEnd: i32,
  scratch: usize, stripCols: i32, stripStart: i32, stripEnd: i32,
): void {
  for (let strip = stripStart; strip < stripEnd; strip++) {
    const c0 = columnStart + strip * stripCols;
    const c1 = min(c0 + stripCols, columnEnd);
    const threeWay = min(max(threeWayEnd, c0), c1);
    for (let k = 0; k < stepCount; k++) {
      const step = steps + <usize>k * STEP_BYTES;
      const src = <usize>load<i32>(step);
      const dst = <usize>load<i32>(step, 4);
      const accumulate = load<i32>(step, 8) != 0;
      const taps = <usize>load<i32>(step, 16);
      if (load<i32>(step, 12) != 0) {
        f32_correlate_2d__simd128(src, dst, stride, taps, tapRows, tapCols, anchorRow, anchorCol, accumulate, c0, threeWay, c1, rowStart, rowEnd);
        continue;
      }
      f32_correlate_rows__simd128(src, scratch, stride, taps, tapCols, anchorCol, c0, threeWay, c1, srcRowStart, srcRowEnd);
      const columnTaps = <usize>load<i32>(step, 20);
      f32_correlate_columns__simd128(scratch, dst, stride, columnTaps, tapRows, anchorRow, accumulate, c0, threeWay, c1, rowStart, rowEnd);
    }
  }
}
