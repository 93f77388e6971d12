import { beforeAll, beforeEach, describe, it } from 'vitest';
import { expectExact, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, random } from '../support/reference-conv.js';

// f32_add_zero_extend_nhwc against dlib's add_prev on tensors of different
// shapes (tt::add in cpu_dlib.cpp): the output has the larger of each
// dimension, and where only one input has a value the other counts as zero.
// One f32 addition per value (and ReLU), so exact.

type Dims = [number, number, number];

function reference(a: Float32Array, ad: Dims, b: Float32Array, bd: Dims, samples: number, relu: boolean): { y: Float32Array; yd: Dims } {
  const yd = [0, 1, 2].map((i) => Math.max(ad[i], bd[i])) as Dims;
  const y = new Float32Array(samples * yd[0] * yd[1] * yd[2]);
  const at = (d: Dims, n: number, r: number, c: number, k: number) =>
    r < d[0] && c < d[1] && k < d[2] ? ((n * d[0] + r) * d[1] + c) * d[2] + k : -1;
  for (let n = 0; n < samples; n++) {
    for (let r = 0; r < yd[0]; r++) {
      for (let c = 0; c < yd[1]; c++) {
        for (let k = 0; k < yd[2]; k++) {
          const i = at(ad, n, r, c, k);
          const j = at(bd, n, r, c, k);
          const v = Math.fround((i < 0 ? 0 : a[i]) + (j < 0 ? 0 : b[j]));
          y[((n * yd[0] + r) * yd[1] + c) * yd[2] + k] = relu ? Math.max(v, 0) : v;
        }
      }
    }
  }
  return { y, yd };
}

const cases: { a: Dims; b: Dims }[] = [
  { a: [1, 1, 1], b: [1, 1, 1] },
  { a: [3, 5, 7], b: [3, 5, 7] },
  { a: [2, 2, 16], b: [2, 2, 16] },
  { a: [1, 1, 3], b: [1, 1, 8] },
  { a: [4, 4, 5], b: [4, 4, 2] },
  { a: [5, 3, 4], b: [2, 3, 4] },
  { a: [3, 2, 6], b: [3, 5, 6] },
  { a: [2, 7, 9], b: [4, 3, 13] },
  { a: [1, 1, 1], b: [3, 3, 5] },
  // The channels of one input only, in vectors (a projection shortcut: 32 -> 64 channels in the face model).
  { a: [3, 3, 16], b: [3, 3, 8] },
  { a: [2, 3, 4], b: [2, 3, 14] },
  { a: [3, 4, 8], b: [2, 2, 4] },
  { a: [2, 2, 6], b: [2, 2, 17] },
];

describe.each(KERNEL_BUILDS)('f32_add_zero_extend_nhwc (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  it.each(cases)('a $a + b $b (rows, cols, channels), 2 samples, ReLU on and off, split and in place', ({ a: ad, b: bd }) => {
    const samples = 2;
    const next = random(((ad[0] * 10 + ad[1]) * 10 + ad[2]) * 1000 + (bd[0] * 10 + bd[1]) * 10 + bd[2]);
    const a = floats(samples * ad[0] * ad[1] * ad[2], next);
    const b = floats(samples * bd[0] * bd[1] * bd[2], next);
    for (const relu of [false, true]) {
      h.reset();
      const { y: expected, yd } = reference(a, ad, b, bd, samples, relu);
      const aAt = h.f32(a);
      const bAt = h.f32(b);
      const y = h.alloc(expected.length * 4);
      const pixels = samples * yd[0] * yd[1];
      const call = (out: number, start: number, end: number) =>
        h.k.f32_add_zero_extend_nhwc__simd128(aAt, ...ad, bAt, ...bd, out, ...yd, relu, start, end);
      const split = Math.floor(pixels / 2) + 1;
      call(y, split - 1, pixels);
      call(y, 0, split - 1);
      expectExact(h.readF32(y, expected.length), expected, `relu=${relu}`);
      h.expectGuardsIntact();
      // In place: y is the buffer of whichever input has y's shape.
      const sameAsY = [aAt, bAt].find((_, i) => [ad, bd][i].every((d, k) => d === yd[k]));
      if (sameAsY !== undefined) {
        call(sameAsY, 0, pixels);
        expectExact(h.readF32(sameAsY, expected.length), expected, 'in place');
      }
    }
  });
});
