import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadFaceRecognitionModel } from '../src/index.js';
import { faceModelBytes, maxAbsDiff } from './support/helpers.js';
import { writeParityPayload, type ParityResult } from './parity/parity-payload.js';
import { runtimeBinary } from './support/runtime-binaries.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const payloadPath = writeParityPayload();

/** Runs parity/server-runtime.mjs, the package's dist/ as it is, under one runtime. */
async function parityIn(command: string, args: string[]): Promise<ParityResult> {
  const { stdout } = await promisify(execFile)(command, [...args, 'test/parity/server-runtime.mjs', payloadPath], {
    cwd: root,
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ParityResult;
}

// Each runs with the default options: threads as the runtime reports cores (2 here), relaxed SIMD where it validates.
const cores = availableParallelism();
const runtimes = [
  // Node 20 has relaxed SIMD only behind a flag, which the package cannot set: it runs the plain SIMD build.
  { name: 'Node 20 (worker_threads)', command: () => process.execPath, args: [], relaxedSimd: false },
  { name: 'Node 22 (worker_threads)', command: () => runtimeBinary('node22'), args: [], relaxedSimd: true },
  // Deno's Web Workers; --allow-read for this harness's files, nothing more.
  {
    name: 'Deno 2 (Web Workers)',
    command: () => runtimeBinary('deno'),
    args: ['run', '--no-config', '--no-lock', `--allow-read=${root},${payloadPath}`],
    relaxedSimd: true,
  },
  { name: 'Bun (its Web Workers)', command: () => runtimeBinary('bun'), args: [], relaxedSimd: true },
];

describe.each(runtimes)('$name', ({ command, args, relaxedSimd }) => {
  it(`gives dlib's descriptors with SIMD${relaxedSimd ? ', relaxed SIMD' : ''} and ${cores} threads`, async () => {
    const result = await parityIn(command(), args);
    console.log(`${result.runtime}: ${JSON.stringify(result)}`);
    expect(result.chips).toBe(6);
    expect(result.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(result.backend).toEqual({ simd: true, relaxedSimd, threads: cores });
    // Web Workers are counted where they are the runtime's threads (Node's worker_threads are not Web Workers).
    if (result.workersStarted !== null) expect(result.workersStarted).toBe(cores - 1);
  });
});

describe('Deno with no permission at all', () => {
  it('loads the model streamed from stdin and runs it on threads: the package asks for nothing', async () => {
    const child = execFile(runtimeBinary('deno'), ['run', '--no-prompt', '--no-config', '--no-lock', 'test/parity/deno-stdin-model.mjs'], {
      cwd: root,
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    createReadStream(`${root}models/dlib_face_recognition_resnet_model_v1.dat`).pipe(child.stdin!);
    const stdout = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout!.on('data', (chunk) => (out += chunk));
      child.stderr!.on('data', (chunk) => (err += chunk));
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`deno exited with ${code}: ${err}`))));
    });
    const { backend, descriptor } = JSON.parse(stdout) as { backend: unknown; descriptor: number[] };
    expect(backend).toEqual({ simd: true, relaxedSimd: true, threads: cores });
    const model = await loadFaceRecognitionModel(faceModelBytes(), { threads: 1 });
    const expected = await model.computeFaceDescriptor({ width: 150, height: 150, data: new Uint8Array(150 * 150 * 3) });
    model.dispose();
    expect(maxAbsDiff(descriptor, expected)).toBeLessThanOrEqual(1e-5);
  });
});

describe('a model never disposed', () => {
  /** Runs no-dispose.mjs; once it has printed its line, waits `graceMs` for the process to end by itself. */
  async function endsAfterItsRun(command: string, args: string[], graceMs: number): Promise<{ ended: boolean; stdout: string }> {
    const child = execFile(command, [...args, 'test/parity/no-dispose.mjs'], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    const ended = await new Promise<boolean>((resolve) => {
      const timers = [setTimeout(() => resolve(false), 30_000)];
      child.stdout!.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('\n')) timers.push(setTimeout(() => resolve(false), graceMs));
      });
      child.on('close', () => resolve(true));
      child.on('close', () => timers.forEach(clearTimeout));
    });
    if (!ended) child.kill();
    return { ended, stdout };
  }

  it.each([
    ['Bun', () => runtimeBinary('bun'), []],
    ['Node 22', () => runtimeBinary('node22'), []],
  ])('%s ends by itself: its idle workers are unreferenced', async (_, command, args) => {
    const { ended, stdout } = await endsAfterItsRun(command(), args, 10_000);
    expect(JSON.parse(stdout)).toEqual({ threads: 2 });
    expect(ended).toBe(true);
  });

  it('Deno stays alive until dispose(), as the README says: its Web Workers cannot be unreferenced', async () => {
    const { ended, stdout } = await endsAfterItsRun(
      runtimeBinary('deno'),
      ['run', '--no-config', '--no-lock', `--allow-read=${root}`],
      2_000,
    );
    expect(JSON.parse(stdout)).toEqual({ threads: 2 });
    expect(ended).toBe(false);
  });
});
