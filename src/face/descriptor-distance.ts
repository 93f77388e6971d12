import { describeValue } from '../arguments.js';
import { InputError } from '../errors.js';

/** dlib's threshold: two descriptors closer than this are the same person. */
export const SAME_PERSON_THRESHOLD = 0.6;

/** Euclidean distance in float32, as dlib's `length(a - b)`: comparisons with 0.6 decide as dlib's do. */
export function descriptorDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (typeof a?.length !== 'number' || a.length !== b?.length) {
    throw new InputError(`descriptorDistance takes two descriptors of one length, got ${shape(a)} and ${shape(b)}`);
  }
  const f = Math.fround;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = f(f(a[i]) - f(b[i]));
    sum = f(sum + f(d * d));
  }
  const distance = f(Math.sqrt(sum));
  // Only a non-finite result needs a look at the values: the loop stays free of checks.
  if (!Number.isFinite(distance)) {
    for (const values of [a, b]) {
      for (let i = 0; i < values.length; i++) {
        const value: unknown = values[i];
        if (typeof value !== 'number' || !Number.isFinite(f(value))) {
          throw new InputError(
            `descriptorDistance: ${values === a ? 'a' : 'b'}[${i}] is ${typeof value === 'number' ? value : typeof value}, not a finite float32`,
          );
        }
      }
    }
  }
  return distance;
}

function shape(value: unknown): string {
  const length = (value as { length?: unknown } | null | undefined)?.length;
  return typeof length === 'number' ? `${length} values` : value == null ? String(value) : `a ${typeof value}`;
}

/** A distance threshold or tolerance named `name`: positive and finite, or an InputError. */
export function checkDistanceThreshold(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new InputError(`${name} must be a positive finite distance (dlib's is ${SAME_PERSON_THRESHOLD}), got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Copies a descriptor's values into `target` from `at` on, as float32 as dlib's are; a value that
 * is not a finite float32 is an InputError naming it as `what[k]`.
 */
export function copyDescriptorValues(values: ArrayLike<unknown>, target: Float32Array, at: number, what: string): void {
  for (let k = 0; k < values.length; k++) {
    const value = values[k];
    target[at + k] = value as number;
    if (typeof value !== 'number' || !Number.isFinite(target[at + k])) {
      throw new InputError(`${what}[${k}] is ${describeValue(value)}, not a finite float32`);
    }
  }
}
