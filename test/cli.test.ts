import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import encodeJpeg, { init as initJpegEncoder } from '@jsquash/jpeg/encode.js';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../src/cli/decode-image.js';
import { descriptorDistance, loadFacePipeline } from '../src/index.js';
import { fixtureJson, fixturePng, maxAbsDiff } from './support/helpers.js';
import { runCli } from './support/cli.js';

// The CLI as built by `npm run build` (npm test builds first).
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const run = (...args: string[]) => runCli(args);

const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
const chip = (i: number) => join('test/fixtures', items[i].chip);

describe('npx dlib-wasm', () => {
  it('is an executable script with a node shebang, as npx runs it in this repository', () => {
    expect(statSync(cli).mode & 0o111).toBe(0o111);
    expect(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});

describe('npx dlib-wasm descriptors', () => {
  it("prints one JSON line per chip with dlib's descriptor, using the bundled model", async () => {
    const { code, stdout } = await run('descriptors', chip(0), chip(100));
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file)).toEqual([chip(0), chip(100)]);
    expect(maxAbsDiff(lines[0].descriptor, items[0].descriptor)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(lines[1].descriptor, items[100].descriptor)).toBeLessThanOrEqual(1e-5);
  });

  it('takes --model and decodes JPEG chips', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dlib-wasm-cli-'));
    const png = fixturePng(items[3].chip);
    const jpg = join(dir, 'chip.jpg');
    await initJpegEncoder(
      await WebAssembly.compile(await readFile(new URL(import.meta.resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm')))),
    );
    const pixels = { data: new Uint8ClampedArray(png.data), width: png.width, height: png.height, colorSpace: 'srgb' } as ImageData;
    writeFileSync(jpg, new Uint8Array(await encodeJpeg(pixels, { quality: 98 })));
    const { code, stdout } = await run('descriptors', '--model', 'models/dlib_face_recognition_resnet_model_v1.dat', jpg);
    expect(code).toBe(0);
    const { descriptor } = JSON.parse(stdout);
    expect(descriptor).toHaveLength(128);
    // JPEG is lossy: the same face, not the same numbers.
    expect(descriptorDistance(descriptor, items[3].descriptor)).toBeLessThan(0.05);
  });

  it('reports bad files on stderr, goes on, and exits 1', async () => {
    const { code, stdout, stderr } = await run('descriptors', 'package.json', chip(0), 'no-such-file.png');
    expect(code).toBe(1);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('package.json: not a PNG or JPEG file');
    expect(stderr).toContain('no-such-file.png: ENOENT');
  });

  it('rejects a chip of the wrong size with the size in the message', async () => {
    const { code, stderr } = await run('descriptors', 'test/fixtures/zoo/conv_variants_input.png');
    expect(code).toBe(1);
    expect(stderr).toMatch(/19x23.*150x150/);
  });

  it('prints the usage and exits 0 on --help or -h, after a command too', async () => {
    for (const args of [['--help'], ['-h'], ['faces', '--help'], ['cluster', 'x.jpg', '-h'], ['export-onnx', '--help']]) {
      const { code, stdout, stderr } = await run(...args);
      expect(code, args.join(' ')).toBe(0);
      expect(stdout).toMatch(/^usage: dlib-wasm <command> \[options\]\n/);
      expect(stderr).toBe('');
    }
  });

  it('exits 2 with usage on a bad command line', async () => {
    for (const args of [
      ['frobnicate', 'x.png'],
      // A name every object has is not a command either.
      ['toString'],
      ['descriptors'],
      ['descriptors', '--model'],
      ['bench', '--batch', '0'],
      ['bench', '--frob'],
    ]) {
      const { code, stderr } = await run(...args);
      expect(code).toBe(2);
      expect(stderr).toContain('usage: dlib-wasm');
    }
  });
});

describe('npx dlib-wasm bench', () => {
  it('reports ms per face and the backend it really used, as JSON', async () => {
    const { code, stdout } = await run('bench', '--threads', '1', '--batch', '3', '--runs', '2', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ batch: 3, threads: 1, simd: true, runs: 2 });
    expect(typeof result.relaxedSimd).toBe('boolean');
    expect(result.msPerRun).toHaveLength(2);
    expect(result.msPerFace).toBeGreaterThan(0);
  });

  it('prints one line of text by default', async () => {
    const { code, stdout } = await run('bench', '--threads', '2', '--batch', '2', '--runs', '1');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d\d ms per face \(median of 1 runs of 2; 2 thread\(s\), SIMD128/);
  });
});

describe('npx dlib-wasm bench --peers', () => {
  /** The CLI run with `cwd` as the user's folder, as npx runs it from their project. */
  const runIn = (cwd: string, cliFile: string, ...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      execFile(process.execPath, [cliFile, ...args], { cwd, timeout: 60_000 }, (error, stdout, stderr) =>
        done({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
    });

  it('--quick in a project without peers: says which are missing and how to install them, and measures dlib-wasm', async () => {
    const project = mkdtempSync(join(tmpdir(), 'dlib-wasm-no-peers-'));
    const { code, stdout, stderr } = await runIn(project, cli, 'bench', '--peers', '--quick');
    expect(code).toBe(0);
    expect(stdout).toContain(
      'not installed, not measured: onnxruntime-web, @vladmandic/face-api, onnxruntime-node (npm install --save-dev onnxruntime-web @vladmandic/face-api onnxruntime-node)',
    );
    expect(stdout).toMatch(/^engines run on node v\d+/m);
    expect(stdout).toMatch(/^dlib-wasm +(relaxed )?SIMD, 1T +- +\d+\.\d +- +\d+ +\d+ +1\.00x$/m);
    expect(stdout).toContain('dlib native not measured: skipped with --quick');
    expect(stdout).toContain('target: dlib-wasm >= 1.3x faster than onnxruntime-web: not measured');
    // The progress line, a step at a time.
    expect(stderr).toMatch(/^\[1\/2, \d+ s\] dlib-wasm, 1 thread\(s\), batch 8$/m);
  });

  it('from an installed package (no bench/ in it): says how to run the table and which peers the project has', async () => {
    const installed = mkdtempSync(join(tmpdir(), 'dlib-wasm-installed-'));
    cpSync(join(root, 'dist'), join(installed, 'dist'), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(installed, 'node_modules'));
    const project = mkdtempSync(join(tmpdir(), 'dlib-wasm-no-peers-'));
    const { code, stderr } = await runIn(project, join(installed, 'dist/cli/main.js'), 'bench', '--peers');
    expect(code).toBe(1);
    expect(stderr).toContain("the peers table runs from a checkout of dlib-wasm's repository");
    expect(stderr).toContain(
      'Peers installed here: none. Not installed: onnxruntime-web, @vladmandic/face-api, onnxruntime-node (npm install --save-dev onnxruntime-web @vladmandic/face-api onnxruntime-node).',
    );
    // This repository's project has all three (devDependencies).
    const { stderr: here } = await runIn(root, join(installed, 'dist/cli/main.js'), 'bench', '--peers');
    expect(here).toContain('Peers installed here: onnxruntime-web, @vladmandic/face-api, onnxruntime-node.\n');
  });

  it('takes no other bench option', async () => {
    for (const args of [
      ['bench', '--peers', '--batch', '8'],
      ['bench', '--quick'],
    ]) {
      const { code, stderr } = await run(...args);
      expect(code).toBe(2);
      expect(stderr).toContain('usage: dlib-wasm');
    }
  });
});

describe('npx dlib-wasm faces and cluster', () => {
  it("faces: one JSON line per face with dlib's rect and landmarks (bundled 5-point model), chips on request", async () => {
    const chips = mkdtempSync(join(tmpdir(), 'dlib-wasm-chips-'));
    const { code, stdout } = await run('faces', 'test/fixtures/photos/Tom_Cruise_avp_2014_4.jpg', '--chips', chips);
    expect(code).toBe(0);
    const faces = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const dlib = fixtureJson('faces5/Tom_Cruise_avp_2014_4_f00.json');
    expect(faces).toHaveLength(1);
    expect(faces[0].rect).toEqual(dlib.detection.rect);
    expect(faces[0].confidence).toBeCloseTo(dlib.detection.confidence, 6);
    expect(faces[0].landmarks).toEqual(dlib.landmarks_5);
    expect(maxAbsDiff(faces[0].descriptor, dlib.descriptor)).toBeLessThanOrEqual(1e-4);
    expect(readdirSync(chips)).toEqual(['Tom_Cruise_avp_2014_4_f00.png']);
  });

  it('cluster: the bald guys are 4 people of 6 faces, with a report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dlib-wasm-cluster-'));
    const { code, stdout } = await run('cluster', 'examples/photos/bald_guys.jpg', '--out', out);
    expect(code).toBe(0);
    expect(stdout).toContain('24 faces in 1 photo: 4 people (6, 6, 6, 6 faces)');
    const { clusters } = JSON.parse(readFileSync(join(out, 'clusters.json'), 'utf8'));
    expect(clusters.map((c: { faces: unknown[] }) => c.faces.length)).toEqual([6, 6, 6, 6]);
    expect(readdirSync(out).sort()).toEqual(['chips', 'clusters.json', 'contact-sheet.png', 'index.html']);
  });

  it('faces and cluster: photos found on worker threads give what the library finds in-process, in photo order', async () => {
    const photos = ['2008_001009.jpg', '2008_001322.jpg', '2008_002079.jpg', '2008_002470.jpg', 'Tom_Cruise_avp_2014_4.jpg'].map(
      (name) => `test/fixtures/photos/${name}`,
    );
    const out = mkdtempSync(join(tmpdir(), 'dlib-wasm-cluster-'));
    const [clustered, listed] = await Promise.all([run('cluster', ...photos, '--out', out), run('faces', ...photos)]);
    expect(clustered.code).toBe(0);
    expect(listed.code).toBe(0);
    // The same photos through the library on this thread: no workers.
    const pipeline = await loadFacePipeline(
      {
        detector: readFileSync('models/frontal_face_detector.dat'),
        landmarks: readFileSync('models/shape_predictor_5_face_landmarks_lfw.dat'),
        recognition: readFileSync('models/dlib_face_recognition_resnet_model_v1.dat'),
      },
      { threads: 1 },
    );
    const expected: { file: string; rect: object; landmarks: unknown; descriptor: Float32Array }[] = [];
    for (const file of photos) {
      const faces = await pipeline.detect(await decodeImage(readFileSync(file)));
      for (const f of faces) expected.push({ file, rect: f.rect, landmarks: f.landmarks, descriptor: f.descriptor });
    }
    pipeline.dispose();
    expect(expected.length).toBeGreaterThan(photos.length);

    const lines = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map(({ file, rect, landmarks }) => ({ file, rect, landmarks }))).toEqual(
      expected.map(({ file, rect, landmarks }) => ({ file, rect, landmarks })),
    );
    lines.forEach((line, i) => expect(maxAbsDiff(line.descriptor, expected[i].descriptor)).toBeLessThanOrEqual(1e-6));

    type Face = { photo: string; rect: object; descriptor: number[] };
    const { clusters } = JSON.parse(readFileSync(join(out, 'clusters.json'), 'utf8'));
    const clusteredFaces: Face[] = clusters.flatMap((c: { faces: Face[] }) => c.faces);
    expect(clusteredFaces).toHaveLength(expected.length);
    for (const face of clusteredFaces) {
      const match = expected.find((e) => e.file === face.photo && JSON.stringify(e.rect) === JSON.stringify(face.rect));
      expect(match).toBeDefined();
      expect(maxAbsDiff(face.descriptor, match!.descriptor)).toBeLessThanOrEqual(1e-6);
    }
    // Within a cluster, faces keep photo order.
    for (const { faces: members } of clusters as { faces: Face[] }[]) {
      const order = members.map((f) => photos.indexOf(f.photo));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it('faces --threads 1 (photos located on the calling thread) prints and saves what the locate workers do', async () => {
    const photos = ['bald_guys.jpg', 'dogs.jpg', '2008_001322.jpg'].map((name) => `test/fixtures/photos/${name}`);
    const [one, two] = [mkdtempSync(join(tmpdir(), 'dlib-wasm-chips-')), mkdtempSync(join(tmpdir(), 'dlib-wasm-chips-'))];
    const [onThread, onWorkers] = await Promise.all([
      run('faces', ...photos, 'package.json', '--gender', '--chips', one, '--threads', '1'),
      run('faces', ...photos, 'package.json', '--gender', '--chips', two, '--threads', '2'),
    ]);
    expect(onThread.code).toBe(1);
    expect(onThread.stderr).toContain('package.json: not a PNG or JPEG file');
    expect(onThread.stderr).toBe(onWorkers.stderr);
    expect(onThread.stdout.split('\n')).toHaveLength(24 + 3 + 1);
    expect(onThread.stdout.replaceAll(one, 'CHIPS')).toBe(onWorkers.stdout.replaceAll(two, 'CHIPS'));
    const chips = readdirSync(one).sort();
    expect(chips).toHaveLength(27);
    expect(readdirSync(two).sort()).toEqual(chips);
    for (const name of chips) expect(readFileSync(join(one, name)).equals(readFileSync(join(two, name)))).toBe(true);
  });

  it("faces: faces described in batches across photos give each photo's lines as a run of that photo alone, in photo order", async () => {
    // 6 faces (the first photo, alone), then 3, 6 and 2: the batch of 8 ends inside the third photo, whose last face waits for the last batch.
    const photos = ['2008_002079.jpg', '2008_001322.jpg', '2008_002470.jpg', '2008_001009.jpg'].map(
      (name) => `test/fixtures/photos/${name}`,
    );
    const [together, ...alone] = await Promise.all([
      run('faces', ...photos, '--threads', '1'),
      ...photos.map((photo) => run('faces', photo, '--threads', '1')),
    ]);
    expect(together.code).toBe(0);
    expect(alone.map((r) => r.stdout.trim().split('\n').length)).toEqual([6, 3, 6, 2]);
    expect(together.stdout).toBe(alone.map((r) => r.stdout).join(''));
  });

  it("cluster: a landmark model that is not one is the user's error, not a crash of a worker", async () => {
    const out = mkdtempSync(join(tmpdir(), 'dlib-wasm-cluster-'));
    const { code, stderr } = await run('cluster', 'test/fixtures/photos/2008_001009.jpg', '--out', out, '--landmarks', 'package.json');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^dlib-wasm: .*shape_predictor version \(at byte 0\)$/m);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('cluster: needs --out, and reports unreadable photos but clusters the rest', async () => {
    expect((await run('cluster', 'examples/photos')).code).toBe(2);
    const out = mkdtempSync(join(tmpdir(), 'dlib-wasm-cluster-'));
    const { code, stderr, stdout } = await run('cluster', 'test/fixtures/photos/Tom_Cruise_avp_2014_4.jpg', 'package.json', '--out', out);
    expect(code).toBe(1);
    expect(stderr).toContain('package.json: not a PNG or JPEG file');
    expect(stdout).toContain('1 face in 2 photos: 1 person');
  });
});
