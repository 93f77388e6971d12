// The CLI's files and folders: cluster's all-or-nothing output, chip names,
// files that are not regular files, progress, and errors that end the run.
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from './support/cli.js';

// The CLI as built by `npm run build` (npm test builds first).
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const run = (args: string[], nodeOptions: string[] = []) => runCli(args, { nodeOptions });
const photo = (name: string) => join(root, 'test/fixtures/photos', name);
const SMALL = photo('2008_001009.jpg');
const tempDir = () => mkdtempSync(join(tmpdir(), 'dlib-wasm-cli-out-'));

/** Every file under a folder with its bytes, for "byte for byte as it was". */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path).toString('base64');
    }
  };
  walk(dir);
  return files;
}

const leftovers = (parent: string) => readdirSync(parent).filter((name) => name.includes('.dlib-wasm-'));

describe('cluster --out: all or nothing', () => {
  it('a rerun leaves only its own chips and report; progress lines on a pipe, none with --quiet', async () => {
    // A folder whose parents do not exist yet.
    const parent = join(tempDir(), 'new', 'deep');
    const out = join(parent, 'out');
    const first = await run(['cluster', SMALL, photo('2008_001322.jpg'), '--out', out]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('5 faces in 2 photos: 4 people');
    expect(readdirSync(join(out, 'chips')).sort()).toEqual(['0', '1', '2', '3']);
    // stderr is a pipe here, not a terminal: plain lines, the last one with the totals.
    expect(first.stderr).toMatch(/^dlib-wasm: 2\/2 photos, 5 faces, \d+\.\d s, \d+\.\d photos\/s$/m);

    const second = await run(['cluster', photo('Tom_Cruise_avp_2014_4.jpg'), '--out', out, '--quiet']);
    expect(second.code).toBe(0);
    expect(second.stderr).toBe('');
    expect(readdirSync(join(out, 'chips'))).toEqual(['0']);
    expect(readdirSync(join(out, 'chips', '0'))).toEqual(['0.png']);
    expect(JSON.parse(readFileSync(join(out, 'clusters.json'), 'utf8')).clusters).toHaveLength(1);
    const page = readFileSync(join(out, 'index.html'), 'utf8');
    expect(page).toContain('<title>dlib-wasm: 1 person</title>');
    expect(page).toContain('<h1>1 face, 1 person</h1>');
    expect(leftovers(parent)).toEqual([]);
  });

  it('an interrupted run (SIGINT, SIGTERM) leaves the previous report byte for byte, and no staged folder', async () => {
    const parent = tempDir();
    const out = join(parent, 'out');
    expect((await run(['cluster', SMALL, '--out', out])).code).toBe(0);
    const before = snapshot(out);
    expect(Object.keys(before)).toContain('clusters.json');
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      // Enough photos that the run is still going when the first progress line comes.
      const child = spawn(process.execPath, [cli, 'cluster', ...Array<string>(200).fill(SMALL), '--out', out], { cwd: root });
      let stderr = '';
      const ended = new Promise<number | null>((done) => child.on('exit', (exitCode) => done(exitCode)));
      await new Promise<void>((started, failed) => {
        child.stderr.on('data', (chunk) => {
          stderr += chunk;
          if (/photos, \d+ faces/.test(stderr)) started();
        });
        child.on('exit', () => failed(new Error(`cluster ended before its first progress line: ${stderr}`)));
      });
      expect(leftovers(parent)).toHaveLength(1);
      child.kill(signal);
      expect(await ended).toBe(code);
      expect(snapshot(out)).toEqual(before);
      expect(leftovers(parent)).toEqual([]);
    }
  });

  it('refuses to replace a folder that is not a cluster report, and an output among the inputs', async () => {
    const mine = tempDir();
    writeFileSync(join(mine, 'notes.txt'), 'mine');
    const refused = await run(['cluster', SMALL, '--out', mine]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${mine} holds files that are not part of a cluster report (notes.txt): not replaced`);
    expect(readdirSync(mine)).toEqual(['notes.txt']);

    // A folder of photos named as its own output: its report would be read as photos on the next run.
    const photos = tempDir();
    copyFileSync(SMALL, join(photos, 'a.jpg'));
    const inside = await run(['cluster', photos, '--out', photos]);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain(`--out ${photos} is or holds the input ${photos}`);
    expect(readdirSync(photos)).toEqual(['a.jpg']);
  });

  it('an output folder that cannot be made ends promptly with the reason (no endless mkdir)', async () => {
    const clustered = await run(['cluster', SMALL, '--out', '/proc/self/out']);
    expect(clustered.code).toBe(1);
    expect(clustered.stderr).toMatch(/^dlib-wasm: cannot write a folder beside \/proc\/self\/out: ENOENT/m);
    const listed = await run(['faces', SMALL, '--chips', '/proc/self/out']);
    expect(listed.code).toBe(1);
    expect(listed.stderr).toMatch(/^dlib-wasm: cannot create the chips folder \/proc\/self\/out: ENOENT/m);
  });
});

describe("the CLI's inputs", () => {
  it('faces | head -1: a reader that closes the pipe ends the run quietly, as SIGPIPE ends coreutils (141)', async () => {
    const cli = startCli(['faces', photo('bald_guys.jpg'), photo('2008_001322.jpg'), '--threads', '1']);
    cli.child.stdout!.once('data', () => cli.child.stdout!.destroy());
    const { code, stderr } = await cli.done;
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });

  it('faces --chips: photos of the same name in two folders get chips of their own', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    copyFileSync(SMALL, join(dir, 'a', 'x.jpg'));
    copyFileSync(photo('2008_001322.jpg'), join(dir, 'b', 'x.jpg'));
    const chips = join(dir, 'chips');
    const { code, stdout } = await run(['faces', join(dir, 'a', 'x.jpg'), join(dir, 'b', 'x.jpg'), '--chips', chips]);
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [relative(dir, l.file), relative(chips, l.chip)])).toEqual([
      ['a/x.jpg', 'x_f00.png'],
      ['a/x.jpg', 'x_f01.png'],
      ['b/x.jpg', 'x-2_f00.png'],
      ['b/x.jpg', 'x-2_f01.png'],
      ['b/x.jpg', 'x-2_f02.png'],
    ]);
    expect(readdirSync(chips).sort()).toEqual(['x-2_f00.png', 'x-2_f01.png', 'x-2_f02.png', 'x_f00.png', 'x_f01.png']);
  });

  it('skips FIFOs, named or found in a folder, with a message, in every command', async () => {
    const dir = tempDir();
    const folder = join(dir, 'photos');
    mkdirSync(folder);
    copyFileSync(SMALL, join(folder, 'a.jpg'));
    await new Promise((done) => execFile('mkfifo', [join(folder, 'b.jpg'), join(dir, 'c.png')], done));
    expect(statSync(join(dir, 'c.png')).isFIFO()).toBe(true);
    const fifoSkipped = (file: string) => `dlib-wasm: ${file}: not a regular file (a FIFO)`;

    const clustered = await run(['cluster', folder, join(dir, 'c.png'), '--out', join(dir, 'out'), '--quiet']);
    expect(clustered.code).toBe(1);
    expect(clustered.stderr).toContain(fifoSkipped(join(folder, 'b.jpg')));
    expect(clustered.stderr).toContain(fifoSkipped(join(dir, 'c.png')));
    expect(clustered.stdout).toContain('2 faces in 3 photos');

    const listed = await run(['faces', join(folder, 'b.jpg'), join(folder, 'a.jpg')]);
    expect(listed.code).toBe(1);
    expect(listed.stderr).toContain(fifoSkipped(join(folder, 'b.jpg')));
    expect(listed.stdout.trim().split('\n')).toHaveLength(2);

    const described = await run([
      'descriptors',
      join(dir, 'c.png'),
      join(root, 'examples/chips', readdirSync(join(root, 'examples/chips'))[0]),
    ]);
    expect(described.code).toBe(1);
    expect(described.stderr).toContain(fifoSkipped(join(dir, 'c.png')));
    expect(described.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('a model file of the wrong kind ends faces and cluster with exit 1 (the locate workers are closed)', async () => {
    const wrong = ['--model', 'models/frontal_face_detector.dat'];
    const parent = tempDir();
    for (const args of [
      ['faces', SMALL, ...wrong],
      ['cluster', SMALL, '--out', join(parent, 'out'), ...wrong],
    ]) {
      const { code, stderr } = await run(args);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^dlib-wasm: models\/frontal_face_detector.dat: unsupported add_loss_layer/m);
    }
    // cluster failed after staging its output: the staged folder is gone, and no DIR was made.
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a damaged model file is named with its fault, though no photo decodes or has a face to place', async () => {
    const dir = tempDir();
    const landmarks = join(dir, 'landmarks.dat');
    writeFileSync(landmarks, readFileSync(join(root, 'models/shape_predictor_5_face_landmarks_lfw.dat')).subarray(0, 5000));
    const fault = `dlib-wasm: ${landmarks}: level 0 tree 4 leaves claims 16 elements, more than the 1 bytes left can hold (at byte 4997)\n`;
    const notPhoto = join(dir, 'not-a-photo.jpg');
    writeFileSync(notPhoto, 'text');
    const faceless = join(root, 'examples/chips', readdirSync(join(root, 'examples/chips'))[0]);
    for (const photos of [[notPhoto], [faceless], [SMALL]]) {
      for (const threads of ['1', '2']) {
        const { code, stdout, stderr } = await run(['faces', ...photos, '--landmarks', landmarks, '--threads', threads]);
        expect(code, `${photos} --threads ${threads}`).toBe(1);
        expect(stdout).toBe('');
        expect(stderr).toBe(`${photos[0] === notPhoto ? `dlib-wasm: ${notPhoto}: not a PNG or JPEG file\n` : ''}${fault}`);
      }
    }
    // Two photos on two threads: locate workers, which start on their photos before the model is read, and wait for it in vain.
    for (const photos of [
      [faceless, faceless],
      [SMALL, SMALL],
    ]) {
      const { code, stdout, stderr } = await run(['faces', ...photos, '--landmarks', landmarks, '--threads', '2']);
      expect(code, `${photos} on workers`).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe(fault);
    }
    const detector = join(dir, 'detector.dat');
    writeFileSync(detector, readFileSync(join(root, 'models/mmod_human_face_detector.dat')).subarray(0, 3000));
    const detected = await run(['detect', detector, SMALL]);
    expect(detected.code).toBe(1);
    expect(detected.stderr).toBe(
      `dlib-wasm: ${detector}: con params tensor of shape [1216,1,1,1] needs 4864 bytes, 2847 left (in layer<19> at byte 142)\n`,
    );
    const folder = await run(['run', dir, SMALL]);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toBe(`dlib-wasm: ${dir}: not a regular file (a folder)\n`);
  });

  it('refuses --upsample past 4 and bench --threads past 64 up front, saying why', async () => {
    const upsampled = await run(['faces', SMALL, '--upsample', '9']);
    expect(upsampled.code).toBe(2);
    expect(upsampled.stderr).toContain("--upsample must be at most 4, got 9: each doubles the photo's sides");
    const threaded = await run(['bench', '--threads', '1000']);
    expect(threaded.code).toBe(2);
    expect(threaded.stderr).toContain("--threads must be at most 64 (the engine's limit), got 1000");
  });

  it('bench warns when --threads is more than the cores', async () => {
    const threads = availableParallelism() + 1;
    if (threads > 64) return;
    const { code, stderr } = await run(['bench', '--threads', String(threads), '--batch', '1', '--runs', '1']);
    expect(code).toBe(0);
    expect(stderr).toContain(`--threads ${threads} is more than the ${threads - 1} cores Node reports`);
  });

  it("lists a folder of more photos than fit in a call's arguments", async () => {
    // 40,000 files on a 250 KB stack overflow a push(...names) as 150,000 do on the default
    // one (~1 MB), and the CLI runs with room to spare on it.
    const dir = tempDir();
    for (let i = 0; i < 40_000; i++) writeFileSync(join(dir, `${i}.jpg`), '');
    const { code, stderr } = await run(
      ['cluster', dir, '--out', join(tempDir(), 'out'), '--model', 'no-such-model.dat'],
      ['--stack-size=250'],
    );
    expect(stderr).not.toContain('Maximum call stack size exceeded');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^dlib-wasm: ENOENT.*no-such-model\.dat/m);
    rmSync(dir, { recursive: true });
  });
});
