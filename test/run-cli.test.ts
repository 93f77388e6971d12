import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { LANDMARK_MODEL_68 } from './support/face-fixtures.js';
import { fixtureJsonLines as fixtureLines, maxAbsDiff, parseJsonLines as jsonLines } from './support/helpers.js';

// The CLI as built by `npm run build`: `run` on dlib-models' nets, `faces --gender`, and --threads everywhere.

const models = 'test/fixtures/dlib-models';
const genderOutputs = fixtureLines<{ id: string; logits: number[]; label: number }>('dlib-models/dnn_gender_classifier_v1.outputs.jsonl');

describe('npx dlib-wasm run', () => {
  it("a classifier: each image's logits and label, as dlib's; a wrong-size image is reported and skipped", async () => {
    const chosen = [genderOutputs[0], genderOutputs[1]];
    const chips = chosen.map(({ id }) => `${models}/dnn_gender_classifier_v1.chips/${id}.png`);
    const { code, stdout, stderr } = await runCli([
      'run',
      'models/dnn_gender_classifier_v1.dat',
      chips[0],
      'test/fixtures/chips/faces/2007_007763_f00.png',
      chips[1],
      '--printout',
      `${models}/dnn_gender_classifier_v1.printout.txt`,
      '--threads',
      '1',
    ]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      'dlib-wasm: test/fixtures/chips/faces/2007_007763_f00.png: input 0 is 150x150 (width x height); this network takes 32x32 only\n',
    );
    const lines = jsonLines<{ image: string; output: number[]; label: number }>(stdout);
    expect(lines.map((line) => [Object.keys(line), line.image, line.label])).toEqual(
      chosen.map(({ label }, i) => [['image', 'output', 'label'], chips[i], label]),
    );
    lines.forEach((line, i) => expect(maxAbsDiff(line.output, chosen[i].logits)).toBeLessThanOrEqual(1e-4));
  });

  it("a net under loss_metric: the DenseNet's descriptor, with no label; its printout is needed and named", async () => {
    const [first] = fixtureLines<{ id: string; descriptor: number[] }>('dlib-models/face_recognition_densenet_model_v1.descriptors.jsonl');
    const args = ['run', `${models}/face_recognition_densenet_model_v1.dat`, `test/fixtures/chips/faces/${first.id}.png`, '--threads', '1'];
    const [without, given] = await Promise.all([
      runCli(args),
      runCli([...args, '--printout', `${models}/face_recognition_densenet_model_v1.printout.txt`]),
    ]);
    expect([without.code, without.stdout]).toEqual([1, '']);
    expect(without.stderr).toContain('a net declared with repeat can only be read with its printout');
    expect(given.code).toBe(0);
    const [line] = jsonLines<{ image: string; output: number[] }>(given.stdout);
    expect(Object.keys(line)).toEqual(['image', 'output']);
    expect(maxAbsDiff(line.output, first.descriptor)).toBeLessThanOrEqual(1e-4);
  });

  it.each([[['run']], [['run', 'models/dnn_gender_classifier_v1.dat']]])('%j is a usage error (exit 2)', async (args) => {
    const { code, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^dlib-wasm: (run needs MODEL\.dat|no images to run the net on)/);
  });
});

describe('npx dlib-wasm faces --gender', () => {
  it("adds each face's gender, dlib's (with dlib's 68-point landmarks), and changes no other field", async () => {
    const photo = 'test/fixtures/photos/2008_002470.jpg';
    const args = ['faces', photo, '--landmarks', LANDMARK_MODEL_68, '--threads', '1'];
    const [plain, withGender] = await Promise.all([runCli(args), runCli([...args, '--gender'])]);
    expect([plain.code, withGender.code]).toEqual([0, 0]);
    const faces = jsonLines<{ gender: { label: string; probability: number } }>(withGender.stdout);
    const dlib = genderOutputs.filter(({ id }) => id.startsWith('2008_002470_'));
    expect(faces.map(({ gender }) => gender.label)).toEqual(dlib.map(({ label }) => ['female', 'male'][label]));
    faces.forEach(({ gender }, i) => {
      const [own, other] = [dlib[i].logits[dlib[i].label], dlib[i].logits[1 - dlib[i].label]];
      expect(Math.abs(gender.probability - 1 / (1 + Math.exp(other - own)))).toBeLessThanOrEqual(1e-5);
    });
    expect(faces.map(({ gender, ...rest }) => rest)).toEqual(jsonLines(plain.stdout));
    expect(Object.keys(faces[0])).toEqual(['file', 'rect', 'confidence', 'landmarks', 'descriptor', 'gender']);
  });
});

describe('--threads N', () => {
  // Checked before any model loads: --threads 0 is refused by name wherever it is an option.
  it.each([
    ['cluster', 'test/fixtures/photos/2008_002470.jpg', '--out', 'never-written'],
    ['faces', 'test/fixtures/photos/2008_002470.jpg'],
    ['recognize', 'test/fixtures/photos', 'test/fixtures/photos/2008_002470.jpg'],
    ['descriptors', 'test/fixtures/chips/faces/2007_007763_f00.png'],
    ['bench'],
    ['run', 'models/dnn_gender_classifier_v1.dat', 'test/fixtures/chips/faces/2007_007763_f00.png'],
  ])('%s takes it', async (...args) => {
    const { code, stderr } = await runCli([...args, '--threads', '0']);
    expect([code, stderr.split('\n')[0]]).toEqual([2, 'dlib-wasm: --threads must be an integer of at least 1, got 0']);
  });
});
