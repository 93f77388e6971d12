import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bilinearResizeTables, RESIZE_GROUP_BYTES, RESIZE_ROW_BYTES, RESIZE_TAIL_BYTES } from '../../src/face/bilinear-resize.js';
import { expectExact, KERNEL_BUILDS, KernelHarness, randomInts } from '../support/kernel-harness.js';
import { random } from '../support/reference-conv.js';

// u8_planar_resize_bilinear with the tables of bilinearResizeTables (dlib's
// resize_image sample positions), against the kernel's documented arithmetic
// written out here: groups of four columns in f32, every product and sum
// rounded to f32 (fround) in the stated order; tail columns in double; each
// truncated to a byte. Exact.

const f = Math.fround;

function reference(
  src: number[],
  sw: number,
  sPlane: number,
  dw: number,
  dh: number,
  dPlane: number,
  t: ReturnType<typeof bilinearResizeTables>,
): Uint8Array {
  const out = new Uint8Array(3 * dPlane);
  const rows = new DataView(t.rows.buffer);
  const groups = new DataView(t.groups.buffer, t.groups.byteOffset);
  const tail = new DataView(t.tail.buffer);
  for (let r = 0; r < dh; r++) {
    const top = rows.getInt32(r * RESIZE_ROW_BYTES, true);
    const bottom = rows.getInt32(r * RESIZE_ROW_BYTES + 4, true);
    const itb = rows.getFloat32(r * RESIZE_ROW_BYTES + 8, true);
    const tb = rows.getFloat32(r * RESIZE_ROW_BYTES + 12, true);
    const tbd = rows.getFloat64(r * RESIZE_ROW_BYTES + 16, true);
    for (let p = 0; p < 3; p++) {
      const T = (x: number) => src[p * sPlane + top * sw + x];
      const B = (x: number) => src[p * sPlane + bottom * sw + x];
      for (let g = 0; g < t.groupCount; g++) {
        const at = g * RESIZE_GROUP_BYTES;
        for (let k = 0; k < 4; k++) {
          const left = groups.getInt32(at, true) + groups.getUint8(at + 16 + 4 * k);
          const ilr = groups.getFloat32(at + 32 + 4 * k, true);
          const lr = groups.getFloat32(at + 48 + 4 * k, true);
          let v = f(f(f(itb * ilr) * T(left)) + f(f(itb * lr) * T(left + 1)));
          v = f(v + f(f(tb * ilr) * B(left)));
          v = f(v + f(f(tb * lr) * B(left + 1)));
          out[p * dPlane + r * dw + g * 4 + k] = Math.trunc(v);
        }
      }
      for (let j = 0; j < t.tailCount; j++) {
        const left = tail.getInt32(j * RESIZE_TAIL_BYTES, true);
        const right = tail.getInt32(j * RESIZE_TAIL_BYTES + 4, true);
        const lr = tail.getFloat64(j * RESIZE_TAIL_BYTES + 8, true);
        const v = (1 - tbd) * ((1 - lr) * T(left) + lr * T(right)) + tbd * ((1 - lr) * B(left) + lr * B(right));
        out[p * dPlane + r * dw + t.groupCount * 4 + j] = Math.trunc(v);
      }
    }
  }
  return out;
}

const sizes: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [5, 4, 1, 1],
  [1, 1, 3, 2],
  [2, 2, 5, 5],
  [17, 9, 13, 7],
  [40, 30, 33, 25],
  [20, 20, 40, 40],
  [7, 3, 9, 5],
  [48, 10, 17, 3],
  // pyramid_down<6>'s 5/6 (rows sharing their middle source row, and not) and pyramid_up's 2x (rows sharing both).
  [60, 48, 50, 40],
  [31, 23, 61, 45],
];

describe.each(KERNEL_BUILDS)('u8_planar_resize_bilinear (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  it.each(sizes)('%i x %i to %i x %i, whole and split by rows', (sw, sh, dw, dh) => {
    const t = bilinearResizeTables({ width: sw, height: sh }, { width: dw, height: dh });
    expect(t.groupCount * 4 + t.tailCount).toBe(dw);
    // Planes an odd number of bytes apart, and the 16 readable bytes past a group's base.
    const sPlane = sw * sh + 3;
    const dPlane = dw * dh + 5;
    const src = randomInts(random(sw * 1000 + sh * 100 + dw * 10 + dh), 3 * sPlane, 256);
    const expected = reference(src, sw, sPlane, dw, dh, dPlane, t);
    const s = h.u8(src, 3 * sPlane + 16);
    const rows = h.u8(t.rows);
    const groups = h.u8(t.groups, 1);
    const tail = h.u8(t.tail, 1);
    for (const splits of [
      [0, dh],
      [0, Math.floor(dh / 2), dh],
      // Ranges starting on odd rows: the kernel takes rows in pairs where they share source rows.
      [0, Math.min(1, dh), Math.min(Math.floor(dh / 2) + 1, dh), dh],
    ]) {
      const dst = h.alloc(3 * dPlane);
      const want = h.readU8(dst, 3 * dPlane);
      for (let p = 0; p < 3; p++) want.set(expected.subarray(p * dPlane, p * dPlane + dw * dh), p * dPlane);
      for (let i = 0; i + 1 < splits.length; i++) {
        h.k.u8_planar_resize_bilinear__simd128(
          s,
          sw,
          sPlane,
          dst,
          dw,
          dPlane,
          rows,
          groups,
          t.groupCount,
          tail,
          t.tailCount,
          splits[i],
          splits[i + 1],
        );
      }
      expectExact(h.readU8(dst, 3 * dPlane), want, `rows ${splits}`);
    }
    h.expectGuardsIntact();
  });
});
