import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { expect } from 'vitest';
import { concatBytes } from '../../src/concat-bytes.js';
import type { RgbImage } from '../../src/image.js';

export { concatBytes };

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Bytes of a file under test/fixtures/. */
export function fixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(`${root}test/fixtures/${path}`));
}

/** A text file under test/fixtures/. */
export function fixtureText(path: string): string {
  return readFileSync(`${root}test/fixtures/${path}`, 'utf8');
}

/** JSON Lines (a CLI's output, a fixture): one value a line. */
export function parseJsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

/** A JSON Lines file under test/fixtures/. */
export function fixtureJsonLines<T>(path: string): T[] {
  return parseJsonLines(fixtureText(path));
}

export function fixtureJson<T = any>(path: string): T {
  return JSON.parse(readFileSync(`${root}test/fixtures/${path}`, 'utf8')) as T;
}

/** The bundled face model's bytes. */
export function faceModelBytes(): Uint8Array {
  return new Uint8Array(readFileSync(`${root}models/dlib_face_recognition_resnet_model_v1.dat`));
}

/** A PNG under test/fixtures/ as RGBA bytes. */
export function fixturePng(path: string): RgbImage {
  const png = PNG.sync.read(Buffer.from(fixture(path)));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** max |a - b| / max |b|: the error relative to the reference's scale. */
export function relativeDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  return maxAbsDiff(actual, expected) / (scale || 1);
}

/** The error `f` throws, or undefined: for asserting an error's class and fields together. */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/**
 * Asserts that two arrays hold the same values, saying how many differ and where the first is:
 * as strict as `toEqual` on the arrays, which takes ~50 ms for one chip's bytes.
 */
export function expectSameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what = 'values'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let differing = 0;
  let first = -1;
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      differing++;
      if (first < 0) first = i;
    }
  }
  const verdict =
    differing === 0
      ? 'the same'
      : `${differing} of ${expected.length} differ, the first at ${first}: ${actual[first]} instead of ${expected[first]}`;
  expect(verdict, what).toBe('the same');
}

/** `bytes` with `remove` bytes at `at` replaced by `insert`. */
export function spliceBytes(bytes: Uint8Array, at: number, remove: number, insert: ArrayLike<number>): Uint8Array<ArrayBuffer> {
  return concatBytes(bytes.subarray(0, at), insert, bytes.subarray(at + remove));
}
