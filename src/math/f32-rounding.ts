/**
 * The least f32 at or above x (a finite number): an f32 value v is >= x
 * exactly when v >= leastF32AtLeast(x), so a comparison with a float64
 * threshold can run in f32.
 */
export function leastF32AtLeast(x: number): number {
  const rounded = new Float32Array([x]);
  if (rounded[0] >= x) return rounded[0];
  // Rounded down: one step up, away from zero for a positive value, towards it for a negative one.
  const bits = new Int32Array(rounded.buffer);
  if (rounded[0] > 0) bits[0]++;
  else if (rounded[0] === 0) rounded[0] = 2 ** -149;
  else bits[0]--;
  return rounded[0];
}
