import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../src/cli/encode-png.js';
import { descriptorDistance } from '../src/index.js';
import { runCli } from './support/cli.js';

// `dlib-wasm recognize` as built by `npm run build`, on LFW photos: a known folder with a person
// as a (linked) sub-folder, one as a photo, a photo of two faces and a folder of a photo of none; unknown photos of
// those people, of someone else, and a photo without a face.

const run = (...args: string[]) => runCli(args);

const lfw = (person: string, n: number) => join('test/fixtures/lfw/deepfunneled_250', person, `${person}_000${n}.jpg`);
const dir = mkdtempSync(join(tmpdir(), 'dlib-wasm-recognize-'));
const known = join(dir, 'known');
const blank = join(dir, 'blank.png');
const twoFaces = 'test/fixtures/photos/2008_001009.jpg';
const unknown = [lfw('Abel_Pacheco', 4), lfw('Akhmed_Zakayev', 3), 'test/fixtures/lfw/deepfunneled_250/Amber_Tamblyn', blank];

beforeAll(() => {
  // A person's folder through a symbolic link, a person's photo, a folder with only a photo of no one.
  mkdirSync(join(dir, 'abel'), { recursive: true });
  copyFileSync(lfw('Abel_Pacheco', 1), join(dir, 'abel', 'a.jpg'));
  mkdirSync(join(known, 'Nobody_Else'), { recursive: true });
  symlinkSync(join(dir, 'abel'), join(known, 'Abel_Pacheco'));
  copyFileSync(lfw('Akhmed_Zakayev', 1), join(known, 'Akhmed.jpg'));
  copyFileSync(twoFaces, join(known, 'pair.jpg'));
  const gray = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(128) };
  writeFileSync(blank, encodePng(gray));
  copyFileSync(blank, join(known, 'Nobody_Else', 'nobody.png'));
});

describe('npx dlib-wasm recognize', () => {
  let recognized: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    recognized = await run('recognize', known, ...unknown, '--show-distance', '--threads', '1', '--detector', 'hog');
  }, 60_000);

  it('prints path,name,distance per face in photo order, unknown_person beyond 0.6, path,no_persons_found', () => {
    expect(recognized.code).toBe(0);
    const lines = recognized.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(',').slice(0, 2).join(','))).toEqual([
      `${unknown[0]},Abel_Pacheco`,
      `${unknown[1]},Akhmed`,
      `${lfw('Amber_Tamblyn', 1)},unknown_person`,
      `${lfw('Amber_Tamblyn', 2)},unknown_person`,
      `${blank},no_persons_found`,
    ]);
    const distances = lines.slice(0, 4).map((l) => Number(l.split(',')[2]));
    expect(distances[0]).toBeLessThanOrEqual(0.6);
    expect(distances[1]).toBeLessThanOrEqual(0.6);
    expect(distances[2]).toBeGreaterThan(0.6);
    expect(distances[3]).toBeGreaterThan(0.6);
  });

  it('warns, as face_recognition does, of a known photo of several faces (the first is used) and of one of none', () => {
    expect(recognized.stderr).toContain(`${join(known, 'pair.jpg')}: only the first is considered`);
    expect(recognized.stderr).toContain(`no faces found in ${join(known, 'Nobody_Else', 'nobody.png')}: ignoring the file`);
  });

  it("prints descriptorDistance's float32 distance to the nearest known face exactly", async () => {
    const faces = await run(
      'faces',
      join(known, 'Abel_Pacheco', 'a.jpg'),
      join(known, 'Akhmed.jpg'),
      join(known, 'pair.jpg'),
      ...unknown.slice(0, 2),
    );
    const lines = faces.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; descriptor: number[] });
    const firsts = (file: string) => lines.filter((l) => l.file === file);
    const knownDescriptors = [join(known, 'Abel_Pacheco', 'a.jpg'), join(known, 'Akhmed.jpg'), join(known, 'pair.jpg')].map(
      (file) => firsts(file)[0].descriptor,
    );
    expect(firsts(join(known, 'pair.jpg'))).toHaveLength(2);
    const printed = recognized.stdout
      .trim()
      .split('\n')
      .slice(0, 2)
      .map((l) => Number(l.split(',')[2]));
    for (const [i, file] of unknown.slice(0, 2).entries()) {
      const [{ descriptor }] = firsts(file);
      expect(printed[i]).toBe(knownDescriptors.map((k) => descriptorDistance(descriptor, k)).reduce((a, b) => Math.min(a, b)));
    }
  }, 30_000);

  it('takes --tolerance: a face farther than it is unknown_person; without --show-distance, path,name', async () => {
    const distances = recognized.stdout
      .trim()
      .split('\n')
      .slice(0, 2)
      .map((l) => Number(l.split(',')[2]));
    const tolerance = (distances[0] + distances[1]) / 2;
    const [near, far] = distances[0] < distances[1] ? [0, 1] : [1, 0];
    const { code, stdout } = await run('recognize', known, unknown[0], unknown[1], '--tolerance', String(tolerance));
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[far]).toBe(`${unknown[far]},unknown_person`);
    expect(lines[near]).toBe(`${unknown[near]},${near === 0 ? 'Abel_Pacheco' : 'Akhmed'}`);
  }, 30_000);

  it('exits 2 with a clear message for an unknown --detector, a bad --tolerance, a KNOWN_DIR that is no folder, no photos', async () => {
    for (const [args, message] of [
      [['recognize', known, blank, '--detector', 'dnn'], /--detector must be hog or cnn, got dnn/],
      [['recognize', known, blank, '--tolerance', '0'], /--tolerance must be a positive number, got 0/],
      [['recognize', blank, blank], /KNOWN_DIR .*blank.png is not a folder/],
      [['recognize', known], /no photos or folders to recognize/],
      [['recognize', join(known, 'Abel_Pacheco'), blank, '--threads', '0'], /--threads must be an integer of at least 1, got 0/],
    ] as const) {
      const { code, stderr } = await run(...args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
    }
  }, 30_000);
});
