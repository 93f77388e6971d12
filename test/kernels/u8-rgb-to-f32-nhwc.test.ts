import { beforeAll, beforeEach, describe, it } from 'vitest';
import { expectExact, KERNEL_BUILDS, KernelHarness, randomInts } from '../support/kernel-harness.js';
import { expectSameValues } from '../support/helpers.js';
import { random } from '../support/reference-conv.js';

// u8_rgb_to_f32_nhwc, dlib's input_rgb_image: (value - mean) / 256 per
// channel, the mean an f32 argument, in f32: fround(value - fround(mean)) / 256
// (exact: a division by a power of two). Exact.

describe.each(KERNEL_BUILDS)('u8_rgb_to_f32_nhwc (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  const means: [number, number, number][] = [
    [0, 0, 0],
    [122.782, 117.001, 104.298],
    [255, -3.5, 0.1],
  ];
  it('from three planes (pixels 1 byte apart, channels a plane apart), 3 rows of 5 pixels into a region of a 7-pixel-wide tensor', () => {
    const [width, rows, cols] = [5, 3, 7];
    const src = randomInts(random(99), 3 * width * rows, 256);
    const mean = means[1];
    const s = h.u8(src);
    const y = h.alloc(12 * cols * rows);
    const before = h.readF32(y, 3 * cols * rows);
    h.k.u8_rgb_to_f32_nhwc(s, width, 1, width * rows, width, ...mean, y + 12, 12 * cols, 0, rows);
    const expected = before.slice();
    for (let r = 0; r < rows; r++)
      for (let x = 0; x < width; x++)
        for (let k = 0; k < 3; k++)
          expected[3 * (r * cols + x + 1) + k] = Math.fround(src[k * width * rows + r * width + x] - Math.fround(mean[k])) / 256;
    expectSameValues(h.readF32(y, 3 * cols * rows), expected);
    h.expectGuardsIntact();
  });

  describe.each([3, 4])('pixel stride %i', (stride) => {
    it.each([1, 4, 7, 17])('3 rows of %i pixels (four at a time, then one by one), split by rows', (width) => {
      const rows = 3;
      const src = randomInts(random(width * 13 + stride), rows * width * stride, 256);
      src[0] = 255;
      const mean = means[1];
      const expected = new Float32Array(rows * width * 3);
      for (let p = 0; p < rows * width; p++) {
        for (let k = 0; k < 3; k++) expected[p * 3 + k] = Math.fround(src[p * stride + k] - Math.fround(mean[k])) / 256;
      }
      const s = h.u8(src);
      const y = h.alloc(rows * width * 12);
      h.k.u8_rgb_to_f32_nhwc(s, width * stride, stride, 1, width, ...mean, y, 12 * width, 1, rows);
      h.k.u8_rgb_to_f32_nhwc(s, width * stride, stride, 1, width, ...mean, y, 12 * width, 0, 1);
      expectExact(h.readF32(y, rows * width * 3), expected);
      h.expectGuardsIntact();
    });

    it.each([1, 2, 5, 17])("%i pixels, means 0, dlib's and odd ones, split", (pixels) => {
      const src = randomInts(random(pixels * stride), pixels * stride, 256);
      // The extremes of a byte included.
      src[0] = 0;
      src[src.length - 1] = 255;
      for (const mean of means) {
        h.reset();
        const expected = new Float32Array(pixels * 3);
        for (let p = 0; p < pixels; p++) {
          for (let k = 0; k < 3; k++) expected[p * 3 + k] = Math.fround(src[p * stride + k] - Math.fround(mean[k])) / 256;
        }
        const s = h.u8(src);
        const y = h.alloc(pixels * 12);
        const split = Math.floor(pixels / 2);
        // A row a pixel: the rows split as the pixels were.
        h.k.u8_rgb_to_f32_nhwc(s, stride, stride, 1, 1, ...mean, y, 12, split, pixels);
        h.k.u8_rgb_to_f32_nhwc(s, stride, stride, 1, 1, ...mean, y, 12, 0, split);
        expectExact(h.readF32(y, pixels * 3), expected, `means ${mean}`);
        h.expectGuardsIntact();
      }
    });
  });
});
