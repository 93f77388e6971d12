import { spawnSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';

// Node 20 has relaxed SIMD behind a flag (later versions have it on, and may
// reject the flag): turn it on where it exists, so that the tests run the
// relaxed-SIMD kernel build as well as the plain one.
const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';
const flagAccepted = spawnSync(process.execPath, [RELAXED_SIMD_FLAG, '-e', ''], { stdio: 'ignore' }).status === 0;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    execArgv: flagAccepted ? [RELAXED_SIMD_FLAG] : [],
  },
});
