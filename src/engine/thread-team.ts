import { DlibWasmError, InputError, WasmMemoryError, WorkerDiedError } from '../errors.js';
import {
  createKernelMemory,
  KERNEL_NAMES,
  loadKernelModule,
  runtimeHasSharedMemory,
  type KernelModule,
  type Kernels,
  type WasmSource,
} from './kernels.js';
import { runShare, type ParallelCall } from './parallel-call.js';
import { findWorkerSpawner, type WorkerHandle, type WorkerSpawner } from './spawn-workers.js';
import { CONTROL_OFFSET } from '../memory-layout.js';
import {
  CONTROL_SLOTS,
  EXIT,
  MAX_ARGS,
  PARK,
  MAX_WORKERS,
  RANGE_SLOTS,
  RANGE_TAKEN,
  SLOT_ARG_COUNT,
  SLOT_ARGS,
  SLOT_FAILED,
  SLOT_GENERATION,
  SLOT_KERNEL,
  SLOT_PENDING,
  SLOT_RANGES,
  SPIN_POLLS,
} from './thread-protocol.js';

/**
 * Calls smaller than this (multiply-adds, or work items without any) run on
 * the calling thread alone. An item of a call without multiply-adds is a
 * pixel or Winograd tile of all channels; from 128 of them on, splitting paid
 * (measured in the face model on 2 threads: 7% at batch 1, 3.5% at batch 8,
 * against 2048).
 */
const MIN_PARALLEL_MACS = 200_000;
const MIN_PARALLEL_ITEMS = 128;

/**
 * A worker that has not even taken a command this long after the caller
 * finished its own share is taken for dead: a worker killed while the caller
 * waits cannot say so, since its exit event needs the event loop the caller
 * is blocking. A live one takes it as soon as it is scheduled, even on a
 * machine with many more busy threads than cores.
 */
const UNTAKEN_MS = 5000;
/**
 * A worker that took a command is alive, and its share about as long as the
 * caller's: one that has not finished it this long (plus this many times the
 * caller's share) after the caller hangs, and is given up on too.
 */
const UNFINISHED_MS = 60_000;
const UNFINISHED_SHARES = 50;
/** The caller sleeps in slices of this long, to check the time between them. */
const WAIT_SLICE_MS = 100;

/**
 * The kernel build for `threads` threads (checked), and how to start their
 * workers: a shared-memory build where this runtime can share memory with
 * workers (or the caller's module says it is one), else the calling thread
 * alone and no spawner. A team is made from both where `sharedMemory` and
 * `spawn` are set.
 */
export async function loadKernelsForThreads(
  threads: number,
  wasm: WasmSource,
  workerUrl?: string | URL,
): Promise<KernelModule & { spawn?: WorkerSpawner }> {
  if (!Number.isInteger(threads) || threads < 1) throw new InputError(`threads must be a positive integer, got ${String(threads)}`);
  const spawn = threads > 1 ? await findWorkerSpawner(workerUrl) : undefined;
  const shared = wasm.module ? wasm.sharedMemory === true : spawn !== undefined && runtimeHasSharedMemory();
  return { ...(await loadKernelModule(wasm, shared)), spawn };
}

/**
 * The kernels for `threads` threads (see loadKernelsForThreads) and their
 * memory of `initialPages`. Where a shared memory cannot be had (an
 * address-space limit refuses its reservation), one thread on an unshared
 * memory: `sharedMemory` and `spawn` then say so, and the backend reports 1
 * thread. A caller's own module is a build for one kind of memory: no fallback.
 */
export async function loadKernelsAndMemory(
  threads: number,
  wasm: WasmSource,
  workerUrl: string | URL | undefined,
  initialPages: number,
): Promise<KernelModule & { spawn?: WorkerSpawner; memory: WebAssembly.Memory }> {
  const kernels = await loadKernelsForThreads(threads, wasm, workerUrl);
  try {
    return { ...kernels, memory: createKernelMemory(initialPages, kernels.sharedMemory) };
  } catch (error) {
    if (!(error instanceof WasmMemoryError) || !kernels.sharedMemory || wasm.module) throw error;
    const unshared = await loadKernelModule(wasm, false);
    return { ...unshared, spawn: undefined, memory: createKernelMemory(initialPages, false) };
  }
}

type Range = [number, number, number, number];

/**
 * The calling thread and its workers over one shared memory: each kernel
 * call is split into ranges of work items (or of output-channel blocks when
 * the items are too few), the caller does the first range and waits for the rest.
 */
export class ThreadTeam {
  readonly threads: number;
  private readonly control: Int32Array;
  /** The control block's argument slots (see SLOT_ARGS). */
  private readonly argSlots: Float64Array;
  private readonly workers: WorkerHandle[];
  private readonly canBlock: boolean;
  /** Why the team can no longer work: a worker died (seen between runs) or stalled (seen while waiting). */
  private death: string | undefined;
  private disposed = false;

  private constructor(threads: number, control: Int32Array, workers: WorkerHandle[]) {
    this.threads = threads;
    this.control = control;
    this.argSlots = new Float64Array(control.buffer, control.byteOffset + 4 * SLOT_ARGS, MAX_ARGS);
    this.workers = workers;
    this.canBlock = callerCanBlock(control);
    workers.forEach((w, i) =>
      w.onDeath((why) => {
        if (!this.disposed) this.death ??= `worker thread ${i + 1} ${why}`;
      }),
    );
  }

  static async create(spawn: WorkerSpawner, module: WebAssembly.Module, memory: WebAssembly.Memory, threads: number): Promise<ThreadTeam> {
    const count = Math.min(threads, MAX_WORKERS + 1) - 1;
    const control = new Int32Array(memory.buffer, CONTROL_OFFSET, CONTROL_SLOTS);
    const generationAtStart = Atomics.load(control, SLOT_GENERATION);
    const workers = await spawn(
      Array.from({ length: count }, (_, worker) => ({
        module,
        memory,
        kernelNames: KERNEL_NAMES,
        worker,
        controlOffset: CONTROL_OFFSET,
        generationAtStart,
        layout: {
          generation: SLOT_GENERATION,
          pending: SLOT_PENDING,
          kernel: SLOT_KERNEL,
          failed: SLOT_FAILED,
          argCount: SLOT_ARG_COUNT,
          args: SLOT_ARGS,
          maxArgs: MAX_ARGS,
          ranges: SLOT_RANGES,
          rangeSlots: RANGE_SLOTS,
          taken: RANGE_TAKEN,
          exit: EXIT,
          park: PARK,
          spinPolls: SPIN_POLLS,
        },
      })),
    );
    return new ThreadTeam(count + 1, control, workers);
  }

  /** Runs a kernel call on all threads. */
  run(kernels: Kernels, call: ParallelCall): void {
    this.checkAlive();
    const ranges = this.split(call.split);
    if (ranges.length === 1) {
      runShare(kernels, call, ...ranges[0]);
      return;
    }
    const { control, argSlots } = this;
    this.waitForWorkers(0); // the last command (a park) must be taken before its slots are reused
    const { args } = call;
    if (args.length > MAX_ARGS) throw new Error(`${call.kernel} takes more than ${MAX_ARGS} arguments`);
    control[SLOT_ARG_COUNT] = args.length;
    for (let i = 0; i < args.length; i++) argSlots[i] = Number(args[i]);
    for (let w = 0; w < this.workers.length; w++) control.set(ranges[w + 1], SLOT_RANGES + w * RANGE_SLOTS);
    this.command(KERNEL_NAMES.indexOf(call.kernel));
    const started = performance.now();
    try {
      runShare(kernels, call, ...ranges[0]);
    } finally {
      this.waitForWorkers(performance.now() - started);
    }
    const failed = Atomics.exchange(control, SLOT_FAILED, 0);
    if (failed) throw new DlibWasmError(`worker thread ${failed} trapped in ${call.kernel}${call.label ? ` (${call.label})` : ''}`);
  }

  /** Ends a run: the workers go to sleep until the next one (no need to wait for them). */
  park(): void {
    this.checkAlive();
    this.waitForWorkers(0);
    this.command(PARK);
  }

  /** Stops the workers; the team cannot be used afterwards. */
  dispose(): void {
    this.disposed = true;
    this.command(EXIT);
    for (const w of this.workers) w.terminate();
  }

  /**
   * Every worker acknowledges every command (pending drops to 0) before the
   * next one overwrites the slots, so that each reads the command it woke for.
   */
  private command(kernel: number): void {
    Atomics.store(this.control, SLOT_PENDING, this.workers.length);
    this.control[SLOT_KERNEL] = kernel;
    Atomics.add(this.control, SLOT_GENERATION, 1);
    Atomics.notify(this.control, SLOT_GENERATION);
  }

  /** The work's ranges, one per thread: items from `first`, or output-channel blocks. */
  private split(work: ParallelCall['split']): Range[] {
    const { first, items, macs, blocks = 0 } = work;
    const t = this.threads;
    const big = macs > 0 ? macs >= MIN_PARALLEL_MACS : items >= MIN_PARALLEL_ITEMS;
    const share = (n: number, i: number) => Math.floor((n * i) / t);
    if (!big || (items < t && blocks < t)) return [[first, first + items, 0, blocks]];
    // Whole pixel tiles per thread where there are enough of them, unless the call would rather
    // split its output channels (see BlockSplit); output channels where the tiles are few.
    const byItems = items >= 2 * t && !(work.blocks !== undefined && work.preferBlocks && blocks >= t);
    if (byItems || blocks < t)
      return Array.from({ length: t }, (_, i) => [first + share(items, i), first + share(items, i + 1), 0, blocks]);
    return Array.from({ length: t }, (_, i) => [first, first + items, share(blocks, i), share(blocks, i + 1)]);
  }

  private checkAlive(): void {
    if (this.death) throw new WorkerDiedError(`${this.death}; this model cannot run any more: dispose() it and load it again`);
  }

  /**
   * Waits until every worker has taken the last command, `callerMs` after the
   * caller did its own share: never forever (see STALL_MS).
   */
  private waitForWorkers(callerMs: number): void {
    const { control } = this;
    let since: number | undefined;
    // Spin only while every worker has taken the command: one that has not is asleep or not
    // scheduled, and a spinning caller would keep the core it may be waiting for.
    let spin = SPIN_POLLS;
    for (let polls = 0; ; polls++) {
      const pending = Atomics.load(control, SLOT_PENDING);
      if (pending === 0) return;
      if (polls === 0 && this.untakenWorkers() > 0) spin = 0;
      if (polls < spin) continue;
      // Past the spinning (well under a millisecond): sleep in slices (or spin on, where the caller may not
      // sleep), and look at the clock between them.
      if (this.canBlock) Atomics.wait(control, SLOT_PENDING, pending, WAIT_SLICE_MS);
      else if (polls % 1024 !== 0) continue;
      const now = performance.now();
      since ??= now;
      const untaken = this.untakenWorkers();
      if (untaken > 0 && now - since > UNTAKEN_MS) {
        this.death = `${untaken} of ${this.workers.length} worker threads did not take their share within ${UNTAKEN_MS / 1000} s: a worker has died (terminated or out of memory)`;
        this.checkAlive();
      }
      const limit = UNFINISHED_MS + UNFINISHED_SHARES * callerMs;
      if (now - since > limit) {
        this.death = `${pending} of ${this.workers.length} worker threads did not finish their share within ${Math.round(limit / 1000)} s: a worker hangs`;
        this.checkAlive();
      }
    }
  }

  /** Workers that have not yet taken the last command. */
  private untakenWorkers(): number {
    const generation = Atomics.load(this.control, SLOT_GENERATION);
    return this.workers.filter((_, w) => Atomics.load(this.control, SLOT_RANGES + w * RANGE_SLOTS + RANGE_TAKEN) !== generation).length;
  }
}

/** Browsers' main threads may not Atomics.wait; there the caller only spins, between layers. */
function callerCanBlock(control: Int32Array): boolean {
  try {
    Atomics.wait(control, SLOT_PENDING, -1, 0);
    return true;
  } catch {
    return false;
  }
}
