import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { fixtureJson } from './support/helpers.js';

// The CLI as built by `npm run build` (npm test builds first), with dlib's CNN detectors.

interface DlibDetection {
  rect: { left: number; top: number; right: number; bottom: number };
  confidence: number;
  label: string;
}
type Reference = Record<string, { image: string; upsample: number; detections: DlibDetection[] }[]>;
const REFERENCE = fixtureJson<Reference>('dlib-models/mmod/detections.json');
const dlib = (model: string, image: string, upsample: number) =>
  REFERENCE[model].find((c) => c.image === image && c.upsample === upsample)!.detections;

const FACE_MODEL = 'models/mmod_human_face_detector.dat';
const PHOTO = 'test/fixtures/photos/2008_001009.jpg';
const CARS = 'test/fixtures/dlib-models/mmod/mmod_cars_test_image.jpg';
const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

function expectDlibDetections(found: DlibDetection[], expected: DlibDetection[]) {
  expect(found.map((d) => [d.rect, d.label])).toEqual(expected.map((d) => [d.rect, d.label]));
  found.forEach((d, i) => expect(Math.abs(d.confidence - expected[i].confidence)).toBeLessThanOrEqual(1e-4 * expected[i].confidence));
}

describe('npx dlib-wasm detect', () => {
  it("prints one JSON line per image with dlib's detections; an unreadable image is reported and the exit code is 1", async () => {
    const { code, stdout, stderr } = await runCli(['detect', FACE_MODEL, PHOTO, 'no-such-photo.jpg', '--upsample', '1', '--threads', '2']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/no-such-photo\.jpg/);
    const [line, ...rest] = lines(stdout);
    expect(rest).toEqual([]);
    expect(line.image).toBe(PHOTO);
    expectDlibDetections(line.detections, dlib('mmod_human_face_detector', '2008_001009.jpg', 1));
  });

  it("runs dlib's vehicle files (a net then a shape predictor) with their labels", async () => {
    const model = 'test/fixtures/dlib-models/mmod_front_and_rear_end_vehicle_detector.dat';
    const { code, stdout } = await runCli(['detect', model, CARS]);
    expect(code).toBe(0);
    const [line] = lines(stdout);
    expectDlibDetections(line.detections, dlib('mmod_front_and_rear_end_vehicle_detector', 'mmod_cars_test_image.jpg', 0));
  });

  it('a model that is no MMOD detector exits 1 saying so; a bad command line exits 2', async () => {
    for (const [args, code, message] of [
      [['detect', 'models/frontal_face_detector.dat', PHOTO], 1, /^dlib-wasm: .*at byte/m],
      [['detect', 'test/fixtures/zoo/conv_variants.dat', PHOTO], 1, /is not a dlib MMOD detector/],
      [['detect', FACE_MODEL], 2, /no images/],
      [['detect', FACE_MODEL, PHOTO, '--upsample', '-1'], 2, /--upsample must be an integer of at least 0/],
    ] as const) {
      const run = await runCli([...args]);
      expect([run.code, run.stdout], args.join(' ')).toEqual([code, '']);
      expect(run.stderr).toMatch(message);
    }
  });
});

describe('npx dlib-wasm faces and cluster --detector cnn', () => {
  it("faces: the CNN detector's faces (dlib's, upsample 1), each with its landmarks and descriptor", async () => {
    const { code, stdout } = await runCli(['faces', PHOTO, '--detector', 'cnn']);
    expect(code).toBe(0);
    const faces = lines(stdout);
    const expected = dlib('mmod_human_face_detector', '2008_001009.jpg', 1);
    expect(faces.map((f) => f.rect)).toEqual(expected.map((d) => d.rect));
    expect(faces.map((f) => [f.landmarks.length, f.descriptor.length])).toEqual(expected.map(() => [5, 128]));
  });

  it('cluster: the CNN faces of a photo in the report; an unknown detector exits 2', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dlib-wasm-cnn-cluster-'));
    const { code } = await runCli(['cluster', PHOTO, '--detector', 'cnn', '--out', out, '--quiet']);
    expect(code).toBe(0);
    const { clusters } = JSON.parse(readFileSync(join(out, 'clusters.json'), 'utf8'));
    const rects = clusters.flatMap((c: { faces: { rect: DlibDetection['rect'] }[] }) => c.faces.map((f) => f.rect));
    expect(rects).toHaveLength(2);
    expect(rects).toEqual(expect.arrayContaining(dlib('mmod_human_face_detector', '2008_001009.jpg', 1).map((d) => d.rect)));
    const bad = await runCli(['faces', PHOTO, '--detector', 'dnn']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/--detector must be hog or cnn, got dnn/)]);
  });
});
