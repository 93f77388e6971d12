import { bilinearResizeTables, RESIZE_GROUP_BYTES, RESIZE_ROW_BYTES, RESIZE_TAIL_BYTES } from '../face/bilinear-resize.js';
import type { Size } from '../face/image-pyramid.js';
import type { RgbImage } from '../image.js';

const f32 = Math.fround;

/** `bilinearResizeTables` read as typed arrays (every field sits at a multiple of its size). */
function tableViews(from: Size, to: Size) {
  const t = bilinearResizeTables(from, to);
  const view = (bytes: Uint8Array) => ({
    i32: new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2),
    f32: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2),
    f64: new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 3),
    u8: bytes,
  });
  return { rows: view(t.rows), groups: view(t.groups), groupCount: t.groupCount, tail: view(t.tail), tailCount: t.tailCount };
}

const ROW = RESIZE_ROW_BYTES >> 2;
const GROUP = RESIZE_GROUP_BYTES >> 2;
const TAIL = RESIZE_TAIL_BYTES >> 2;

/** One row of a three-plane float image resized: which rows of the source it reads, and the row made of them. */
export interface FloatRowResizer {
  /** The source rows (top, bottom) that output row `r` blends: non-decreasing in r. */
  sourceRows(r: number): [number, number];
  /**
   * Writes output row `r` into `out` from its source rows `top` and
   * `bottom`, each row its three channels' rows one after another.
   */
  resizeRow(r: number, top: Float32Array, bottom: Float32Array, out: Float32Array): void;
}

/**
 * dlib's `resize_image` (bilinear) of a float image into another, a row at a
 * time, as dlib's `tt::resize_bilinear` resizes the levels of an input
 * tensor: the float grayscale path of `resize_image`, per channel. Columns
 * in groups of four take f32 weights and sum in f32 (`tl*TL + tr*TR +
 * bl*BL + br*BR`, left to right); the remaining columns take an f32 column
 * weight and blend the rows in f64.
 */
export function floatRowResizer(from: Size, to: Size): FloatRowResizer {
  const { rows, groups, groupCount, tail, tailCount } = tableViews(from, to);
  // The tables unpacked a column at a time: the row loop then reads them in order.
  const grouped = groupCount * 4;
  const columns = grouped + tailCount;
  const left = new Int32Array(columns);
  const right = new Int32Array(columns);
  const ilr = new Float32Array(columns);
  const lr = new Float32Array(columns);
  for (let x = 0; x < grouped; x++) {
    const g = x >> 2;
    const k = x & 3;
    left[x] = groups.i32[g * GROUP] + groups.u8[g * RESIZE_GROUP_BYTES + 16 + 4 * k];
    right[x] = left[x] + 1;
    ilr[x] = groups.f32[g * GROUP + 8 + k];
    lr[x] = groups.f32[g * GROUP + 12 + k];
  }
  for (let j = 0; j < tailCount; j++) {
    left[grouped + j] = tail.i32[j * TAIL];
    right[grouped + j] = tail.i32[j * TAIL + 1];
    lr[grouped + j] = tail.f64[(j * TAIL + 2) >> 1];
    ilr[grouped + j] = f32(1 - lr[grouped + j]);
  }
  const [w0, w1] = [from.width, 2 * from.width];
  const [o1, o2] = [to.width, 2 * to.width];
  return {
    sourceRows: (r) => [rows.i32[r * ROW], rows.i32[r * ROW + 1]],
    resizeRow(r, t, b, out) {
      const itb = rows.f32[r * ROW + 2];
      const tb = rows.f32[r * ROW + 3];
      const tb64 = rows.f64[(r * ROW + 4) >> 1];
      // The four weights of a column serve its three channels.
      for (let x = 0; x < grouped; x++) {
        const i = left[x];
        const j = i + 1;
        const tl = f32(itb * ilr[x]);
        const tr = f32(itb * lr[x]);
        const bl = f32(tb * ilr[x]);
        const br = f32(tb * lr[x]);
        out[x] = f32(f32(f32(f32(tl * t[i]) + f32(tr * t[j])) + f32(bl * b[i])) + f32(br * b[j]));
        out[o1 + x] = f32(f32(f32(f32(tl * t[w0 + i]) + f32(tr * t[w0 + j])) + f32(bl * b[w0 + i])) + f32(br * b[w0 + j]));
        out[o2 + x] = f32(f32(f32(f32(tl * t[w1 + i]) + f32(tr * t[w1 + j])) + f32(bl * b[w1 + i])) + f32(br * b[w1 + j]));
      }
      for (let x = grouped; x < columns; x++) {
        const wl = ilr[x];
        const wr = lr[x];
        for (let c = 0; c < 3; c++) {
          const i = c * from.width + left[x];
          const j = c * from.width + right[x];
          const upper = f32(f32(wl * t[i]) + f32(wr * t[j]));
          const lower = f32(f32(wl * b[i]) + f32(wr * b[j]));
          out[c * to.width + x] = f32((1 - tb64) * upper + tb64 * lower);
        }
      }
    },
  };
}

/**
 * dlib's `resize_image` (bilinear) of an RGB image, as `pyramid_up` resizes:
 * the RGB path, whose groups of four columns sum in f32 and truncate, and
 * whose remaining columns blend in f64 and truncate. Returns interleaved RGB.
 */
export function resizeRgbImage(image: RgbImage, to: Size): RgbImage {
  const out = new Uint8Array(to.width * to.height * 3);
  if (image.width === 0 || image.height === 0 || out.length === 0) return { ...to, data: out };
  const stride = image.data.length / (image.width * image.height);
  const src = image.data;
  const { rows, groups, groupCount, tail, tailCount } = tableViews(image, to);
  const rowBytes = image.width * stride;
  for (let r = 0; r < to.height; r++) {
    const top = rows.i32[r * ROW] * rowBytes;
    const bottom = rows.i32[r * ROW + 1] * rowBytes;
    const itb = rows.f32[r * ROW + 2];
    const tb = rows.f32[r * ROW + 3];
    const tb64 = rows.f64[(r * ROW + 4) >> 1];
    const itb64 = 1 - tb64;
    const o = r * to.width * 3;
    for (let g = 0; g < groupCount; g++) {
      const base = groups.i32[g * GROUP];
      for (let k = 0; k < 4; k++) {
        const left = (base + groups.u8[g * RESIZE_GROUP_BYTES + 16 + 4 * k]) * stride;
        const right = left + stride;
        const ilr = groups.f32[g * GROUP + 8 + k];
        const lr = groups.f32[g * GROUP + 12 + k];
        const tlf = f32(itb * ilr);
        const trf = f32(itb * lr);
        const blf = f32(tb * ilr);
        const brf = f32(tb * lr);
        for (let p = 0; p < 3; p++) {
          const v = f32(
            f32(f32(f32(tlf * src[top + left + p]) + f32(trf * src[top + right + p])) + f32(blf * src[bottom + left + p])) +
              f32(brf * src[bottom + right + p]),
          );
          out[o + (g * 4 + k) * 3 + p] = Math.trunc(v);
        }
      }
    }
    for (let j = 0; j < tailCount; j++) {
      const left = tail.i32[j * TAIL] * stride;
      const right = tail.i32[j * TAIL + 1] * stride;
      const lr = tail.f64[(j * TAIL + 2) >> 1];
      const ilr = 1 - lr;
      for (let p = 0; p < 3; p++) {
        const v =
          itb64 * (ilr * src[top + left + p] + lr * src[top + right + p]) +
          tb64 * (ilr * src[bottom + left + p] + lr * src[bottom + right + p]);
        out[o + (groupCount * 4 + j) * 3 + p] = Math.trunc(v);
      }
    }
  }
  return { ...to, data: out };
}
