// Section 1: the machine's WebAssembly SIMD peak, plain and relaxed, from a
// tiny AssemblyScript probe compiled here with asc (the same compiler and
// feature switches as scripts/build-wasm.mjs): one process alone, then one
// process per core at the same time (what threads can reach at most).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { runChild } from '../support/child-process.mjs';

const ASC = new URL('../../node_modules/.bin/asc', import.meta.url).pathname;
const PROBE_SOURCE = new URL('./f32-peak-probe.ts', import.meta.url).pathname;
const PROBE_CHILD = new URL('./probe-child.mjs', import.meta.url).pathname;
const BUILD_DIR = new URL('../../build/bench/', import.meta.url).pathname;
const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';
/** Time for the concurrent probes to start and warm up before their common start. */
const START_DELAY_MS = 2000;

function compileProbe(name, features) {
  mkdirSync(BUILD_DIR, { recursive: true });
  const out = `${BUILD_DIR}f32-peak-probe-${name}.wasm`;
  execFileSync(ASC, [PROBE_SOURCE, '-o', out, '-O3', '--runtime', 'stub', ...features.flatMap((f) => ['--enable', f])], {
    stdio: 'inherit',
  });
  return out;
}

/** Node 20 has relaxed SIMD behind a flag; later versions have it on and may reject the flag. */
function relaxedSimdNodeFlags() {
  const accepted = spawnSync(process.execPath, [RELAXED_SIMD_FLAG, '-e', ''], { stdio: 'ignore' }).status === 0;
  return accepted ? [RELAXED_SIMD_FLAG] : [];
}

/** The probe alone, then `processes` probes at once (GFLOP/s summed). */
async function measureBuild(wasm, nodeFlags, processes) {
  const probe = (startAt) => runChild(PROBE_CHILD, [wasm, startAt], { nodeFlags });
  try {
    const alone = await probe(Date.now());
    if (!alone.available) return { nodeFlags, ...alone };
    const startAt = Date.now() + START_DELAY_MS;
    const together = await Promise.all(Array.from({ length: processes }, () => probe(startAt)));
    return {
      nodeFlags,
      available: true,
      oneCore: alone,
      allCores: {
        processes,
        gflops: together.reduce((sum, result) => sum + result.gflops, 0),
        medianGflops: together.reduce((sum, result) => sum + result.medianGflops, 0),
        perProcess: together,
      },
    };
  } catch (error) {
    // Node refused the flag, or the probe crashed: the build is unavailable here, the report goes on.
    return { nodeFlags, available: false, reason: error.message.split('\n')[0] };
  }
}

export async function measurePeak() {
  const processes = os.availableParallelism();
  const plainWasm = compileProbe('simd', ['simd']);
  const relaxedWasm = compileProbe('relaxed-simd', ['simd', 'relaxed-simd']);
  return {
    method:
      'best call of each probe process; FLOP = iterations x chains x 8 (f32x4 multiply + add); all cores = one process per core at once, summed',
    plain: await measureBuild(plainWasm, [], processes),
    relaxed: await measureBuild(relaxedWasm, relaxedSimdNodeFlags(), processes),
  };
}

/**
 * The peak of the build an engine runs (relaxed or plain SIMD) for
 * `threads` threads: measured for one and for all cores, proportional in
 * between; undefined where that build could not be measured.
 */
export function peakFor(peak, relaxedSimd, threads) {
  const build = relaxedSimd ? peak.relaxed : peak.plain;
  if (!build.available) return undefined;
  if (threads === 1) return build.oneCore.gflops;
  if (threads === build.allCores.processes) return build.allCores.gflops;
  return build.oneCore.gflops * threads;
}
