import { beforeAll, beforeEach, describe, it } from 'vitest';
import { expectExact, KERNEL_BUILDS, KernelHarness, randomInts } from '../support/kernel-harness.js';
import { random } from '../support/reference-conv.js';

// u8_rgb_pyramid_down_2__simd128, dlib's pyramid_down<2> on RGB: output (r, c) is the
// 5x5 filter [1 4 6 4 1] x [1 4 6 4 1] centred on input (2r + 2, 2c + 2),
// summed exactly and divided by 256 with truncation. Integers: exact.

function reference(src: number[], rowBytes: number, stride: number, rows: number, cols: number): Uint8Array {
  const f = [1, 4, 6, 4, 1];
  const out = new Uint8Array(rows * cols * 3);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      for (let k = 0; k < 3; k++) {
        let sum = 0;
        for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) sum += f[i] * f[j] * src[(2 * r + i) * rowBytes + (2 * c + j) * stride + k];
        out[(r * cols + c) * 3 + k] = Math.floor(sum / 256);
      }
    }
  }
  return out;
}

describe.each(KERNEL_BUILDS)('u8_rgb_pyramid_down_2__simd128 (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  describe.each([3, 4])('pixel stride %i', (stride) => {
    it.each([
      [5, 5],
      [6, 7],
      [17, 12],
      [40, 31],
      [9, 24],
    ])('%i x %i pixels (width x height), rows padded, whole and split', (width, height) => {
      const rowBytes = width * stride + 5;
      const src = randomInts(random(width * 100 + height + stride), rowBytes * height, 256);
      // Saturated corners: the largest sums (256 * 255, in u16 lanes) must not wrap.
      for (let i = 0; i < 5 * rowBytes; i++) src[i] = 255;
      const cols = Math.floor((width - 3) / 2);
      const rows = Math.floor((height - 3) / 2);
      const expected = reference(src, rowBytes, stride, rows, cols);
      const s = h.u8(src);
      for (const splits of [
        [0, rows],
        [0, 1, rows],
        [0, Math.floor(rows / 2), rows - 1, rows],
      ]) {
        const dst = h.alloc(rows * cols * 3);
        for (let i = 0; i + 1 < splits.length; i++) {
          const [start, end] = [splits[i], splits[i + 1]];
          if (start === end) continue;
          const temp = h.alloc((2 * cols + 4) * 8);
          h.k.u8_rgb_pyramid_down_2__simd128(s, rowBytes, stride, dst, cols, temp, start, end);
        }
        expectExact(h.readU8(dst, rows * cols * 3), expected, `rows split at ${splits}`);
      }
      h.expectGuardsIntact();
    });
  });
});
