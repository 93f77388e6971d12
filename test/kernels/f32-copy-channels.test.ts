import { beforeAll, beforeEach, describe, it } from 'vitest';
import { expectExact, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, random } from '../support/reference-conv.js';

// f32_copy_channels_nhwc, the copy of a channel concatenation (dlib's concat):
// each input's channels go to their own channels of the output's pixels, and
// the output's other channels are left as they were.

describe.each(KERNEL_BUILDS)('f32_copy_channels_nhwc (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  it.each([
    { parts: [1, 1], pixels: 1 },
    { parts: [3, 5], pixels: 7 },
    { parts: [32, 16], pixels: 9 },
    { parts: [4, 7, 1, 12], pixels: 5 },
    { parts: [13], pixels: 3 },
  ])('inputs of $parts channels, $pixels pixels x 2 samples, each copy split in two', ({ parts, pixels }) => {
    const samples = 2;
    const n = samples * pixels;
    const total = parts.reduce((a, b) => a + b, 0);
    const next = random(total * 100 + pixels);
    const inputs = parts.map((c) => floats(n * c, next));
    const before = floats(n * total, next);
    const expected = before.slice();
    const y = h.f32(before);
    let offset = 0;
    parts.forEach((c, i) => {
      for (let p = 0; p < n; p++) for (let k = 0; k < c; k++) expected[p * total + offset + k] = inputs[i][p * c + k];
      const x = h.f32(inputs[i]);
      const split = Math.floor(n / 2) + 1;
      h.k.f32_copy_channels_nhwc__simd128(x, c, y + offset * 4, total, c, split, n);
      h.k.f32_copy_channels_nhwc__simd128(x, c, y + offset * 4, total, c, 0, split);
      offset += c;
    });
    expectExact(h.readF32(y, n * total), expected);
    h.expectGuardsIntact();
  });

  it('copies into part of each pixel only: the channels around stay as they were', () => {
    const next = random(5);
    const x = floats(6 * 5, next);
    const before = floats(6 * 11, next);
    const y = h.f32(before);
    h.k.f32_copy_channels_nhwc__simd128(h.f32(x), 5, y + 3 * 4, 11, 5, 0, 6);
    const expected = before.slice();
    for (let p = 0; p < 6; p++) for (let k = 0; k < 5; k++) expected[p * 11 + 3 + k] = x[p * 5 + k];
    expectExact(h.readF32(y, 6 * 11), expected);
    h.expectGuardsIntact();
  });
});
