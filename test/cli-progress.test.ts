import { describe, expect, it } from 'vitest';
import { Progress } from '../src/cli/progress.js';

/** A Progress on a fake stderr and clock: what it writes as photos are done at given seconds. */
function written(isTTY: boolean, quiet: boolean, updates: [seconds: number, done: number, faces: number][]): string[] {
  const chunks: string[] = [];
  let now = 0;
  const progress = new Progress(4, quiet, { isTTY, write: (chunk: string) => chunks.push(chunk) > 0 }, () => now);
  for (const [seconds, done, faces] of updates) {
    now = seconds * 1000;
    progress.update(done, faces);
  }
  return chunks;
}

describe('cluster progress', () => {
  const run: [number, number, number][] = [
    [1, 1, 1],
    [2, 2, 3],
    [6.5, 3, 4],
    [8, 4, 4],
  ];

  it('off a terminal: a plain line after the first photo, then every 5 s, and after the last', () => {
    expect(written(false, false, run)).toEqual([
      'dlib-wasm: 1/4 photos, 1 face, 1.0 s, 1.0 photos/s\n',
      'dlib-wasm: 3/4 photos, 4 faces, 6.5 s, 0.5 photos/s\n',
      'dlib-wasm: 4/4 photos, 4 faces, 8.0 s, 0.5 photos/s\n',
    ]);
  });

  it('on a terminal: a bar redrawn in place for every photo, ended by a newline', () => {
    const chunks = written(true, false, run);
    expect(chunks).toHaveLength(4);
    expect(chunks[1]).toBe('\r[###############---------------] 2/4 photos, 3 faces, 2.0 s, 1.0 photos/s\x1b[K');
    expect(chunks[3].endsWith('\n')).toBe(true);
  });

  it('--quiet: nothing, on a terminal or not', () => {
    expect(written(false, true, run)).toEqual([]);
    expect(written(true, true, run)).toEqual([]);
  });
});
