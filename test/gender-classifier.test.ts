import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FacePipeline,
  type GenderClassifier,
  genderChipDetails,
  type ImageChipExtractor,
  loadFacePipeline,
  loadGenderClassifier,
  loadImageChipExtractor,
  type Point,
  TopologyError,
} from '../src/index.js';
import { landmarkModel68Bytes, photo } from './support/face-fixtures.js';
import { expectSameValues, faceModelBytes, fixture, fixtureJsonLines, fixturePng, fixtureText } from './support/helpers.js';
import { sampled } from './support/suite.js';

// dlib-models' gender classifier in dlib's procedure (dnn_gender_classifier_v1_ex.cpp):
// extract_image_chip(img, get_face_chip_details(shape, 32)), then net(chip); against
// dlib 19.24's chips and outputs for 68 faces of the example photos (test/fixtures/README.md).

interface GenderFace {
  id: string;
  image: string;
  landmarks: Point[];
  logits: [number, number];
  label: 0 | 1;
}

const outputs = new Map(
  fixtureJsonLines<{ id: string; logits: [number, number]; label: 0 | 1 }>('dlib-models/dnn_gender_classifier_v1.outputs.jsonl').map(
    (o) => [o.id, o],
  ),
);
/** faces.txt: `id image left top right bottom` and the 68 landmarks' x y. */
const faces: GenderFace[] = fixtureText('dlib-models/dnn_gender_classifier_v1.faces.txt')
  .split('\n')
  .filter(Boolean)
  .map((line) => {
    const [id, image, ...numbers] = line.split(' ');
    const xy = numbers.slice(4).map(Number);
    const landmarks = Array.from({ length: xy.length / 2 }, (_, i): Point => [xy[2 * i], xy[2 * i + 1]]);
    return { ...outputs.get(id)!, id, image, landmarks };
  });
const LABELS = ['female', 'male'];
/** dlib's softmax probability of its label, from its logits. */
const dlibProbability = ({ logits, label }: GenderFace) => 1 / (1 + Math.exp(logits[1 - label] - logits[label]));
const rgbOf = (rgba: Uint8Array) => rgba.filter((_, i) => i % 4 !== 3);
const modelBytes = () => fixture('../../models/dnn_gender_classifier_v1.dat');

describe("loadGenderClassifier on dlib-models' gender faces", () => {
  let classifier: GenderClassifier;
  let chips: ImageChipExtractor;
  beforeAll(async () => {
    [classifier, chips] = await Promise.all([loadGenderClassifier(modelBytes(), { threads: 1 }), loadImageChipExtractor()]);
  });
  afterAll(() => {
    classifier?.dispose();
    chips?.dispose();
  });

  it('reads 68 faces with 68 landmarks each, all with dlib outputs', () => {
    expect([faces.length, faces.every((f) => f.landmarks.length === 68 && f.logits !== undefined)]).toEqual([68, true]);
  });

  it.each(sampled([...new Set(faces.map((f) => f.image))]))(
    "%s: each face's 32x32 chip is dlib's, byte for byte, and gets dlib's label and probability",
    async (name) => {
      const image = await photo(name);
      const here = faces.filter((f) => f.image === name);
      const cut = here.map((face) => chips.extractImageChip(image, genderChipDetails(face.landmarks)));
      here.forEach((face, i) => {
        const dlib = fixturePng(`dlib-models/dnn_gender_classifier_v1.chips/${face.id}.png`);
        expect([cut[i].width, cut[i].height]).toEqual([32, 32]);
        expectSameValues(cut[i].data, rgbOf(dlib.data as Uint8Array), `${face.id} chip`);
      });
      const estimates = await classifier.classifyChips(cut);
      expect(estimates.map((e) => e.label)).toEqual(here.map((f) => LABELS[f.label]));
      here.forEach((face, i) => expect(Math.abs(estimates[i].probability - dlibProbability(face)), face.id).toBeLessThanOrEqual(1e-5));
    },
  );

  it('classify(chip) is classifyChips([chip])[0]', async () => {
    const face = faces[1];
    const chip = fixturePng(`dlib-models/dnn_gender_classifier_v1.chips/${face.id}.png`);
    expect(await classifier.classify(chip)).toEqual((await classifier.classifyChips([chip]))[0]);
    expect((await classifier.classify(chip)).label).toBe(LABELS[face.label]);
  });

  it('refuses any other net with a TopologyError', async () => {
    const error = await loadGenderClassifier(faceModelBytes(), { threads: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopologyError);
  });
});

describe("the face pipeline with the gender model, dlib's 68-point landmarks", () => {
  let pipeline: FacePipeline;
  beforeAll(async () => {
    pipeline = await loadFacePipeline(
      {
        detector: fixture('../../models/frontal_face_detector.dat'),
        landmarks: landmarkModel68Bytes(),
        recognition: faceModelBytes(),
        gender: modelBytes(),
      },
      { threads: 1 },
    );
  });
  afterAll(() => pipeline?.dispose());

  it.each(['2008_002470.jpg'])('%s: every face gets the gender dlib gives it', async (name) => {
    const found = await pipeline.detect(await photo(name));
    const expected = faces.filter((f) => f.image === name);
    expect(found.map((f) => f.landmarks)).toEqual(expected.map((f) => f.landmarks));
    expect(found.map((f) => f.gender?.label)).toEqual(expected.map((f) => LABELS[f.label]));
    found.forEach((face, i) => expect(Math.abs(face.gender!.probability - dlibProbability(expected[i]))).toBeLessThanOrEqual(1e-5));
  });
});
