import { InputError } from '../errors.js';
import { describeValue } from './describe-value.js';

/** dlib's threshold: two descriptors closer than this are the same person. */
export const SAME_PERSON_THRESHOLD = 0.6;

/** Whether `value` can be read as a descriptor: an array or typed array (anything indexed with a length). */
export function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { length?: unknown }).length === 'number';
}

/**
 * Euclidean distance between two descriptors, in float32 as dlib's
 * `length(a - b)` computes it on its float descriptors (values are read as
 * float32), so that comparisons with 0.6 decide as dlib's do.
 */
export function descriptorDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (!isArrayLike(a) || !isArrayLike(b)) {
    throw new InputError(`descriptorDistance takes two descriptors (Float32Array or number[]), got ${describeValue(a)} and ${describeValue(b)}`);
  }
  if (a.length !== b.length) throw new InputError(`descriptorDistance: the descriptors differ in length: ${a.length} and ${b.length}`);
  const f = Math.fround;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = f(f(a[i]) - f(b[i]));
    sum = f(sum + f(d * d));
  }
  const distance = f(Math.sqrt(sum));
  // Only a non-finite result needs a look at the values: the loop stays free of checks.
  if (!Number.isFinite(distance)) throwOnNonFinite(a, b);
  return distance;
}

/** Names the first value of a or b that is not a finite float32, if any (else the sum just overflowed). */
function throwOnNonFinite(a: ArrayLike<number>, b: ArrayLike<number>): void {
  for (const [name, values] of [['a', a], ['b', b]] as const) {
    for (let i = 0; i < values.length; i++) {
      if (typeof values[i] !== 'number' || !Number.isFinite(Math.fround(values[i]))) {
        throw new InputError(`descriptorDistance: ${name}[${i}] is ${describeValue(values[i])}, not a finite float32`);
      }
    }
  }
}
