import { InputError } from './errors.js';

/** A short account of a bad argument for an error message: `null`, `a string`, `an array of 3`, `NaN`... */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** An options argument: an object, or nothing (`{}`); anything else is an InputError naming `what`. */
export function optionsObject<T extends object>(options: T | undefined, what: string): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InputError(`${what} must be an object, got ${describeValue(options)}`);
  }
  return options;
}

/** An integer argument within [min, max], or an InputError naming it. */
export function integerArgument(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`${name} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}
