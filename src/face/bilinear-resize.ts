import type { Size } from './image-pyramid.js';

/** Bytes per entry of the resize kernel's tables. */
export const RESIZE_ROW_BYTES = 32;
export const RESIZE_GROUP_BYTES = 80;
export const RESIZE_TAIL_BYTES = 16;

/** The sample positions and weights of one resize, as `u8_planar_resize_bilinear__simd128` reads them. */
export interface BilinearResizeTables {
  rows: Uint8Array;
  groups: Uint8Array;
  groupCount: number;
  tail: Uint8Array;
  tailCount: number;
}

/**
 * Where dlib's `resize_image` (bilinear, RGB) samples, rounded as it rounds:
 * the row position accumulates in f64 (y += y_scale); the column positions
 * of each group of four output pixels accumulate in f32 lanes (x += 4 *
 * x_scale) and are truncated to the left pixel; the first group whose last
 * right neighbour falls outside the image ends the groups, and the remaining
 * columns are computed one at a time in f64 from x = c * x_scale on.
 */
export function bilinearResizeTables(from: Size, to: Size): BilinearResizeTables {
  const f32 = Math.fround;
  const xScale = (from.width - 1) / Math.max(to.width - 1, 1);
  const yScale = (from.height - 1) / Math.max(to.height - 1, 1);

  // Every field sits at a multiple of its size: written through typed views.
  const rows = new Uint8Array(to.height * RESIZE_ROW_BYTES);
  const rowInts = new Int32Array(rows.buffer);
  const rowFloats = new Float32Array(rows.buffer);
  const rowDoubles = new Float64Array(rows.buffer);
  let y = -yScale;
  for (let r = 0; r < to.height; r++) {
    y += yScale;
    const top = Math.floor(y);
    const tb = y - top;
    const at = r * (RESIZE_ROW_BYTES / 4);
    rowInts[at] = top;
    rowInts[at + 1] = Math.min(top + 1, from.height - 1);
    rowFloats[at + 2] = 1 - tb;
    rowFloats[at + 3] = tb;
    rowDoubles[at / 2 + 2] = tb;
  }

  const groups = new Uint8Array(Math.ceil(to.width / 4) * RESIZE_GROUP_BYTES);
  const groupInts = new Uint32Array(groups.buffer);
  const groupFloats = new Float32Array(groups.buffer);
  const x0 = -4 * xScale;
  const lanes = new Float32Array([x0, x0 + xScale, x0 + 2 * xScale, x0 + 3 * xScale]);
  const lefts = new Int32Array(4);
  const step = f32(4 * xScale);
  let groupCount = 0;
  for (; (groupCount + 1) * 4 <= to.width; groupCount++) {
    for (let k = 0; k < 4; k++) {
      lanes[k] += step;
      lefts[k] = Math.trunc(lanes[k]);
    }
    if (lefts[3] + 1 >= from.width) break;
    const at = groupCount * (RESIZE_GROUP_BYTES / 4);
    groupInts[at] = lefts[0];
    for (let k = 0; k < 4; k++) {
      const offset = lefts[k] - lefts[0];
      if (offset > 14)
        throw new RangeError(`bilinear resize from ${from.width} to ${to.width} columns samples too sparsely for the kernel`);
      groupInts[at + 4 + k] = 0x80808000 | offset;
      groupInts[at + 16 + k] = 0x80808000 | (offset + 1);
      const lr = f32(lanes[k] - lefts[k]);
      groupFloats[at + 8 + k] = 1 - lr;
      groupFloats[at + 12 + k] = lr;
    }
  }

  const first = groupCount * 4;
  const tailCount = to.width - first;
  const tail = new Uint8Array(tailCount * RESIZE_TAIL_BYTES);
  const tailInts = new Int32Array(tail.buffer);
  const tailDoubles = new Float64Array(tail.buffer);
  let x = -xScale + first * xScale;
  for (let j = 0; j < tailCount; j++) {
    x += xScale;
    const left = Math.floor(x);
    tailInts[j * 4] = left;
    tailInts[j * 4 + 1] = Math.min(left + 1, from.width - 1);
    tailDoubles[j * 2 + 1] = x - left;
  }
  return { rows, groups: groups.subarray(0, groupCount * RESIZE_GROUP_BYTES), groupCount, tail, tailCount };
}
