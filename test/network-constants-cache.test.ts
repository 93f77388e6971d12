import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryDataStart } from '../src/cli/cache-entry.js';
import { openNetworkConstantsCache } from '../src/cli/network-constants-cache.js';
import { loadRecognitionModel } from '../src/cli/pipeline-models.js';
import { type FaceRecognitionModel, InputError, loadFaceRecognitionModel, type PlacedConstantsImage } from '../src/index.js';
import { runCli } from './support/cli.js';
import { expectSameValues, faceModelBytes, fixtureJson, fixturePng } from './support/helpers.js';

const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
const chips = () => items.slice(0, 3).map((item) => fixturePng(item.chip));
const made: string[] = [];
afterAll(() => {
  for (const folder of made) rmSync(folder, { recursive: true, force: true });
});

describe("a network's placed constants, taken back instead of packed again (the CLI's cache of them)", () => {
  let packed: FaceRecognitionModel;
  let expected: Float32Array[];
  let placed: ReturnType<FaceRecognitionModel['network']['placedConstants']>;
  beforeAll(async () => {
    packed = await loadFaceRecognitionModel(faceModelBytes(), { threads: 1 });
    expected = await packed.computeFaceDescriptors(chips());
    placed = packed.network.placedConstants();
  });
  afterAll(() => packed.dispose());

  const image = (write: PlacedConstantsImage['write'], changes: Partial<PlacedConstantsImage> = {}): PlacedConstantsImage => ({
    entries: placed.entries,
    batchSize: packed.network.batchSize,
    relaxedSimd: packed.network.backend.relaxedSimd,
    write,
    ...changes,
  });
  const describeWith = async (constants: PlacedConstantsImage) => {
    const model = await loadFaceRecognitionModel(faceModelBytes(), { threads: 1, constants });
    try {
      return await model.computeFaceDescriptors(chips());
    } finally {
      model.dispose();
    }
  };

  it('gives the same descriptors from the image, and takes it as it is: an image of zeros is not packed over', async () => {
    // Every weight and table: the image holds all the plan uses.
    expect(placed.entries.length).toBeGreaterThan(50);
    expect(placed.memory.length).toBeGreaterThan(20 * 2 ** 20);
    const fromImage = await describeWith(
      image(async (memory) => {
        memory.set(placed.memory);
        return true;
      }),
    );
    fromImage.forEach((descriptor, i) => expectSameValues(descriptor, expected[i], `chip ${i}`));
    const zeros = await describeWith(image(async () => true));
    expect(zeros[0].some((value, i) => value !== expected[0][i])).toBe(true);
  });

  it('packs the weights again where the image was not written whole, or is for another batch size or kernel build', async () => {
    const unwritten = await describeWith(
      image(async (memory) => {
        memory.fill(7);
        return false;
      }),
    );
    expectSameValues(unwritten[0], expected[0], 'written in part');
    let asked = false;
    const ask = async () => (asked = true);
    for (const changes of [{ batchSize: 4 }, { relaxedSimd: !packed.network.backend.relaxedSimd }]) {
      expectSameValues((await describeWith(image(ask, changes)))[0], expected[0], JSON.stringify(changes));
    }
    expect(asked).toBe(false);
  });

  it("takes nothing of an image whose entry for one of the plan's constants has another size (a damaged header): packed instead, or refused where it must be whole", async () => {
    const zeros = async () => true;
    const middle = placed.entries.length >> 1;
    const damagedAt = (at: number, bytes: number) => placed.entries.map((entry, i) => (i === at ? { ...entry, bytes } : entry));
    const { key, bytes: planned } = placed.entries[middle];
    for (const bytes of [planned / 2, planned * 2]) {
      const damaged = image(zeros, { entries: damagedAt(middle, bytes) });
      // Not one constant of zeros taken: every one packed from the weights.
      expectSameValues((await describeWith(damaged))[0], expected[0], `${key} of ${bytes} bytes`);
      await expect(loadFaceRecognitionModel(faceModelBytes(), { threads: 1, constants: { ...damaged, complete: true } })).rejects.toThrow(
        InputError,
      );
    }
    // Another size for the last constant too: checked before the first is taken.
    const last = placed.entries.length - 1;
    const lastDamaged = image(zeros, { entries: damagedAt(last, placed.entries[last].bytes + 64) });
    expectSameValues((await describeWith(lastDamaged))[0], expected[0], `${placed.entries[last].key} longer`);
  });
});

describe("the CLI's cache of the face network: its constants and outline, the model file not read on a hit", () => {
  let expected: Float32Array[];
  let threshold: number;
  let folder: string;
  let model: string;
  let cache: string;
  // A whole second: what utimes sets is what stat gives back, so that the entry's key stays.
  const mtime = new Date(Date.UTC(2024, 0, 1));
  beforeAll(async () => {
    const cold = await loadFaceRecognitionModel(faceModelBytes(), { threads: 1 });
    expected = await cold.computeFaceDescriptors(chips());
    threshold = cold.distanceThreshold;
    cold.dispose();
    folder = mkdtempSync(join(tmpdir(), 'dlib-wasm-network-cache-'));
    made.push(folder);
    model = join(folder, 'face.dat');
    cache = join(folder, 'cache');
  });
  /** The model file as it was: dlib's, with the same time (and inode: written in place). */
  const restoreModel = (bytes: Uint8Array = faceModelBytes()) => {
    writeFileSync(model, bytes);
    utimesSync(model, mtime, mtime);
  };
  const entryFile = () => {
    const names = readdirSync(cache);
    expect(names).toHaveLength(1);
    return join(cache, names[0]);
  };
  /** Loads as the CLI does; gives whether the network came from the cache, having checked its descriptors against a cold load's. */
  const load = async (build: string) => {
    const { model: loaded, kept } = await loadRecognitionModel(model, 1, { cacheFolder: cache, build });
    await kept;
    try {
      const descriptors = await loaded.computeFaceDescriptors(chips());
      descriptors.forEach((descriptor, i) => expectSameValues(descriptor, expected[i], `chip ${i}`));
      expect(loaded.distanceThreshold).toBe(threshold);
      const fromCache = loaded.network.description.layers.some((layer) => layer.kind === 'con' && layer.filters.length === 0);
      // Without its weights, the network packs nothing more: the layers' own plan is refused, not made of no values.
      if (fromCache) await expect(loaded.network.layerOutputs(chips()[0])).rejects.toThrow(InputError);
      return fromCache;
    } finally {
      loaded.dispose();
    }
  };
  /** Rewrites the entry's header (4-byte length, JSON, the data from entryDataStart), its data as they were. */
  const rewriteHeader = (change: (header: { entries: { key: string; bytes: number }[]; network: { layers: unknown[] } }) => void) => {
    const file = entryFile();
    const bytes = readFileSync(file);
    const length = bytes.readUInt32LE(0);
    const header = JSON.parse(bytes.subarray(4, 4 + length).toString());
    change(header);
    const json = Buffer.from(JSON.stringify(header));
    const head = Buffer.alloc(entryDataStart(json.length));
    head.writeUInt32LE(json.length, 0);
    json.copy(head, 4);
    writeFileSync(file, Buffer.concat([head, bytes.subarray(entryDataStart(length))]));
  };

  it('written once per model file and build; a hit gives the same descriptors without reading the model file', async () => {
    restoreModel();
    expect(await load('build 1')).toBe(false);
    const entry = entryFile();
    expect(entry).toMatch(/[0-9a-f]{16}-(relaxed|simd)-[0-9a-f]{64}\.network$/);
    // The outline is small beside the constants: the header is not a second model file.
    expect(readFileSync(entry).readUInt32LE(0)).toBeLessThan(256 * 1024);
    // The same size, time and inode, but not a model: read, it would be a DatFormatError.
    restoreModel(new Uint8Array(faceModelBytes().length).fill(0x5a));
    expect(await load('build 1')).toBe(true);
    expect(entryFile()).toBe(entry);
    // Another build: its own entry (the model file is read again), which replaces the first.
    restoreModel();
    expect(await load('build 2')).toBe(false);
    expect(entryFile()).not.toBe(entry);
    expect(await load('build 2')).toBe(true);
    // Without a build (the CLI unbundled) nothing is cached.
    const unbuilt = await openNetworkConstantsCache(model, { cacheFolder: join(folder, 'none'), build: undefined });
    expect(await unbuilt.network({ threads: 1 })).toBeUndefined();
  }, 60_000);

  it('a damaged entry (cut short, a constant of another size, an outline not of the net) falls back to the model file and is written whole again', async () => {
    restoreModel();
    await load('build 3');
    const damages: Array<() => void> = [
      () => truncateSync(entryFile(), 1 << 20),
      () => rewriteHeader(({ entries }) => (entries[3].bytes -= 64)),
      () => rewriteHeader(({ network }) => network.layers.splice(4, 1)),
      () => rewriteHeader((header) => delete (header as Partial<typeof header>).network),
    ];
    for (const damage of damages) {
      damage();
      expect(await load('build 3')).toBe(false);
      expect(await load('build 3')).toBe(true);
    }
  }, 60_000);
});

describe('the CLI (as built) with its cache folder', () => {
  it('faces: the same output when the network comes from the cache, with a model file that would not read', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'dlib-wasm-network-cache-cli-'));
    made.push(folder);
    const model = join(folder, 'face.dat');
    const mtime = new Date(Date.UTC(2024, 0, 1));
    writeFileSync(model, faceModelBytes());
    utimesSync(model, mtime, mtime);
    const env = { ...process.env, DLIB_WASM_CACHE: 'on', XDG_CACHE_HOME: join(folder, 'cache') };
    const faces = () => runCli(['faces', 'test/fixtures/photos/Tom_Cruise_avp_2014_4.jpg', '--model', model, '--threads', '1'], { env });
    const cold = await faces();
    expect(cold.code).toBe(0);
    expect(cold.stdout).toContain('"descriptor":[');
    expect(readdirSync(join(folder, 'cache', 'dlib-wasm')).filter((name) => name.endsWith('.network'))).toHaveLength(1);
    // In place (the same inode), of the same size and time: the entry's key holds, but the file is no model.
    writeFileSync(model, new Uint8Array(faceModelBytes().length).fill(0x5a));
    utimesSync(model, mtime, mtime);
    const cached = await faces();
    expect(cached.code).toBe(0);
    expect(cached.stdout).toBe(cold.stdout);
  }, 60_000);
});
