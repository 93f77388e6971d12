import { expect, it } from 'vitest';
import { createKernelMemory, instantiateKernels } from '../src/engine/kernels.js';
import { loadKernelsForThreads, ThreadTeam } from '../src/engine/thread-team.js';
import { DlibWasmError } from '../src/errors.js';
import type { PlanStep } from '../src/plan/execution-plan.js';

const PAGE = 65536;

/** ReLU in place over `floats` floats from the second page: the caller takes the first half, the worker the second. */
function reluStep(floats: number): PlanStep {
  return { label: 'relu', macs: 0, nodeMacs: 0, kernel: 'f32_relu__simd128', args: [PAGE, PAGE], work: { perSample: floats, granule: 1 } };
}

it('a kernel that traps on a worker thread is an error on the calling thread, not a hang; the team goes on', async () => {
  const { module, sharedMemory, spawn } = await loadKernelsForThreads(2, {});
  expect(sharedMemory).toBe(true);
  const memory = createKernelMemory(2, true);
  const kernels = await instantiateKernels(module, memory);
  const team = await ThreadTeam.create(spawn!, module, memory, 2);
  const floats = new Float32Array(memory.buffer, PAGE, PAGE / 4);
  try {
    // Twice the floats there are: the caller's half is in memory, the worker's half past its end.
    expect(() => team.run(kernels, reluStep(2 * floats.length), 0, 1)).toThrow(DlibWasmError);
    expect(() => team.run(kernels, reluStep(2 * floats.length), 0, 1)).toThrow(/worker thread 1 trapped in f32_relu__simd128 \(relu\)/);
    floats.fill(-1);
    team.run(kernels, reluStep(floats.length), 0, 1);
    expect(floats.every((x) => x === 0)).toBe(true);
  } finally {
    team.dispose();
  }
});
