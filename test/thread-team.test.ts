import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { createKernelMemory, instantiateKernels } from '../src/engine/kernels.js';
import type { WorkerHandle } from '../src/engine/spawn-workers.js';
import { loadKernelsForThreads, ThreadTeam } from '../src/engine/thread-team.js';
import { DlibWasmError, WasmMemoryError, WorkerDiedError } from '../src/errors.js';
import { loadFrontalFaceDetector, loadNetwork } from '../src/index.js';
import { fixture, fixtureJson, fixturePng, thrown } from './support/helpers.js';
import { runWhole, type ParallelCall } from '../src/engine/parallel-call.js';
import { WASM_PAGE_BYTES } from '../src/memory-layout.js';

const PAGE = WASM_PAGE_BYTES;

/** ReLU in place over `floats` floats from the second page: the caller takes the first half, the worker the second. */
function reluCall(floats: number): ParallelCall {
  return { label: 'relu', kernel: 'f32_relu__simd128', args: [PAGE, PAGE], split: { first: 0, items: floats, macs: 0 } };
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
    expect(() => team.run(kernels, reluCall(2 * floats.length))).toThrow(DlibWasmError);
    expect(() => team.run(kernels, reluCall(2 * floats.length))).toThrow(/worker thread 1 trapped in f32_relu__simd128 \(relu\)/);
    floats.fill(-1);
    team.run(kernels, reluCall(floats.length));
    expect(floats.every((x) => x === 0)).toBe(true);
  } finally {
    team.dispose();
  }
});

it('passes f32 arguments to a worker intact: the worker converts its pixels with the means the caller gave, bit for bit', async () => {
  const { module, spawn } = await loadKernelsForThreads(2, {});
  const memory = createKernelMemory(4, true);
  const kernels = await instantiateKernels(module, memory);
  const team = await ThreadTeam.create(spawn!, module, memory, 2);
  const pixels = 4096; // well over the items that the team splits: the worker converts the second half
  const src = PAGE;
  const [oneThread, twoThreads] = [src + 3 * pixels, src + 3 * pixels + 12 * pixels];
  new Uint8Array(memory.buffer, src, 3 * pixels).set(Uint8Array.from({ length: 3 * pixels }, (_, i) => (i * 7) & 255));
  // dlib's face model means: an Int32 slot would have given the worker 122, 117 and 104.
  const means = [122.782, 117.001, 104.298] as const;
  const convert = (y: number): ParallelCall => ({
    kernel: 'u8_rgb_to_f32_nhwc',
    args: [src, 3, 3, 1, 1, ...means, y, 12],
    split: { first: 0, items: pixels, macs: 0 },
  });
  try {
    runWhole(kernels, convert(oneThread));
    team.run(kernels, convert(twoThreads));
    const bits = (at: number) => Array.from(new Uint32Array(memory.buffer, at, 3 * pixels));
    expect(bits(twoThreads)).toEqual(bits(oneThread));
    const last = new Float32Array(memory.buffer, twoThreads + 12 * (pixels - 1), 3);
    const lastPixel = new Uint8Array(memory.buffer, src + 3 * (pixels - 1), 3);
    expect(Array.from(last)).toEqual(Array.from(lastPixel, (v, c) => Math.fround(v - Math.fround(means[c])) / 256));
  } finally {
    team.dispose();
  }
});

/** The team's workers (private: a test reaches in to kill one, as the runtime would). */
function workersOf(team: ThreadTeam): WorkerHandle[] {
  return (team as unknown as { workers: WorkerHandle[] }).workers;
}

/** Blocks the calling thread, as a run does: the event loop cannot deliver a worker's exit meanwhile. */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('a dead worker', () => {
  async function twoThreadTeam() {
    const { module, spawn } = await loadKernelsForThreads(2, {});
    const memory = createKernelMemory(2, true);
    const kernels = await instantiateKernels(module, memory);
    return { kernels, team: await ThreadTeam.create(spawn!, module, memory, 2) };
  }

  it('killed while the caller waits is a WorkerDiedError within seconds, not a hang; the team then refuses work', {
    timeout: 15_000,
  }, async () => {
    const { kernels, team } = await twoThreadTeam();
    try {
      workersOf(team)[0].terminate();
      // The worker thread stops on its own; its exit event waits for an event loop that the run below blocks.
      blockFor(300);
      const error = thrown(() => team.run(kernels, reluCall(PAGE / 4)));
      expect(error).toBeInstanceOf(WorkerDiedError);
      expect((error as Error).message).toMatch(
        /^1 of 1 worker threads did not take their share within 5 s: a worker has died \(terminated or out of memory\); this model cannot run any more: dispose\(\) it and load it again$/,
      );
      expect(() => team.run(kernels, reluCall(PAGE / 4))).toThrow(WorkerDiedError);
    } finally {
      team.dispose();
    }
  });

  it('not taking the command: the caller sleeps at once instead of spinning on a core that worker may need', {
    timeout: 15_000,
  }, async () => {
    const { kernels, team } = await twoThreadTeam();
    workersOf(team)[0].terminate();
    blockFor(300);
    const loads = vi.spyOn(Atomics, 'load');
    const waits = vi.spyOn(Atomics, 'wait');
    try {
      expect(() => team.run(kernels, reluCall(PAGE / 4))).toThrow(WorkerDiedError);
      // Every poll of the control block is an Atomics.load: a few before the first sleep, not a spin's 200,000.
      const firstWait = waits.mock.invocationCallOrder[0];
      expect(firstWait).toBeDefined();
      expect(loads.mock.invocationCallOrder.filter((order) => order < firstWait).length).toBeLessThan(100);
    } finally {
      loads.mockRestore();
      waits.mockRestore();
      team.dispose();
    }
  });

  it('that died between runs is a WorkerDiedError at once', async () => {
    const { kernels, team } = await twoThreadTeam();
    try {
      const died = new Promise<string>((resolve) => workersOf(team)[0].onDeath(resolve));
      workersOf(team)[0].terminate();
      expect(await died).toBe('exited (code 1)');
      expect(() => team.run(kernels, reluCall(PAGE / 4))).toThrow(/^worker thread 1 exited \(code 1\); this model cannot run any more/);
    } finally {
      team.dispose();
    }
  });

  it('of a 2-thread network or detector makes the next call reject with WorkerDiedError', { timeout: 15_000 }, async () => {
    const net = fixtureJson('zoo/residual_mini.json');
    const network = await loadNetwork(fixture('zoo/residual_mini.dat'), { printout: net.dlib_printout, threads: 2 });
    const detector = await loadFrontalFaceDetector(
      new Uint8Array(readFileSync(new URL('../models/frontal_face_detector.dat', import.meta.url))),
      { threads: 2 },
    );
    const image = fixturePng(`zoo/${net.input_png}`);
    const photo = { width: 320, height: 240, data: new Uint8Array(320 * 240 * 3).map((_, i) => (i * 13) & 255) };
    expect(network.backend.threads).toBe(2);
    expect(detector.threads).toBe(2);
    await network.run([image]);
    detector.detectFaces(photo);
    for (const owner of [network, detector]) {
      const team = owner as unknown as { team?: ThreadTeam; runtime?: { team: ThreadTeam } };
      const handle = workersOf(team.team ?? team.runtime!.team)[0];
      const died = new Promise((resolve) => handle.onDeath(resolve));
      handle.terminate();
      await died;
    }
    await expect(network.run([image])).rejects.toThrow(WorkerDiedError);
    expect(() => detector.detectFaces(photo)).toThrow(WorkerDiedError);
    network.dispose();
    detector.dispose();
  });
});

describe('an address-space limit', () => {
  /** Runs `f` with WebAssembly.Memory refusing what `refuse` says, as under `ulimit -v`. */
  async function withMemoryRefused<T>(refuse: (descriptor: WebAssembly.MemoryDescriptor) => boolean, f: () => Promise<T>): Promise<T> {
    const real = WebAssembly.Memory;
    const limited = function Memory(descriptor: WebAssembly.MemoryDescriptor) {
      if (refuse(descriptor)) throw new RangeError('WebAssembly.Memory(): could not allocate memory');
      return new real(descriptor);
    };
    limited.prototype = real.prototype;
    (WebAssembly as { Memory: unknown }).Memory = limited;
    try {
      return await f();
    } finally {
      (WebAssembly as { Memory: unknown }).Memory = real;
    }
  }
  // The probe for shared memory reserves one page; the kernels' shared memory reserves 4 GiB.
  const bigShared = (d: WebAssembly.MemoryDescriptor) => d.shared === true && (d.maximum ?? 0) > 1;
  const net = fixtureJson('zoo/residual_mini.json');
  const load = (threads: number) => loadNetwork(fixture('zoo/residual_mini.dat'), { printout: net.dlib_printout, threads });

  it('that refuses the shared memory falls back to one thread, and says so', async () => {
    const image = fixturePng(`zoo/${net.input_png}`);
    const network = await withMemoryRefused(bigShared, () => load(2));
    expect(network.backend.threads).toBe(1);
    const reference = await load(1);
    expect((await network.run([image]))[0]).toEqual((await reference.run([image]))[0]);
    const detector = await withMemoryRefused(bigShared, () =>
      loadFrontalFaceDetector(new Uint8Array(readFileSync(new URL('../models/frontal_face_detector.dat', import.meta.url))), {
        threads: 2,
      }),
    );
    expect(detector.threads).toBe(1);
    network.dispose();
    reference.dispose();
    detector.dispose();
  });

  it('that refuses any memory is a WasmMemoryError that says what and why, not a bare RangeError', async () => {
    const error = await withMemoryRefused(
      () => true,
      () =>
        load(1).then(
          () => undefined,
          (e: unknown) => e,
        ),
    );
    expect(error).toBeInstanceOf(WasmMemoryError);
    expect((error as Error).message).toMatch(
      /^the runtime could not allocate 128 KiB of WebAssembly memory: RangeError: WebAssembly.Memory\(\): could not allocate memory; is the process under an address-space limit \(ulimit -v\) or out of memory\?$/,
    );
  });
});
