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

  const rows = new Uint8Array(to.height * RESIZE_ROW_BYTES);
  const rowView = new DataView(rows.buffer);
  let y = -yScale;
  for (let r = 0; r < to.height; r++) {
    y += yScale;
    const top = Math.floor(y);
    const tb = y - top;
    const at = r * RESIZE_ROW_BYTES;
    rowView.setInt32(at, top, true);
    rowView.setInt32(at + 4, Math.min(top + 1, from.height - 1), true);
    rowView.setFloat32(at + 8, f32(1 - tb), true);
    rowView.setFloat32(at + 12, f32(tb), true);
    rowView.setFloat64(at + 16, tb, true);
  }

  const groups = new Uint8Array(Math.ceil(to.width / 4) * RESIZE_GROUP_BYTES);
  const groupView = new DataView(groups.buffer);
  const x0 = -4 * xScale;
  const lanes = [f32(x0), f32(x0 + xScale), f32(x0 + 2 * xScale), f32(x0 + 3 * xScale)];
  const step = f32(4 * xScale);
  const left = new Int32Array(4);
  let groupCount = 0;
  for (; (groupCount + 1) * 4 <= to.width; groupCount++) {
    for (let k = 0; k < 4; k++) {
      lanes[k] = f32(lanes[k] + step);
      left[k] = Math.trunc(lanes[k]);
    }
    if (left[3] + 1 >= from.width) break;
    const at = groupCount * RESIZE_GROUP_BYTES;
    groupView.setInt32(at, left[0], true);
    for (let k = 0; k < 4; k++) {
      const offset = left[k] - left[0];
      if (offset > 14)
        throw new RangeError(`bilinear resize from ${from.width} to ${to.width} columns samples too sparsely for the kernel`);
      groupView.setUint32(at + 16 + 4 * k, 0x80808000 | offset, true);
      groupView.setUint32(at + 64 + 4 * k, 0x80808000 | (offset + 1), true);
      const lr = f32(lanes[k] - left[k]);
      groupView.setFloat32(at + 32 + 4 * k, f32(1 - lr), true);
      groupView.setFloat32(at + 48 + 4 * k, lr, true);
    }
  }

  const first = groupCount * 4;
  const tailCount = to.width - first;
  const tail = new Uint8Array(tailCount * RESIZE_TAIL_BYTES);
  const tailView = new DataView(tail.buffer);
  let x = -xScale + first * xScale;
  for (let j = 0; j < tailCount; j++) {
    x += xScale;
    const left = Math.floor(x);
    const at = j * RESIZE_TAIL_BYTES;
    tailView.setInt32(at, left, true);
    tailView.setInt32(at + 4, Math.min(left + 1, from.width - 1), true);
    tailView.setFloat64(at + 8, x - left, true);
  }
  return { rows, groups: groups.subarray(0, groupCount * RESIZE_GROUP_BYTES), groupCount, tail, tailCount };
}
