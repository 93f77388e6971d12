import { beforeAll, beforeEach, describe, it } from 'vitest';
import { expectExact, expectWithin, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, outputSize, random } from '../support/reference-conv.js';

// f32_tap_sum_nhwc (each output's taps added from a 1x1 convolution to every
// tap) against float64 sums: the vector path (4 outputs whose taps all lie
// inside), the outputs one at a time near the edges, strides, and work ranges.
// Bound: |error| <= n * 2^-23 * sum |terms| with n = taps + 1.

const U = 2 ** -23;

interface Case {
  hw: [number, number];
  outputs: number;
  size: [number, number];
  stride: number;
  pad: [number, number];
}

describe.each(KERNEL_BUILDS)('f32_tap_sum_nhwc (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  function setup(cc: Case) {
    const [hh, ww] = cc.hw;
    const [kh, kw] = cc.size;
    const next = random(hh * 100 + ww * 10 + kh + cc.outputs);
    const batch = 2;
    // Taps in whole blocks of 8, as the igemm writes them; the padding channels hold values the sum must not read.
    const zChannels = Math.ceil((cc.outputs * kh * kw) / 8) * 8;
    const z = floats(batch * hh * ww * zChannels, next);
    const bias = floats(cc.outputs, next);
    const oh = outputSize(hh, kh, cc.stride, cc.pad[0]);
    const ow = outputSize(ww, kw, cc.stride, cc.pad[1]);
    const rows = batch * oh;
    const expected = new Float64Array(rows * ow * cc.outputs);
    const magnitude = new Float64Array(expected.length);
    for (let s = 0; s < batch; s++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          for (let n = 0; n < cc.outputs; n++) {
            let sum = bias[n];
            let abs = Math.abs(bias[n]);
            for (let ky = 0; ky < kh; ky++) {
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * cc.stride - cc.pad[0] + ky;
                const ix = ox * cc.stride - cc.pad[1] + kx;
                if (iy < 0 || iy >= hh || ix < 0 || ix >= ww) continue;
                const v = z[((s * hh + iy) * ww + ix) * zChannels + (n * kh + ky) * kw + kx];
                sum += v;
                abs += Math.abs(v);
              }
            }
            const at = ((s * oh + oy) * ow + ox) * cc.outputs + n;
            expected[at] = sum;
            magnitude[at] = abs;
          }
        }
      }
    }
    const g = { z: h.f32(z), bias: h.f32(bias), y: h.alloc(expected.length * 4) };
    const run = (relu: boolean, range: [number, number]) =>
      h.k.f32_tap_sum_nhwc__simd128(
        g.z,
        hh,
        ww,
        zChannels,
        kh,
        kw,
        cc.stride,
        cc.stride,
        cc.pad[0],
        cc.pad[1],
        g.bias,
        g.y,
        oh,
        ow,
        cc.outputs,
        relu,
        ...range,
      );
    const n = kh * kw + 1;
    return { g, rows, count: expected.length, run, expected, bound: (i: number) => n * U * magnitude[i] };
  }

  const cases: Case[] = [
    // The face detector's last layer, on a small input: vectors in the middle of each row, single outputs at its ends.
    { hw: [11, 17], outputs: 1, size: [9, 9], stride: 1, pad: [4, 4] },
    // Two outputs, a kernel wider than high, no padding (every output in the vector path but a row's last few).
    { hw: [6, 13], outputs: 2, size: [3, 5], stride: 1, pad: [0, 0] },
    // Stride 2: a vector's lanes 2 pixels apart.
    { hw: [9, 23], outputs: 1, size: [5, 5], stride: 2, pad: [2, 2] },
    // Narrower than the kernel: no output in the vector path.
    { hw: [4, 3], outputs: 1, size: [5, 5], stride: 1, pad: [2, 2] },
  ];
  it.each(cases)('$hw, $outputs outputs, kernel $size, stride $stride, padding $pad, 2 samples, ReLU or none', (cc) => {
    for (const relu of [false, true]) {
      h.reset();
      const { g, rows, count, run, expected, bound } = setup(cc);
      run(relu, [0, rows]);
      const want = relu ? expected.map((v) => Math.max(0, v)) : expected;
      expectWithin(h.readF32(g.y, count), want, bound, `relu=${relu}`);
      h.expectGuardsIntact();
    }
  });

  it('work ranges that split the rows anywhere give the one-range result bit for bit', () => {
    const { g, rows, count, run } = setup(cases[0]);
    run(true, [0, rows]);
    const whole = h.readF32(g.y, count);
    for (const split of [1, 7, 11, rows - 1]) {
      new Float32Array(h.memory.buffer, g.y, count).fill(Number.NaN);
      run(true, [0, split]);
      run(true, [split, rows]);
      expectExact(h.readF32(g.y, count), whole, `rows split at ${split}`);
    }
    h.expectGuardsIntact();
  });
});
