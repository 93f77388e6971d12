import { beforeAll, beforeEach, describe, it } from 'vitest';
import { expectExact, KERNEL_BUILDS, KernelHarness, randomInts } from '../support/kernel-harness.js';
import { random } from '../support/reference-conv.js';

// u8_rgb_to_planar: interleaved RGB or RGBA bytes to three planes R, G, B
// (alpha dropped), 16 pixels a vector step and the rest one by one. A copy: exact.

describe.each(KERNEL_BUILDS)('u8_rgb_to_planar (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  describe.each([3, 4])('pixel stride %i', (stride) => {
    it.each([1, 15, 16, 17, 33, 50])('%i pixels, whole and from odd starts', (pixels) => {
      const src = randomInts(random(pixels * 10 + stride), pixels * stride, 256);
      // Planes an odd number of bytes apart: the kernel must not assume an alignment.
      const planeBytes = pixels + 3;
      const s = h.u8(src);
      for (const splits of [
        [0, pixels],
        [0, Math.min(5, pixels), pixels],
        [0, Math.min(1, pixels), Math.min(21, pixels), pixels],
      ]) {
        const dst = h.alloc(3 * planeBytes);
        const expected = h.readU8(dst, 3 * planeBytes);
        for (let p = 0; p < pixels; p++) for (let k = 0; k < 3; k++) expected[k * planeBytes + p] = src[p * stride + k];
        for (let i = splits.length - 2; i >= 0; i--) h.k.u8_rgb_to_planar__simd128(s, stride, dst, planeBytes, splits[i], splits[i + 1]);
        // The bytes between planes (past each plane's pixels) stay as they were.
        expectExact(h.readU8(dst, 3 * planeBytes), expected, `ranges ${splits}`);
      }
      h.expectGuardsIntact();
    });
  });
});
