import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bilinearResizeTables } from '../../src/face/bilinear-resize.js';
import { floatRowResizer } from '../../src/input/resize-image.js';
import { expectSameValues } from '../support/helpers.js';
import { KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { random } from '../support/reference-conv.js';

// f32_rgb_resize_bilinear_nhwc with the tables of bilinearResizeTables,
// against floatRowResizer (the resize dlib's to_tensor does to a pyramid's
// levels, in JavaScript): source and output regions of wider NHWC tensors,
// every value the same bit for bit, no float written outside the output region.

const sizes: [number, number, number, number][] = [
  [12, 10, 10, 8], // pyramid_down<6>'s 5/6
  [300, 220, 250, 183],
  [9, 7, 4, 5], // fewer columns than a group or two
  [5, 6, 17, 13], // up-sampling
  [23, 2, 19, 1],
];

describe.each(KERNEL_BUILDS)('f32_rgb_resize_bilinear_nhwc (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  it.each(sizes)('%ix%i to %ix%i, in regions of wider tensors, rows split', (sw, sh, dw, dh) => checkResize(sw, sh, dw, dh, Number.NaN));

  // Finite values around the source region: a float the kernel stored past a row's last pixel would then show (NaN over the NaN poison would not).
  it('23x9 to 20x7, every column in a group (no tail column): nothing stored past the rows', () => {
    const t = bilinearResizeTables({ width: 23, height: 9 }, { width: 20, height: 7 });
    expect([t.groupCount, t.tailCount]).toEqual([5, 0]);
    checkResize(23, 9, 20, 7, 7);
  });

  /** The kernel on `sw`x`sh` to `dw`x`dh`, its source region amid `outside` values, against floatRowResizer. */
  function checkResize(sw: number, sh: number, dw: number, dh: number, outside: number): void {
    const next = random(sw * 31 + dh);
    const planes = Float32Array.from({ length: 3 * sw * sh }, () => next() * 4 - 2);
    // Source tensor 3 pixels wider, region from column 2; output tensor 5 wider, region from column 1 of row 1.
    const [srcCols, dstCols] = [sw + 3, dw + 5];
    const src = new Float32Array(3 * srcCols * sh).fill(outside);
    for (let y = 0; y < sh; y++)
      for (let x = 0; x < sw; x++) for (let c = 0; c < 3; c++) src[3 * (y * srcCols + x + 2) + c] = planes[(c * sh + y) * sw + x];
    const dstFloats = 3 * dstCols * (dh + 1);
    const dst = h.alloc(4 * dstFloats);
    const before = h.readF32(dst, dstFloats);
    const t = bilinearResizeTables({ width: sw, height: sh }, { width: dw, height: dh });
    const args = [
      h.f32(src) + 8 * 3,
      12 * srcCols,
      dst + 12 * (dstCols + 1),
      12 * dstCols,
      h.u8(t.rows),
      h.u8(t.groups, 16),
      t.groupCount,
      h.u8(t.tail, 16),
      t.tailCount,
    ] as const;
    const split = Math.floor(dh / 2);
    h.k.f32_rgb_resize_bilinear_nhwc__simd128(...args, split, dh);
    h.k.f32_rgb_resize_bilinear_nhwc__simd128(...args, 0, split);

    const resizer = floatRowResizer({ width: sw, height: sh }, { width: dw, height: dh });
    const rowOf = (y: number) => Float32Array.from({ length: 3 * sw }, (_, i) => planes[(Math.floor(i / sw) * sh + y) * sw + (i % sw)]);
    const expected = before.slice();
    const out = new Float32Array(3 * dw);
    for (let r = 0; r < dh; r++) {
      const [top, bottom] = resizer.sourceRows(r);
      resizer.resizeRow(r, rowOf(top), rowOf(bottom), out);
      for (let x = 0; x < dw; x++) for (let c = 0; c < 3; c++) expected[3 * ((r + 1) * dstCols + x + 1) + c] = out[c * dw + x];
    }
    expectSameValues(h.readF32(dst, dstFloats), expected, `${sw}x${sh} to ${dw}x${dh}`);
    h.expectGuardsIntact();
  }
});
