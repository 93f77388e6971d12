import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protocolDescriptors } from '../scripts/lfw/lfw-faces.mjs';
import { evaluate, parsePairs } from '../scripts/lfw/protocol.mjs';
import { decodeImage } from '../src/cli/decode-image.js';
import { descriptorDistance, loadFacePipeline, type FacePipeline } from '../src/index.js';
import { fixture, maxAbsDiff } from './support/helpers.js';

// 200 LFW pairs (the first 100 matched and 100 mismatched of fold 1, 305 images) through our
// pipeline with dlib's protocol, against dlib's run on the same images (5-point model).
const text = (path: string) => new TextDecoder().decode(fixture(path));
const names = text('lfw/images.txt').trim().split('\n');
const dlibAll = new Float32Array(fixture('lfw/descriptors_sp5.f32').slice().buffer);
const dlibDescriptor = (name: string) => {
  const i = names.indexOf(name);
  return dlibAll.subarray(i * 128, i * 128 + 128);
};
const dlibDetections = new Map(
  text('lfw/detections.tsv')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const f = line.split('\t');
      return [f[0], { level: Number(f[1]), rect: { left: Number(f[3]), top: Number(f[4]), right: Number(f[5]), bottom: Number(f[6]) } }];
    }),
);

describe("LFW, 200 pairs, dlib's protocol", () => {
  const { folds, pairs } = parsePairs(text('lfw/pairs_subset_200.txt'));
  const images: string[] = [...new Set<string>(pairs.flatMap((p: { a: string; b: string }) => [p.a, p.b]))].sort();
  let pipeline: FacePipeline;
  let ours: Map<string, { level: number; rect: object; descriptor: Float32Array }>;
  beforeAll(async () => {
    pipeline = await loadFacePipeline({
      detector: fixture('../../models/frontal_face_detector.dat'),
      landmarks: fixture('../../models/shape_predictor_5_face_landmarks_lfw.dat'),
      recognition: fixture('../../models/dlib_face_recognition_resnet_model_v1.dat'),
    });
    const decoded = await Promise.all(images.map((n) => decodeImage(fixture(`lfw/deepfunneled_250/${n}`))));
    const results = await protocolDescriptors(pipeline, decoded);
    ours = new Map(images.map((n, i) => [n, results[i]]));
  }, 120_000);
  afterAll(() => pipeline.dispose());

  it('finds the face dlib found in each of the 305 images, the same way', () => {
    const differing = images.filter(
      (n) => JSON.stringify({ level: ours.get(n)!.level, rect: ours.get(n)!.rect }) !== JSON.stringify(dlibDetections.get(n)),
    );
    expect(differing).toEqual([]);
  });

  it("gives dlib's descriptors (within 1e-4; dlib's were computed with OpenBLAS)", () => {
    const worst = images.reduce((most, n) => Math.max(most, maxAbsDiff(ours.get(n)!.descriptor, dlibDescriptor(n))), 0);
    expect(worst).toBeLessThanOrEqual(1e-4);
  });

  it('scores what dlib scores on the same pairs', () => {
    const distances = (of: (n: string) => ArrayLike<number>) =>
      pairs.map((p: { a: string; b: string }) => descriptorDistance(of(p.a), of(p.b)));
    const oursScore = evaluate(
      pairs,
      distances((n) => ours.get(n)!.descriptor),
      folds,
    );
    const dlibScore = evaluate(pairs, distances(dlibDescriptor), folds);
    expect(oursScore.fixed.perFold).toEqual(dlibScore.fixed.perFold);
    expect(oursScore.fixed.mean).toBeGreaterThan(0.95);
  });
});
