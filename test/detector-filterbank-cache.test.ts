import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
