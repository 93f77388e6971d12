import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectExact, expectWithin, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, random } from '../support/reference-conv.js';

// f32_distances_interleaved_4: the distance from x to each row of four-row interleaved blocks,
// each lane summing its row's squares in order in float32, as a scalar float32 loop does.

const f = Math.fround;

/** Rows (row after row) as the kernel reads them: blocks of four, [k][lane], zeros after the last row. */
function interleave(rows: Float32Array, count: number, length: number): Float32Array {
  const blocks = new Float32Array(Math.ceil(count / 4) * 4 * length);
  for (let r = 0; r < count; r++) {
    for (let k = 0; k < length; k++) blocks[(r >> 2) * 4 * length + k * 4 + (r & 3)] = rows[r * length + k];
  }
  return blocks;
}

/** The scalar float32 loop: every difference, square, sum and the root rounded to float32. */
function float32Distance(x: ArrayLike<number>, row: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < x.length; k++) {
    const d = f(x[k] - row[k]);
    sum = f(sum + f(d * d));
  }
  return f(Math.sqrt(sum));
}

/** The float64 reference: exact differences, squares and sums. */
function float64Distance(x: ArrayLike<number>, row: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < x.length; k++) sum += (x[k] - row[k]) ** 2;
  return Math.sqrt(sum);
}

describe.each(KERNEL_BUILDS)('f32_distances_interleaved_4 (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  it.each([
    { length: 1, count: 1 },
    { length: 3, count: 5 },
    { length: 128, count: 4 },
    { length: 128, count: 11 },
    { length: 131, count: 9 },
  ])('$count rows of $length values, split by blocks, against float32 and float64 references', ({ length, count }) => {
    const next = random(length * 31 + count);
    const x = floats(length, next);
    const rows = floats(count * length, next);
    const row = (r: number) => rows.subarray(r * length, (r + 1) * length);
    const blocks = Math.ceil(count / 4);
    const xAt = h.f32(x);
    const blocksAt = h.f32(interleave(rows, count, length));
    const out = h.alloc(blocks * 16);
    h.k.f32_distances_interleaved_4__simd128(xAt, blocksAt, length, out, 1, blocks);
    h.k.f32_distances_interleaved_4__simd128(xAt, blocksAt, length, out, 0, 1);
    h.expectGuardsIntact();
    const distances = h.readF32(out, count);
    const exact = Array.from({ length: count }, (_, r) => float64Distance(x, row(r)));
    // float32 sums of `length` squares: within (length + 3) * 2^-24 relative of the exact distance.
    expectWithin(distances, exact, (r) => exact[r] * (length + 3) * 2 ** -24);
    expectExact(
      distances,
      Array.from({ length: count }, (_, r) => float32Distance(x, row(r))),
    );
  });

  it("rounds each step to float32 in order: 1 and then 2^-25 sixteen times stays 1, where float64's sum does not", () => {
    const x = [1, ...Array<number>(16).fill(f(2 ** -12.5))];
    const zeros = new Float32Array(17);
    const out = h.alloc(16);
    h.k.f32_distances_interleaved_4__simd128(h.f32(x), h.f32(interleave(zeros, 1, 17)), 17, out, 0, 1);
    expect(h.readF32(out, 1)[0]).toBe(1);
    expect(float32Distance(x, zeros)).toBe(1);
    expect(f(float64Distance(x, zeros))).toBeGreaterThan(1);
  });

  it('writes nothing for an empty range', () => {
    const out = h.alloc(16);
    h.k.f32_distances_interleaved_4__simd128(h.f32([1]), h.f32([2, 2, 2, 2]), 1, out, 0, 0);
    expect(Array.from(h.readU8(out, 16))).toEqual(Array(16).fill(0xff));
    h.expectGuardsIntact();
  });
});
