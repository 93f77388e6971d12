import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectExact, expectWithin, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, outputSize, random } from '../support/reference-conv.js';

// f32_pool2d_nhwc against dlib's pooling (cpu_dlib.cpp, pooling::forward):
// the window of output (r, c) is the rectangle of window size whose top left
// is (r*sy - py, c*sx - px), clipped to the image; max_pool takes its max
// (dlib's matrix max: the first value, replaced by any later one greater than
// it), avg_pool the mean of the clipped window (padding does not count). Max is
// exact; the average is a sum of n f32 values and a division, so within
// (n + 1) * 2^-24 * (sum |x|) / n of the float64 mean.

interface Pool {
  h: number;
  w: number;
  c: number;
  wh: number;
  ww: number;
  sy: number;
  sx: number;
  py: number;
  px: number;
}

function reference(x: Float32Array, samples: number, p: Pool, isMax: boolean) {
  const oh = outputSize(p.h, p.wh, p.sy, p.py);
  const ow = outputSize(p.w, p.ww, p.sx, p.px);
  const y = new Float64Array(samples * oh * ow * p.c);
  const bound = new Float64Array(y.length);
  for (let n = 0; n < samples; n++) {
    for (let r = 0; r < oh; r++) {
      for (let col = 0; col < ow; col++) {
        const r0 = Math.max(r * p.sy - p.py, 0),
          r1 = Math.min(r * p.sy - p.py + p.wh, p.h);
        const c0 = Math.max(col * p.sx - p.px, 0),
          c1 = Math.min(col * p.sx - p.px + p.ww, p.w);
        const count = (r1 - r0) * (c1 - c0);
        for (let ch = 0; ch < p.c; ch++) {
          let acc = isMax ? x[((n * p.h + r0) * p.w + c0) * p.c + ch] : 0;
          let abs = 0;
          for (let i = r0; i < r1; i++) {
            for (let j = c0; j < c1; j++) {
              const v = x[((n * p.h + i) * p.w + j) * p.c + ch];
              // biome-ignore lint/complexity/useMathMinMax: dlib's max, which Math.max is not for signed zeros and NaN
              acc = isMax ? (v > acc ? v : acc) : acc + v;
              abs += Math.abs(v);
            }
          }
          const at = ((n * oh + r) * ow + col) * p.c + ch;
          y[at] = isMax ? acc : acc / count;
          bound[at] = isMax ? 0 : ((count + 1) * 2 ** -24 * abs) / count;
        }
      }
    }
  }
  return { y, bound, oh, ow };
}

const cases: Pool[] = [
  // 1-pixel inputs: a window of 1, and windows larger than the input with padding.
  { h: 1, w: 1, c: 1, wh: 1, ww: 1, sy: 1, sx: 1, py: 0, px: 0 },
  { h: 1, w: 1, c: 5, wh: 3, ww: 3, sy: 1, sx: 1, py: 1, px: 1 },
  { h: 1, w: 1, c: 7, wh: 3, ww: 3, sy: 2, sx: 2, py: 2, px: 2 },
  // The global pool (window = image), as the plan calls it.
  { h: 4, w: 5, c: 9, wh: 4, ww: 5, sy: 1, sx: 1, py: 0, px: 0 },
  { h: 1, w: 7, c: 3, wh: 1, ww: 7, sy: 1, sx: 1, py: 0, px: 0 },
  // dlib's usual max pool 3x3 stride 2 padding 1, and stride / padding extremes.
  { h: 7, w: 9, c: 3, wh: 3, ww: 3, sy: 2, sx: 2, py: 1, px: 1 },
  { h: 8, w: 8, c: 4, wh: 2, ww: 2, sy: 2, sx: 2, py: 0, px: 0 },
  { h: 5, w: 6, c: 13, wh: 5, ww: 2, sy: 5, sx: 1, py: 4, px: 1 },
  { h: 3, w: 3, c: 2, wh: 6, ww: 5, sy: 1, sx: 3, py: 5, px: 4 },
  { h: 6, w: 5, c: 8, wh: 4, ww: 3, sy: 3, sx: 2, py: 0, px: 2 },
  { h: 9, w: 2, c: 17, wh: 3, ww: 3, sy: 1, sx: 1, py: 2, px: 2 },
  // Channels in passes of four vectors, then single vectors, then floats (the face model's 3x3/2 max pool: 32).
  { h: 9, w: 8, c: 32, wh: 3, ww: 3, sy: 2, sx: 2, py: 0, px: 0 },
  { h: 5, w: 7, c: 39, wh: 3, ww: 2, sy: 2, sx: 1, py: 1, px: 1 },
];

describe.each(KERNEL_BUILDS)('f32_pool2d_nhwc (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  describe.each([true, false])('max %s', (isMax) => {
    it.each(cases)('$h x $w x $c, window $wh x $ww, stride $sy,$sx, padding $py,$px, 2 samples', (p) => {
      const samples = 2;
      const x = floats(samples * p.h * p.w * p.c, random(p.h * 97 + p.w * 13 + p.c + p.wh));
      const { y: expected, bound, oh, ow } = reference(x, samples, p, isMax);
      const xAt = h.f32(x);
      const y = h.alloc(expected.length * 4);
      const pixels = samples * oh * ow;
      const call = (start: number, end: number) =>
        h.k.f32_pool2d_nhwc__simd128(xAt, p.h, p.w, p.c, p.wh, p.ww, p.sy, p.sx, p.py, p.px, oh, ow, y, isMax, start, end);
      call(0, pixels);
      const whole = h.readF32(y, expected.length);
      expectWithin(whole, expected, (i) => bound[i]);
      h.expectGuardsIntact();
      // Any split of the pixels gives the same bits.
      new Float32Array(h.memory.buffer, y, expected.length).fill(Number.NaN);
      const split = Math.floor(pixels / 2) + 1;
      call(split - 1, pixels);
      call(0, split - 1);
      expectExact(h.readF32(y, expected.length), whole);
    });
  });

  // Where Math.max differs from dlib's max: equal zeros keep the first one's sign, a NaN counts only in first place.
  it.each([
    { values: [-0, 0, 0, -0], expected: -0 },
    { values: [0, -0, -0, 0], expected: 0 },
    { values: [1, Number.NaN, 2, 0.5], expected: 2 },
    { values: [Number.NaN, 3, 2, 1], expected: Number.NaN },
  ])('max of a 2x2 window of $values is $expected, in every channel', ({ values, expected }) => {
    // 2x2 pixels of 21 channels (a pass of four vectors, a vector and a float), each channel holding the values.
    const c = 21;
    const xAt = h.f32(values.flatMap((v) => Array<number>(c).fill(v)));
    const y = h.alloc(c * 4);
    h.k.f32_pool2d_nhwc__simd128(xAt, 2, 2, c, 2, 2, 2, 2, 0, 0, 1, 1, y, true, 0, 1);
    for (const v of h.readF32(y, c)) expect(Object.is(v, expected)).toBe(true);
  });
});
