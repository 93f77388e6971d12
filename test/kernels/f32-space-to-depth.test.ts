import { beforeAll, beforeEach, describe, it } from 'vitest';
import { expectExact, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, random } from '../support/reference-conv.js';

// f32_space_to_depth_2x2_nhwc against a plain reference: pixel (Y, X) of the
// output holds input pixels (2Y + dy, 2X + dx), dy then dx, zeros past the edge.

function reference(x: Float32Array, samples: number, h: number, w: number, c: number): Float32Array {
  const oh = Math.ceil(h / 2);
  const ow = Math.ceil(w / 2);
  const y = new Float32Array(samples * oh * ow * 4 * c);
  for (let s = 0; s < samples; s++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let block = 0; block < 4; block++) {
          const iy = 2 * oy + (block >> 1);
          const ix = 2 * ox + (block & 1);
          if (iy >= h || ix >= w) continue;
          for (let ch = 0; ch < c; ch++) y[(((s * oh + oy) * ow + ox) * 4 + block) * c + ch] = x[((s * h + iy) * w + ix) * c + ch];
        }
      }
    }
  }
  return y;
}

describe.each(KERNEL_BUILDS)('f32_space_to_depth_2x2_nhwc (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  it.each([
    { hh: 1, ww: 1, c: 1 },
    { hh: 4, ww: 6, c: 3 },
    { hh: 5, ww: 7, c: 16 },
    { hh: 6, ww: 5, c: 5 },
    { hh: 3, ww: 2, c: 32 },
  ])('$hh x $ww x $c, 2 samples, whole and split by rows anywhere', ({ hh, ww, c }) => {
    const samples = 2;
    const x = floats(samples * hh * ww * c, random(hh * 100 + ww * 10 + c));
    const at = h.f32(x);
    const rows = samples * Math.ceil(hh / 2);
    const length = samples * Math.ceil(hh / 2) * Math.ceil(ww / 2) * 4 * c;
    const y = h.alloc(length * 4);
    h.k.f32_space_to_depth_2x2_nhwc(at, hh, ww, c, y, 0, rows);
    expectExact(h.readF32(y, length), reference(x, samples, hh, ww, c));
    for (let split = 1; split < rows; split++) {
      new Float32Array(h.memory.buffer, y, length).fill(Number.NaN);
      h.k.f32_space_to_depth_2x2_nhwc(at, hh, ww, c, y, split, rows);
      h.k.f32_space_to_depth_2x2_nhwc(at, hh, ww, c, y, 0, split);
      expectExact(h.readF32(y, length), reference(x, samples, hh, ww, c), `split at row ${split}`);
    }
    h.expectGuardsIntact();
  });
});
