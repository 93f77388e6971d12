import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFacePipeline, type DetectedFace, type FacePipeline } from '../src/index.js';
import { faceFixtures, landmarkModel68Bytes, photo, type FaceFixture } from './support/face-fixtures.js';
import { expectSameValues, fixture, fixturePng, maxAbsDiff } from './support/helpers.js';
import { sampled } from './support/suite.js';

// dlib's whole pipeline on 18 photos (88 faces): detector upsampled once, landmarks, chips, descriptors.
const runs = [
  { set: 'faces5' as const, landmarks: () => fixture('../../models/shape_predictor_5_face_landmarks_lfw.dat') },
  { set: 'faces' as const, landmarks: landmarkModel68Bytes },
];

describe.each(runs)('the face pipeline end to end, as dlib ($set)', ({ set, landmarks }) => {
  const expected = faceFixtures(set);
  const photos = [...new Set(expected.map((f) => f.image))].sort();
  let pipeline: FacePipeline;
  beforeAll(async () => {
    pipeline = await loadFacePipeline({
      detector: fixture('../../models/frontal_face_detector.dat'),
      landmarks: landmarks(),
      recognition: fixture('../../models/dlib_face_recognition_resnet_model_v1.dat'),
    });
  });
  afterAll(() => pipeline.dispose());

  it.each(sampled(photos))('%s: every face, its landmarks, chip and descriptor', async (name) => {
    const faces: DetectedFace[] = await pipeline.detect(await photo(name));
    const reference: FaceFixture[] = expected.filter((f) => f.image === name);
    expect(faces.map((f) => f.rect)).toEqual(reference.map((f) => f.detection.rect));
    faces.forEach((face, i) => {
      const ref = reference[i];
      expect(face.landmarks, ref.id).toEqual(ref.landmarks);
      expectSameValues(face.chip.data, rgbOf(fixturePng(ref.chipPng).data as Uint8Array), `${ref.id} chip`);
      expect(maxAbsDiff(face.descriptor, ref.descriptor), ref.id).toBeLessThanOrEqual(1e-4);
    });
  });
});

function rgbOf(rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) out.set(rgba.subarray(i, i + 3), j);
  return out;
}
