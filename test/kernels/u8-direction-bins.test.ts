import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FHOG_DIRECTIONS, ORIENTATION_RANGE } from '../../src/face/fhog.js';
import { KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { DLIB_DIRECTIONS, directionBinTable, dlibOrientationTable } from '../support/dlib-orientations.js';
import { random } from '../support/reference-conv.js';

// u8_direction_bins: the table of the nearest of a few directions to every
// integer vector, against fhog.h's loop written out (test/support/dlib-orientations.ts):
// dlib's 18 orientations of 8-bit gradients as the HOG detector makes them, and other
// directions and ranges (ties, remainders of the 4-wide rows).

describe.each(KERNEL_BUILDS)('u8 direction bins (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  /** The kernel's table, its rows made in two calls (as threads would share them). */
  function kernelTable(directions: number[][], range: number): Uint8Array {
    const side = 2 * range + 1;
    const at = h.f32(directions.flat());
    const out = h.alloc(side * side);
    const split = Math.trunc(side / 3);
    h.k.u8_direction_bins__simd128(at, directions.length, range, out, 0, split);
    h.k.u8_direction_bins__simd128(at, directions.length, range, out, split, side);
    h.expectGuardsIntact();
    return new Uint8Array(h.memory.buffer, out, side * side).slice();
  }

  it("snaps every 8-bit gradient to dlib's orientation (FHOG_DIRECTIONS are fhog.h's)", () => {
    expect(Array.from(FHOG_DIRECTIONS)).toEqual(DLIB_DIRECTIONS.flat());
    const table = kernelTable(DLIB_DIRECTIONS, ORIENTATION_RANGE);
    const expected = dlibOrientationTable();
    const wrong = table.reduce((n, bin, i) => n + (bin === expected[i] ? 0 : 1), 0);
    expect(wrong).toBe(0);
    // Every bin is used, and the zero gradient is bin 0.
    expect(new Set(table).size).toBe(18);
    expect(table[ORIENTATION_RANGE * (2 * ORIENTATION_RANGE + 2)]).toBe(0);
  });

  it.each([
    [1, 3],
    [2, 5],
    [6, 2],
  ])('takes other directions: range %i, %i directions (ties between equal directions go to the first)', (range, count) => {
    const next = random(range * 10 + count);
    const directions = Array.from({ length: count }, () => [Math.fround(next()), Math.fround(next())]);
    directions.push([...directions[0]]);
    expect(kernelTable(directions, range)).toEqual(directionBinTable(directions, range));
  });
});
