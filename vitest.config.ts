import { spawnSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';

// Node 20 has relaxed SIMD behind a flag (later versions have it on, and may
// reject the flag): turn it on where it exists, so that the tests run the
// relaxed-SIMD kernel build as well as the plain one.
const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';
const flagAccepted = spawnSync(process.execPath, [RELAXED_SIMD_FLAG, '-e', ''], { stdio: 'ignore' }).status === 0;

/**
 * `vitest run --mode quick` (npm run test:quick): the Node parity and unit tests against src/,
 * with a sample of the reference photos (test/support/suite.ts); none of the tests that need the
 * built package, another runtime or a browser.
 */
const NOT_QUICK = [
  'browser-runtimes',
  'demo-page',
  'server-runtimes',
  'edge-runtime',
  'package-contents',
  'readme-figures',
  'core-portability',
  'engine-variants',
  'precompiled-wasm',
  'cli',
  'cli-output',
  'decoder-cli',
  'recognize-cli',
  'run-cli',
  'cnn-detector-cli',
  'lfw-subset',
].map((name) => `test/${name}.test.ts`);

export default defineConfig(({ mode }) => ({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: mode === 'quick' ? NOT_QUICK : [],
    // Both cores for the quick suite (under a minute on 2); the full one keeps vitest's default,
    // so that the browser and runtime tests, which start threads of their own, are not squeezed.
    ...(mode === 'quick' ? { maxWorkers: 2 } : {}),
    env: { DLIB_WASM_TEST_MODE: mode },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    execArgv: flagAccepted ? [RELAXED_SIMD_FLAG] : [],
  },
}));
