/**
 * `npm run test:quick` runs the Node parity and unit tests on a sample of the reference cases
 * (vitest's mode `quick`); `npm test` runs every case, in every runtime.
 */
export const QUICK = process.env.DLIB_WASM_TEST_MODE === 'quick';

/** Every case in the full suite; in the quick one, `count` of them spread evenly, the first and last included. */
export function sampled<T>(cases: T[], count = 3): T[] {
  if (!QUICK || cases.length <= count) return cases;
  return Array.from({ length: count }, (_, i) => cases[Math.round((i * (cases.length - 1)) / (count - 1))]);
}
