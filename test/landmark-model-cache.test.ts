import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { entryDataStart } from '../src/cli/cache-entry.js';
import { cacheFolder } from '../src/cli/cache-folder.js';
import { loadLandmarkModel, openLandmarkModel, sharedLandmarkModel } from '../src/cli/landmark-model-cache.js';
import { DatFormatError } from '../src/index.js';
import { RESERVED_BYTES } from '../src/memory-layout.js';
import { faceFixtures, LANDMARK_MODEL_68, landmarkModel68Bytes, photo } from './support/face-fixtures.js';

/** The model as the locate workers get it: laid out in a shared kernel memory, its trees from RESERVED_BYTES on. */
const readLandmarkModel = async (file: string, folder: string) => {
  const shared = await sharedLandmarkModel(await openLandmarkModel(file, folder), 2);
  return { ...shared, trees: new Uint8Array(shared.memory.buffer, RESERVED_BYTES, shared.end - RESERVED_BYTES) };
};

const made: string[] = [];
const temporary = (what: string) => {
  made.push(mkdtempSync(join(tmpdir(), `dlib-wasm-${what}-`)));
  return made.at(-1)!;
};
// A copy of the 100 MB model and its 65 MB entries: not left behind.
afterAll(() => {
  for (const folder of made) rmSync(folder, { recursive: true, force: true });
});

describe("the CLI's cache of large landmark models", () => {
  it('is in $XDG_CACHE_HOME/dlib-wasm, else ~/.cache/dlib-wasm, and none with DLIB_WASM_CACHE=off', () => {
    expect(cacheFolder({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/dlib-wasm');
    expect(cacheFolder({})).toMatch(/\/\.cache\/dlib-wasm$/);
    expect(cacheFolder({ XDG_CACHE_HOME: '/x/cache', DLIB_WASM_CACHE: 'off' })).toBeUndefined();
  });

  it("gives dlib's 68-point model laid out as read, from this very file only, and reads a damaged entry's model again", async () => {
    landmarkModel68Bytes(); // missing, it fails saying how to install it
    const folder = join(temporary('cache'), 'dlib-wasm');
    const model = join(temporary('model'), 'landmarks.dat');
    copyFileSync(LANDMARK_MODEL_68, model);
    // A time in whole seconds, which utimes sets back exactly.
    const mtime = new Date(1_700_000_000_000);
    utimesSync(model, mtime, mtime);

    const parsed = await readLandmarkModel(model, folder);
    const entries = readdirSync(folder);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/^[0-9a-f]{16}-[0-9a-f]{64}\.landmarks$/);
    const entry = join(folder, entries[0]);
    // Smaller than the file: its trees as laid out, not dlib's encoding.
    const entrySize = statSync(entry).size;
    expect(entrySize).toBeLessThan(0.7 * statSync(model).size);

    // The file's bytes zeroed, its size and time kept: only the entry can give the model now.
    writeFileSync(model, new Uint8Array(statSync(model).size));
    utimesSync(model, mtime, mtime);
    const cached = await readLandmarkModel(model, folder);
    expect(Buffer.from(cached.trees).equals(Buffer.from(parsed.trees))).toBe(true);
    expect(cached.initialShape).toEqual(parsed.initialShape);
    expect(cached.levels).toEqual(parsed.levels);
    // Its small arrays are their own, not views of the entry: posting it to a worker copies no 65 MB.
    for (const { anchors, deltas } of cached.levels) {
      expect([anchors.buffer.byteLength, deltas.buffer.byteLength]).toEqual([anchors.byteLength, deltas.byteLength]);
    }

    // Changed since (a new time): read again, not taken from the old entry.
    utimesSync(model, new Date(mtime.getTime() + 5000), new Date(mtime.getTime() + 5000));
    await expect(readLandmarkModel(model, folder)).rejects.toThrow(DatFormatError);

    // An entry of an earlier release (named by its key alone) and another file's entry, beside this file's.
    const earlierRelease = `${'0'.repeat(64)}.landmarks`;
    const otherFile = `${'f'.repeat(16)}-${'0'.repeat(64)}.landmarks`;
    for (const name of [earlierRelease, otherFile]) writeFileSync(join(folder, name), 'entry');

    // A damaged entry (a split reading a feature pixel the level does not have, then a cut one) is read again.
    copyFileSync(LANDMARK_MODEL_68, model);
    const fresh = await readLandmarkModel(model, folder);
    // The file's new entry replaces its old one and the earlier release's; another file's stays.
    expect(readdirSync(folder).filter((name) => name !== otherFile)).toHaveLength(1);
    expect(readdirSync(folder)).not.toContain(entries[0]);
    const [newEntry] = readdirSync(folder).filter((name) => name !== otherFile);
    const bytes = readFileSync(join(folder, newEntry));
    const treesStart = entryDataStart(bytes.readUInt32LE(0));
    // The trees as laid out in kernel memory from RESERVED_BYTES on: the 18th split's first feature pixel's byte offset.
    bytes.writeInt32LE(4 * 0xffff, treesStart + fresh.levels[3].splitFeatureBytes - RESERVED_BYTES + 8 * 17);
    writeFileSync(join(folder, newEntry), bytes);
    const afterDamage = await readLandmarkModel(model, folder);
    expect(Buffer.from(afterDamage.trees).equals(Buffer.from(fresh.trees))).toBe(true);
    expect(Buffer.from(fresh.trees).equals(Buffer.from(parsed.trees))).toBe(true);
    writeFileSync(join(folder, newEntry), bytes.subarray(0, bytes.length >> 1));
    expect(Buffer.from((await readLandmarkModel(model, folder)).trees).equals(Buffer.from(fresh.trees))).toBe(true);
    // Rewritten whole each time, and no temporary file left.
    expect(readdirSync(folder).sort()).toEqual([newEntry, otherFile].sort());
    expect(statSync(join(folder, newEntry)).size).toBe(entrySize);
  }, 60_000);

  it("loads a predictor on this thread with the entry's trees read straight into its memory; a damaged entry's model is read again", async () => {
    landmarkModel68Bytes(); // missing, it fails saying how to install it
    const folder = join(temporary('cache'), 'dlib-wasm');
    const model = join(temporary('model'), 'landmarks.dat');
    copyFileSync(LANDMARK_MODEL_68, model);
    const faces = faceFixtures('faces').slice(0, 3);
    const expectLandmarks = async (source: Parameters<typeof loadLandmarkModel>[0]) => {
      const predictor = await loadLandmarkModel(source);
      for (const face of faces) expect(predictor.predict(await photo(face.image), face.detection.rect), face.id).toEqual(face.landmarks);
    };

    // The first run reads the model and writes its entry; the next finds the entry, its trees not read yet.
    const first = await openLandmarkModel(model, folder);
    if (!('read' in first)) throw new Error('an entry found before any was written');
    await expectLandmarks(first);
    const [entryName] = readdirSync(folder);
    const entryBytes = readFileSync(join(folder, entryName));
    const second = await openLandmarkModel(model, folder);
    if (!('entry' in second)) throw new Error('no cache entry found');
    expect(second.entry.treesAt + second.entry.treesLength).toBe(entryBytes.length);
    await expectLandmarks(second);

    // A split reading a feature pixel its level does not have: the model is read again and its entry rewritten.
    const damaged = Buffer.from(entryBytes);
    const level = second.entry.sizes.levels[2];
    const { levels: placed } = await sharedLandmarkModel(second, 1);
    damaged.writeInt32LE(4 * level.anchors.length, second.entry.treesAt + placed[2].splitFeatureBytes - RESERVED_BYTES);
    writeFileSync(join(folder, entryName), damaged);
    await expectLandmarks(await openLandmarkModel(model, folder));
    expect(readFileSync(join(folder, entryName)).equals(entryBytes)).toBe(true);
  }, 60_000);

  it('reads a small model (the bundled 5-point one) each time, and writes nothing', async () => {
    const folder = join(temporary('cache'), 'dlib-wasm');
    const packed = await readLandmarkModel('models/shape_predictor_5_face_landmarks_lfw.dat', folder);
    expect(packed.initialShape).toHaveLength(10);
    expect(() => readdirSync(folder)).toThrow(/ENOENT/);
  });
});
