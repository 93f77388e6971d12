import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNetworkConstantsCache } from '../src/cli/network-constants-cache.js';
import { type FaceRecognitionModel, loadFaceRecognitionModel, type PlacedConstantsImage } from '../src/index.js';
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

  it("takes nothing of an image whose entry for one of the plan's constants has another size (a damaged header)", async () => {
    const zeros = async () => true;
    const middle = placed.entries.length >> 1;
    const damagedAt = (at: number, bytes: number) => placed.entries.map((entry, i) => (i === at ? { ...entry, bytes } : entry));
    const { key, bytes: planned } = placed.entries[middle];
    for (const bytes of [planned / 2, planned * 2]) {
      const damaged = image(zeros, { entries: damagedAt(middle, bytes) });
      // Not one constant of zeros taken: every one packed from the weights.
      expectSameValues((await describeWith(damaged))[0], expected[0], `${key} of ${bytes} bytes`);
    }
    // Another size for the last constant too: checked before the first is taken.
    const last = placed.entries.length - 1;
    const lastDamaged = image(zeros, { entries: damagedAt(last, placed.entries[last].bytes + 64) });
    expectSameValues((await describeWith(lastDamaged))[0], expected[0], `${placed.entries[last].key} longer`);
  });

  it("in the CLI's cache: written once per model file and build, then read into the network's memory; a cut entry is packed and written again", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'dlib-wasm-network-cache-'));
    made.push(folder);
    const model = join(folder, 'face.dat');
    writeFileSync(model, faceModelBytes());
    const cache = join(folder, 'cache');
    const load = async (build: string) => {
      const constants = await openNetworkConstantsCache(model, { cacheFolder: cache, build });
      const loaded = await loadFaceRecognitionModel(faceModelBytes(), { threads: 1, constants: constants.image });
      await constants.keep(loaded.network);
      const descriptors = await loaded.computeFaceDescriptors(chips());
      loaded.dispose();
      descriptors.forEach((descriptor, i) => expectSameValues(descriptor, expected[i], `chip ${i}`));
      return constants.image !== undefined;
    };
    expect(await load('build 1')).toBe(false);
    const [entry] = readdirSync(cache);
    expect(entry).toMatch(/^[0-9a-f]{16}-(relaxed|simd)-[0-9a-f]{64}\.network$/);
    expect(await load('build 1')).toBe(true);
    // Another build: its own entry, which replaces the first.
    expect(await load('build 2')).toBe(false);
    expect(readdirSync(cache)).toHaveLength(1);
    expect(readdirSync(cache)).not.toContain(entry);
    // Cut short: packed again (the same descriptors), and written whole again.
    const [second] = readdirSync(cache);
    truncateSync(join(cache, second), 1 << 20);
    expect(await load('build 2')).toBe(true);
    expect(await load('build 2')).toBe(true);
    expect(readdirSync(cache)).toEqual([second]);
    // Without a build (the CLI unbundled) nothing is cached.
    const unbuilt = await openNetworkConstantsCache(model, { cacheFolder: join(folder, 'none'), build: undefined });
    expect(unbuilt.image).toBeUndefined();
  }, 60_000);
});
