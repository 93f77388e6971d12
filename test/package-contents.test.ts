import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runtimeBinary } from './support/runtime-binaries.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const packageJson = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const KERNEL_BUILDS = ['simd', 'relaxed-simd', 'simd-shared', 'relaxed-simd-shared'];

interface PackResult {
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

/** What `npm pack` would put in the tarball (it gzips the whole model: seconds, so once). */
const packed = run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root }).then(
  ({ stdout }) => (JSON.parse(stdout) as PackResult[])[0],
);

/** Every source under src/, by its path without extension. */
function sourceModules(folder = 'src'): string[] {
  return readdirSync(`${root}${folder}`, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceModules(`${folder}/${entry.name}`)
      : entry.name.endsWith('.ts')
        ? [`${folder}/${entry.name}`.slice(4, -3)]
        : [],
  );
}

describe('the npm package', () => {
  it('holds the built library, the wasm builds, the model, the examples and the README: no tests, bench, sources or scratch', async () => {
    const { size, unpackedSize, files } = await packed;
    const paths = files.map((file) => file.path);
    const allowed = [
      /^package\.json$/,
      /^README\.md$/,
      /^LICENSE$/,
      /^examples\/[\w/.-]+\.(md|png|jpg)$/,
      /^models\/(README\.md|[\w.-]+\.dat)$/,
      /^dist\/[\w/.-]+\.(js|d\.ts|js\.map)$/,
      /^dist\/wasm\/kernels-[\w-]+\.wasm$/,
    ];
    expect(paths.filter((path) => !allowed.some((pattern) => pattern.test(path)))).toEqual([]);
    for (const required of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/worker.js',
      'dist/cli/main.js',
      // The pool starts its workers from this file, by a URL next to its own.
      'dist/cli/photo-locator-worker.js',
      'README.md',
      'models/dlib_face_recognition_resnet_model_v1.dat',
      // The CLI's --detector cnn.
      'models/mmod_human_face_detector.dat',
      ...KERNEL_BUILDS.map((build) => `dist/wasm/kernels-${build}.wasm`),
    ])
      expect(paths).toContain(required);
    expect(paths.filter((path) => path.startsWith('examples/chips/'))).toHaveLength(8);
    // The CLI's bundle (scripts/bundle-cli.mjs): its entry files and the chunks beside them.
    const bundleChunks = paths.filter((path) => /^dist\/cli\/bundle-[\w-]+\.js$/.test(path));
    expect(bundleChunks.length).toBeGreaterThan(0);
    // Nothing stale: every other module in dist/ is built from a source in src/, with its declarations.
    const sources = new Set(sourceModules());
    const modules = paths
      .filter((path) => path.startsWith('dist/') && path.endsWith('.js') && !bundleChunks.includes(path))
      .map((path) => path.slice(5, -3));
    expect(modules.filter((module) => !sources.has(module))).toEqual([]);
    expect(modules.filter((module) => !paths.includes(`dist/${module}.d.ts`))).toEqual([]);

    const wasmGzipped = Object.fromEntries(
      KERNEL_BUILDS.map((build) => {
        const bytes = readFileSync(`${root}dist/wasm/kernels-${build}.wasm`);
        return [build, { bytes: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length }];
      }),
    );
    console.log(JSON.stringify({ tarballBytes: size, unpackedBytes: unpackedSize, files: files.length, wasm: wasmGzipped }));
    // The models are most of it (the face model alone is 21.4 MiB of floats, 5.7 MiB packed); code and wasm are well under 1 MiB.
    expect(size).toBeLessThan(16 * 2 ** 20);
    for (const { gzipped } of Object.values(wasmGzipped)) expect(gzipped).toBeLessThan(32 * 1024);
  });

  it('exports ESM with types; every export target is in the package', async () => {
    expect(packageJson.type).toBe('module');
    expect(packageJson.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    const { files } = await packed;
    const paths = files.map((file) => `./${file.path}`);
    for (const [name, target] of Object.entries<string | Record<string, string>>(packageJson.exports)) {
      for (const path of typeof target === 'string' ? [target] : Object.values(target)) {
        const pattern = new RegExp(`^${path.replace(/[.]/g, '\\.').replace('*', '.+')}$`);
        expect(
          paths.some((p) => pattern.test(p)),
          `${name} -> ${path}`,
        ).toBe(true);
      }
    }
    // Only the worker script runs for its effect; bundlers may drop anything else that is unused.
    expect(packageJson.sideEffects).toEqual(['./dist/worker.js']);
  });

  it('type-checks a consumer that imports it by name (node16 and bundler resolution)', async () => {
    // Inside the package folder, so that its name resolves to itself through exports.
    const folder = `${root}build/consumer-check`;
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      `${folder}/consumer.ts`,
      `
      import { loadFaceRecognitionModel, descriptorDistance, WorkerStartError, type ModelSource, type BackendInfo } from 'dlib-wasm';
      import { exportOnnx, type OnnxExport } from 'dlib-wasm/onnx';
      const source: ModelSource = new Response(new Uint8Array(8));
      const model = await loadFaceRecognitionModel(source, { threads: 2, workerUrl: new URL('dlib-wasm/worker', import.meta.url) });
      const backend: BackendInfo = model.backend;
      console.log(backend.threads, descriptorDistance(new Float32Array(128), new Float32Array(128)), WorkerStartError.name);
      const exported: OnnxExport = exportOnnx(model.network.description);
      console.log(exported.model.byteLength, exported.outputNote);
    `,
    );
    for (const moduleResolution of ['node16', 'bundler']) {
      writeFileSync(
        `${folder}/tsconfig.json`,
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: moduleResolution === 'node16' ? 'node16' : 'ES2022',
            moduleResolution,
            lib: ['ES2022', 'DOM'],
            types: [],
            strict: true,
            noEmit: true,
          },
          files: ['consumer.ts'],
        }),
      );
      await run(`${root}node_modules/.bin/tsc`, ['-p', folder], { cwd: folder });
    }
  });

  it('is ESM only, and Node 22 require()s it all the same (no top-level await)', async () => {
    const script = "const dlib = require('dlib-wasm'); console.log(typeof dlib.loadFaceRecognitionModel, typeof dlib.chineseWhispers)";
    const { stdout } = await run(runtimeBinary('node22'), ['-e', script], { cwd: root });
    expect(stdout.trim()).toBe('function function');
  });
});
