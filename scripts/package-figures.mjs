// The README's figures that follow from the build: sizes of the kernel builds, the browser bundle
// and the npm package. `npm run docs:figures` writes them into the README's marked spans
// (<!--figure:NAME-->...<!--/figure-->); test/readme-figures.test.ts fails when one is stale.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { rolldown } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
const KERNEL_BUILDS = ['simd', 'relaxed-simd', 'simd-shared', 'relaxed-simd-shared'];
const README = `${root}README.md`;
const FIGURE = /<!--figure:([\w-]+)-->(.*?)<!--\/figure-->/g;

const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const gzipped = (bytes) => gzipSync(bytes, { level: 9 }).length;

/** The largest of the four kernel builds in dist/wasm/, as it is and gzipped. */
function kernelBuild() {
  const sizes = KERNEL_BUILDS.map((build) => readFileSync(`${root}dist/wasm/kernels-${build}.wasm`));
  const largest = sizes.reduce((a, b) => (b.length > a.length ? b : a));
  return `${kb(largest.length)}, ${kb(gzipped(largest))} gzipped`;
}

/** The face model bundled for the browser from dist/ by rolldown (Vite's bundler), minified. */
async function faceModelBundle() {
  const folder = `${root}build/bundle-check`;
  mkdirSync(folder, { recursive: true });
  writeFileSync(`${folder}/figures.js`, "export { loadFaceRecognitionModel } from '../../dist/index.js';\n");
  const build = await rolldown({ input: `${folder}/figures.js`, platform: 'browser', logLevel: 'silent' });
  const { output } = await build.generate({ format: 'esm', minify: true });
  await build.close();
  const code = Buffer.from(output.map((chunk) => ('code' in chunk ? chunk.code : '')).join('\n'));
  return `${kb(code.length)} minified, ${kb(gzipped(code))} gzipped`;
}

/** What `npm pack` would write. */
async function packageTarball() {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
  const [{ size, unpackedSize }] = JSON.parse(stdout);
  return `${mb(size)} (${mb(unpackedSize)} unpacked)`;
}

/** Every figure, by the name its README span has. */
export async function packageFigures() {
  const [bundle, tarball] = await Promise.all([faceModelBundle(), packageTarball()]);
  return { 'kernel-build': kernelBuild(), 'face-model-bundle': bundle, 'package-tarball': tarball };
}

/** The README's figures as they are written now. */
export function readmeFigures(text = readFileSync(README, 'utf8')) {
  return Object.fromEntries([...text.matchAll(FIGURE)].map(([, name, value]) => [name, value]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const figures = await packageFigures();
  const text = readFileSync(README, 'utf8').replace(FIGURE, (span, name) =>
    name in figures ? `<!--figure:${name}-->${figures[name]}<!--/figure-->` : span,
  );
  writeFileSync(README, text);
  console.log(figures);
}
