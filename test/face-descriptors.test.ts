import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFaceRecognitionModel, type FaceRecognitionModel } from '../src/index.js';
import { expectSameValues, faceModelBytes, fixtureJson, fixturePng, maxAbsDiff } from './support/helpers.js';

// dlib 19.24's descriptors of all 143 reference chips (test/fixtures/README.md).
const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
const TOLERANCE = 1e-5; // max absolute difference per element

describe('face descriptors match dlib (plain SIMD, one thread)', () => {
  let model: FaceRecognitionModel;
  beforeAll(async () => {
    model = await loadFaceRecognitionModel(faceModelBytes(), { threads: 1, wasm: { relaxedSimd: false } });
  });
  afterAll(() => model.dispose());

  it('has the 143 reference chips', () => {
    expect(items).toHaveLength(143);
  });

  it("gives dlib's descriptor for every chip, run as one batch", async () => {
    const descriptors = await model.computeFaceDescriptors(items.map((item) => fixturePng(item.chip)));
    const failures = items
      .map((item, i) => ({ chip: item.chip, diff: maxAbsDiff(descriptors[i], item.descriptor) }))
      .filter(({ diff }) => !(diff <= TOLERANCE));
    expect(failures).toEqual([]);
  });

  it('gives the same descriptor for a chip alone and in a batch, from RGB or RGBA bytes', async () => {
    const rgba = fixturePng(items[0].chip);
    const rgb = new Uint8Array(150 * 150 * 3);
    for (let i = 0; i < 150 * 150; i++) rgb.set(rgba.data.subarray(i * 4, i * 4 + 3), i * 3);
    const single = await model.computeFaceDescriptor({ width: 150, height: 150, data: rgb });
    expect(single).toHaveLength(128);
    expect(maxAbsDiff(single, items[0].descriptor)).toBeLessThanOrEqual(TOLERANCE);
    const [batched] = await model.computeFaceDescriptors([rgba, fixturePng(items[1].chip)]);
    expectSameValues(batched, single, 'batched and single');
  });
});
