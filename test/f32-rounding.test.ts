import { describe, expect, it } from 'vitest';
import { leastF32AtLeast } from '../src/math/f32-rounding.js';

describe('leastF32AtLeast', () => {
  const f32 = (x: number) => Math.fround(x);
  const next = (x: number, step: number) => {
    const bits = new Int32Array(new Float32Array([x]).buffer);
    bits[0] += step;
    return new Float32Array(bits.buffer)[0];
  };

  it('is x itself when x is an f32', () => {
    for (const x of [0, -0, 1, -1, 3.5, f32(0.1), -f32(3.2745), 2 ** -149, f32(3.4e38)]) expect(leastF32AtLeast(x)).toBe(x);
  });

  it('is the next f32 up when x lies between two, on either side of zero', () => {
    for (const x of [0.1, 3.2745, -3.2745, -0.1, 1e-46, -1e-46, 1 + 2 ** -30, -1 - 2 ** -30]) {
      const least = leastF32AtLeast(x);
      expect(least, `${x}`).toBeGreaterThan(x);
      expect(Math.fround(least), `${x}`).toBe(least);
      // The f32 just below it is below x.
      const below = least > 0 ? next(least, -1) : least < 0 ? next(least, 1) : -(2 ** -149);
      expect(below, `${x}`).toBeLessThan(x);
    }
    expect(leastF32AtLeast(1e-46)).toBe(2 ** -149);
    expect(Math.abs(leastF32AtLeast(-1e-46))).toBe(0);
  });
});
