import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectExact, expectWithin, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, random } from '../support/reference-conv.js';

// f32_squared_distances_f64: sum of (x - row)^2 per row, differences in f32, squares and sums in f64.

const f = Math.fround;

/** The kernel's exact arithmetic: four f64 lanes (k % 4), (L0 + L2) + (L1 + L3), then the tail in order. */
function laneOrderSum(x: ArrayLike<number>, row: ArrayLike<number>): number {
  const lanes = [0, 0, 0, 0];
  const vector = x.length & ~3;
  for (let k = 0; k < vector; k++) {
    const d = f(x[k] - row[k]);
    lanes[k % 4] += d * d;
  }
  let sum = lanes[0] + lanes[2] + (lanes[1] + lanes[3]);
  for (let k = vector; k < x.length; k++) {
    const d = f(x[k] - row[k]);
    sum += d * d;
  }
  return sum;
}

/** The float64 reference: the same f32 differences, squared and summed in order. */
function sequentialSum(x: ArrayLike<number>, row: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < x.length; k++) {
    const d = f(x[k] - row[k]);
    sum += d * d;
  }
  return sum;
}

describe.each(KERNEL_BUILDS)('f32_squared_distances_f64 (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  it.each([1, 3, 4, 7, 128, 131])('rows of %i values, split, against a float64 reference', (length) => {
    const count = 9;
    const next = random(length);
    const x = floats(length, next);
    const rows = floats(count * length, next);
    const row = (r: number) => rows.slice(r * length, (r + 1) * length);
    const xAt = h.f32(x);
    const rowsAt = h.f32(rows);
    const out = h.alloc(count * 8);
    h.k.f32_squared_distances_f64__simd128(xAt, rowsAt, length, out, 4, count);
    h.k.f32_squared_distances_f64__simd128(xAt, rowsAt, length, out, 0, 4);
    const sums = new Float64Array(h.memory.buffer.slice(out, out + count * 8));
    h.expectGuardsIntact();
    const reference = Array.from({ length: count }, (_, r) => sequentialSum(x, row(r)));
    // f64 sums of `length` positive terms in another order: within length * 2^-52 of each other.
    expectWithin(sums, reference, (r) => reference[r] * length * 2 ** -52);
    expectExact(
      sums,
      Array.from({ length: count }, (_, r) => laneOrderSum(x, row(r))),
    );
  });

  it('takes differences in f32: 1 - 2^-30 rounds to 1, and the squares are exact', () => {
    const x = [1, 1, 0, 0, 3];
    const rows = [1 + 2 ** -23, 2 ** -30, 0, 0, 3];
    const out = h.alloc(8);
    h.k.f32_squared_distances_f64__simd128(h.f32(x), h.f32(rows), x.length, out, 0, 1);
    expect(new Float64Array(h.memory.buffer, out, 1)[0]).toBe(1 + 2 ** -46);
  });

  it('writes nothing for an empty range', () => {
    const out = h.alloc(8);
    h.k.f32_squared_distances_f64__simd128(h.f32([1]), h.f32([2]), 1, out, 0, 0);
    expect(Array.from(h.readU8(out, 8))).toEqual(Array(8).fill(0xff));
    h.expectGuardsIntact();
  });
});
