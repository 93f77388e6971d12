import { beforeAll, beforeEach, describe, it } from 'vitest';
import { expectExact, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, random } from '../support/reference-conv.js';

// f32_scale_shift_nhwc (dlib's affine and batch norm at inference: y = gamma * x
// + beta, per channel or per value) and f32_relu. Both builds multiply and add
// separately (no fused multiply-add here), so y = fround(fround(gamma * x) + beta), exactly.

const f = Math.fround;

describe.each(KERNEL_BUILDS)('f32_scale_shift_nhwc and f32_relu (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  const shapes = [
    { plane: 1, c: 1 },
    { plane: 1, c: 3 },
    { plane: 5, c: 4 },
    { plane: 3, c: 7 },
    { plane: 6, c: 9 },
    { plane: 2, c: 33 },
  ];
  describe.each([false, true])('per element %s', (perElement) => {
    it.each(shapes)('$plane pixels of $c channels, 3 samples, ReLU on and off, split, in place', ({ plane, c }) => {
      const samples = 3;
      const next = random(plane * 100 + c);
      const x = floats(samples * plane * c, next);
      const gamma = floats(perElement ? plane * c : c, next);
      const beta = floats(perElement ? plane * c : c, next);
      for (const relu of [false, true]) {
        h.reset();
        const expected = x.map((v, i) => {
          const k = perElement ? i % (plane * c) : i % c;
          const y = f(f(gamma[k] * v) + beta[k]);
          return relu ? Math.max(y, 0) : y;
        });
        const xAt = h.f32(x);
        const g = h.f32(gamma);
        const bt = h.f32(beta);
        const y = h.alloc(x.length * 4);
        const pixels = samples * plane;
        const call = (out: number, start: number, end: number) =>
          h.k.f32_scale_shift_nhwc__simd128(xAt, c, plane, g, bt, perElement, relu, out, start, end);
        call(y, 1, pixels);
        call(y, 0, 1);
        expectExact(h.readF32(y, x.length), expected, `relu=${relu}`);
        h.expectGuardsIntact();
        call(xAt, 0, pixels);
        expectExact(h.readF32(xAt, x.length), expected, `relu=${relu} in place`);
      }
    });
  });

  it.each([1, 3, 4, 5, 17, 64])('relu of %i floats, split at every place, in place', (n) => {
    const x = floats(n, random(n));
    x[0] = -0; // relu(-0) is a zero of either sign (expectExact takes -0 == 0)
    const expected = x.map((v) => Math.max(v, 0));
    const xAt = h.f32(x);
    for (let split = 0; split <= n; split++) {
      const y = h.alloc(n * 4);
      h.k.f32_relu__simd128(xAt, y, split, n);
      h.k.f32_relu__simd128(xAt, y, 0, split);
      expectExact(h.readF32(y, n), expected, `split at ${split}`);
    }
    h.k.f32_relu__simd128(xAt, xAt, 0, n);
    expectExact(h.readF32(xAt, n), expected, 'in place');
    h.expectGuardsIntact();
  });
});
