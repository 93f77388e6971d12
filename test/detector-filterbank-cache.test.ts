import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keepFilterbank, openFilterbankCache } from '../src/cli/detector-filterbank-cache.js';
import { loadFrontalFaceDetector } from '../src/index.js';

const model = 'models/frontal_face_detector.dat';
const folder = mkdtempSync(join(tmpdir(), 'dlib-wasm-filterbank-cache-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("the CLI's cache of the HOG detector's filterbank", () => {
  it('gives back the filterbank kept for this file and build, and none for another build or a cut entry', async () => {
    const detector = await loadFrontalFaceDetector(readFileSync(model), { threads: 1 });
    const first = await openFilterbankCache(model, { cacheFolder: folder, build: 'build 1' });
    expect(first.terms).toBeUndefined();
    await keepFilterbank(first.entry!, detector.filterbank);
    const [entry] = readdirSync(folder);
    expect(entry).toMatch(/^[0-9a-f]{16}-[0-9a-f]{64}\.filterbank$/);
    const second = await openFilterbankCache(model, { cacheFolder: folder, build: 'build 1' });
    expect(second.terms).toEqual(detector.filterbank);
    expect((await openFilterbankCache(model, { cacheFolder: folder, build: 'build 2' })).terms).toBeUndefined();
    truncateSync(join(folder, entry), 4000);
    expect((await openFilterbankCache(model, { cacheFolder: folder, build: 'build 1' })).terms).toBeUndefined();
    expect(await openFilterbankCache(model, { cacheFolder: folder, build: undefined })).toEqual({});
    detector.dispose();
  });

  it("removes a killed run's temporary files once they are old, never one another run may still be writing", async () => {
    const cacheFolder = mkdtempSync(join(tmpdir(), 'dlib-wasm-filterbank-leftovers-'));
    try {
      const detector = await loadFrontalFaceDetector(readFileSync(model), { threads: 1 });
      const { entry } = await openFilterbankCache(model, { cacheFolder, build: 'build 1' });
      const key = '0'.repeat(64);
      const old = `${entry!.ofModel}${key}.filterbank.${'a'.repeat(12)}.tmp`;
      const fresh = `${entry!.ofModel}${key}.filterbank.${'b'.repeat(12)}.tmp`;
      const earlierRelease = `${key}.filterbank.${'c'.repeat(12)}.tmp`;
      const otherFile = `${'f'.repeat(16)}-${key}.filterbank.${'d'.repeat(12)}.tmp`;
      // Left by runs killed before their rename an hour ago, but `fresh` is as another run's write under way now.
      const anHourAgo = new Date(Date.now() - 3_600_000);
      for (const name of [old, fresh, earlierRelease, otherFile]) writeFileSync(join(cacheFolder, name), 'part of an entry');
      for (const name of [old, earlierRelease, otherFile]) utimesSync(join(cacheFolder, name), anHourAgo, anHourAgo);
      await keepFilterbank(entry!, detector.filterbank);
      expect(readdirSync(cacheFolder).sort()).toEqual([basename(entry!.file), fresh, otherFile].sort());
      detector.dispose();
    } finally {
      rmSync(cacheFolder, { recursive: true, force: true });
    }
  });
});
