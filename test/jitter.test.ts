import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DlibRand } from '../src/dlib/dlib-rand.js';
import { loadImageChipExtractor, planChipExtraction, type ImageChipExtractor } from '../src/face/image-chip-extractor.js';
import { drawJitter, jitterImage } from '../src/face/jitter.js';
import { loadFaceRecognitionModel, type FaceRecognitionModel } from '../src/index.js';
import { expectSameValues, faceModelBytes, fixtureJson, fixturePng, maxAbsDiff } from './support/helpers.js';

// dlib 19.24's jitter_image: every parameter of 100 jitters, 10 crops, and jittered descriptors.
const params = fixtureJson('jitter/jitter_params.json');
const jittered = fixtureJson('jitter/jittered_descriptors.json');
const chipPath = (p: string) => `chips/${p}`;
const rgb = (data: Uint8Array) => {
  if (data.length % 4 !== 0 || data.length === 150 * 150 * 3) return data;
  const out = new Uint8Array((data.length / 4) * 3);
  for (let i = 0, j = 0; i < data.length; i += 4, j += 3) out.set(data.subarray(i, i + 3), j);
  return out;
};
const md5 = (data: Uint8Array) => createHash('md5').update(rgb(data)).digest('hex');

describe('dlib jitter_image', () => {
  let extractor: ImageChipExtractor;
  beforeAll(async () => {
    extractor = await loadImageChipExtractor();
  });
  afterAll(() => extractor.dispose());

  it("draws dlib's 100 jitters: crop rect, angle, flip, sub-image box and affine map, bit for bit", () => {
    const rand = new DlibRand();
    for (const j of params.jitters) {
      const { region, flip } = drawJitter(150, rand);
      const { rect } = region;
      expect([rect.left, rect.top, rect.right, rect.bottom]).toEqual(j.crop_rect_ltrb);
      expect(region.angle).toBe(j.angle_radians);
      expect(flip).toBe(j.flip);
      const plan = planChipExtraction(150, 150, region);
      expect([plan.crop.left, plan.crop.top, plan.crop.right, plan.crop.bottom]).toEqual(j.bbox_ltrb);
      const { m, b } = plan.chipToSource;
      expect([m[0][0], m[0][1], m[1][0], m[1][1]]).toEqual(j.m);
      expect(b).toEqual(j.b);
    }
  });

  it("cuts dlib's 10 crops of the first chip pixel for pixel", () => {
    const chip = fixturePng(chipPath(jittered.items[0].chip));
    const rand = new DlibRand();
    for (let k = 0; k < 10; k++) {
      const crop = jitterImage(extractor, chip, rand);
      expectSameValues(crop.data, rgb(fixturePng(`jitter/crops/chip0_j${k}.png`).data as Uint8Array), `crop ${k}`);
    }
  });

  it('cuts the same first 10 crops as dlib for all 20 chips (md5 of the pixels)', () => {
    for (const item of jittered.items) {
      const chip = fixturePng(chipPath(item.chip));
      const rand = new DlibRand();
      const ours = Array.from({ length: 10 }, () => md5(jitterImage(extractor, chip, rand).data as Uint8Array));
      expect(ours, item.chip).toEqual(item.crop_rgb_md5_first10);
    }
  });
});

describe('jittered descriptors', () => {
  let model: FaceRecognitionModel;
  beforeAll(async () => {
    model = await loadFaceRecognitionModel(faceModelBytes());
  });
  afterAll(() => model.dispose());

  // 200 network runs: n = 10 on half the chips, n = 100 on the first.
  it("are dlib's for n = 10 on 10 chips and n = 100 on one, within 1e-5", async () => {
    for (const [i, item] of jittered.items.slice(0, 10).entries()) {
      for (const { n, descriptor } of item.jittered) {
        if (n === 100 && i > 0) continue;
        const ours = await model.computeFaceDescriptor(fixturePng(chipPath(item.chip)), { jitters: n });
        expect(maxAbsDiff(ours, descriptor), `${item.chip} n=${n}`).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it('jitters: 1 is the plain descriptor; bad counts are input errors', async () => {
    const item = jittered.items[0];
    const plain = await model.computeFaceDescriptor(fixturePng(chipPath(item.chip)), { jitters: 1 });
    expect(maxAbsDiff(plain, item.plain_descriptor)).toBeLessThanOrEqual(1e-5);
    await expect(model.computeFaceDescriptor(fixturePng(chipPath(item.chip)), { jitters: 0 })).rejects.toThrow(/jitters/);
  });
});
