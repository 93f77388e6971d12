import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { maxAbsDiff } from './support/helpers.js';
import { runtimeBinary } from './support/runtime-binaries.js';

// The CLI as `npm run build` builds it, run by Deno (`deno run -A`) and Bun as a user would run it.
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const photos = [
  'test/fixtures/photos/2008_001322.jpg',
  'test/fixtures/photos/2008_001009.jpg',
  'test/fixtures/photos/2008_002470.jpg',
  'test/fixtures/photos/2009_004587.jpg',
];
// Each runtime's CLI cache apart: its first run writes the entries, its second reads them.
const caches = mkdtempSync(join(tmpdir(), 'dlib-wasm-cli-runtimes-'));
afterAll(() => rmSync(caches, { recursive: true, force: true }));

interface FaceLine {
  file: string;
  rect: unknown;
  confidence: number;
  landmarks: unknown;
  descriptor: number[];
}

async function faces(runtime: string, command: string, args: string[], threads: number, files = photos): Promise<FaceLine[]> {
  const { stdout } = await promisify(execFile)(command, [...args, cli, 'faces', ...files, '--threads', String(threads)], {
    cwd: root,
    // A CLI that never exits fails here.
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: join(caches, runtime) },
  });
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as FaceLine);
}

/** Node's lines, `runtime`'s lines being the same faces: rects and landmarks exactly, the rest within 1e-5. */
function expectNodesFaces(lines: FaceLine[], expected: FaceLine[]): void {
  expect(lines.map(({ file, rect, landmarks }) => ({ file, rect, landmarks }))).toEqual(
    expected.map(({ file, rect, landmarks }) => ({ file, rect, landmarks })),
  );
  lines.forEach((line, i) => {
    // Relaxed SIMD's fused multiply-adds where the runtime has them: the last bits may differ.
    expect(Math.abs(line.confidence - expected[i].confidence)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(line.descriptor, expected[i].descriptor)).toBeLessThanOrEqual(1e-5);
  });
}

const onNode = faces('node', process.execPath, [], 2);

describe.each([
  { runtime: 'deno', args: ['run', '-A', '--no-config', '--no-lock'] },
  { runtime: 'bun', args: [] },
] as const)('the CLI on $runtime', ({ runtime, args }) => {
  // Two: a worker per core, the photos claimed from a shared queue. One (with the cache the first run wrote): the calling
  // thread locates the photos itself and waits on that queue alone, which Deno once took for a program with nothing to do.
  it.each([2, 1])(
    "gives Node's faces at --threads %i",
    async (threads) => {
      const lines = await faces(runtime, runtimeBinary(runtime), [...args], threads);
      expect(lines).toHaveLength(13);
      expectNodesFaces(lines, await onNode);
    },
    90_000,
  );

  // The table's harness runs on Node, which forks a Node process per engine: Deno's fork ran Deno's own arguments.
  it('bench --peers --quick in a project without peers: measures dlib-wasm on Node 22', async () => {
    const project = mkdtempSync(join(tmpdir(), 'dlib-wasm-no-peers-'));
    try {
      const { stdout } = await promisify(execFile)(runtimeBinary(runtime), [...args, cli, 'bench', '--peers', '--quick'], {
        cwd: project,
        timeout: 120_000,
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect(stdout).toMatch(/^engines run on node v22\./m);
      expect(stdout).toMatch(/^dlib-wasm +(relaxed )?SIMD, 1T +- +\d+\.\d +- +\d+ +\d+ +1\.00x$/m);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  }, 150_000);

  if (runtime === 'bun') {
    // (Deno runs itself for a `node` it cannot find.)
    it('bench --peers without a Node on the PATH: says the table needs one', async () => {
      const run = promisify(execFile)(runtimeBinary(runtime), [...args, cli, 'bench', '--peers', '--quick'], {
        cwd: root,
        timeout: 60_000,
        env: { ...process.env, NO_COLOR: '1', PATH: caches },
      });
      await expect(run).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('dlib-wasm: the peers table runs on Node, and node could not be started'),
      });
    });
  }

  // One photo on 2 threads: the calling thread locates it, its detector on both threads. Deno never ended while
  // that detector's worker was alive.
  it("gives Node's faces of a single photo, and exits", async () => {
    const lines = await faces(runtime, runtimeBinary(runtime), [...args], 2, photos.slice(0, 1));
    expect(lines).toHaveLength(3);
    expectNodesFaces(lines, (await onNode).slice(0, 3));
  }, 90_000);
});
