import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, random } from '../support/reference-conv.js';

// f32_indices_at_least: the indices of a rectangle's values at or above a
// threshold, row-major, appended after what the counter already counts;
// against a scalar scan. Widths cover whole vectors and 1-3 columns past.

describe.each(KERNEL_BUILDS)('f32 indices at least (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  it.each([1, 3, 4, 5, 8, 13])('columns 2 to 2 + %i of 6 rows, split by rows, after 2 already counted', (width) => {
    const stride = width + 5;
    const rows = 7;
    const values = floats(rows * stride, random(width));
    // Ties, NaN and infinities, and values past the rectangle that would pass.
    values[stride + 2] = 0.25;
    values[2 * stride + 2] = Number.NaN;
    values[3 * stride + 2] = Number.POSITIVE_INFINITY;
    values[3 * stride + 2 + width] = 1;
    const threshold = 0.25;
    const [columnStart, columnEnd, rowStart, rowEnd] = [2, 2 + width, 1, 7];
    const expected: number[] = [];
    for (let r = rowStart; r < rowEnd; r++) {
      for (let c = columnStart; c < columnEnd; c++) if (values[r * stride + c] >= threshold) expected.push(r * stride + c);
    }
    expect(expected.length).toBeGreaterThan(1);
    const at = h.f32(values, values.length * 4 + 64);
    const capacity = 2 + (rowEnd - rowStart) * width;
    const indices = h.alloc(capacity * 4);
    const found = h.i32([2]);
    h.k.f32_indices_at_least__simd128(at, stride, threshold, columnStart, columnEnd, indices, found, rowStart, 4);
    h.k.f32_indices_at_least__simd128(at, stride, threshold, columnStart, columnEnd, indices, found, 4, rowEnd);
    const count = new Int32Array(h.memory.buffer, found, 1)[0];
    expect(count).toBe(2 + expected.length);
    expect(Array.from(new Int32Array(h.memory.buffer, indices + 8, expected.length))).toEqual(expected);
    h.expectGuardsIntact();
  });
});
