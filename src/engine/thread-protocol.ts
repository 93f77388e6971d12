/**
 * The control block through which the calling thread hands kernel calls to
 * its workers: Int32 slots (the arguments' float64, see SLOT_ARGS) in the
 * kernels' shared memory at CONTROL_OFFSET (memory-layout.ts), below the
 * addresses that weights and tensors use.
 */
/** Bumped for each command; workers wait on it. */
export const SLOT_GENERATION = 0;
/** Workers still running the current command; the caller waits on it. */
export const SLOT_PENDING = 1;
/** Index into KERNEL_NAMES, or EXIT. */
export const SLOT_KERNEL = 2;
/** Set by a worker whose kernel threw (worker index + 1): the caller throws instead of waiting forever. */
export const SLOT_FAILED = 3;
export const SLOT_ARG_COUNT = 4;
/**
 * The arguments, as float64 (two Int32 slots each, 8-byte aligned): a
 * float64 holds every i32, f32 and f64 argument exactly, so that a worker
 * passes the kernel what the caller would.
 */
export const SLOT_ARGS = 6;
export const MAX_ARGS = 24;
export const SLOT_RANGES = SLOT_ARGS + 2 * MAX_ARGS;
export const RANGE_SLOTS = 5;
export const RANGE_TAKEN = 4;
export const MAX_WORKERS = 63;
export const CONTROL_SLOTS = SLOT_RANGES + RANGE_SLOTS * MAX_WORKERS;
export const EXIT = -1;
/** End of a run: workers sleep at once instead of spinning for the next layer. */
export const PARK = -2;
/**
 * Polls of the control word before a thread sleeps (well under a millisecond):
 * the pause between two layers of a run is far shorter than a wake-up.
 */
export const SPIN_POLLS = 200_000;

/** What a worker needs to start: everything is in here, it imports nothing. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** KERNEL_NAMES: the generated kernel table's names, in its order. */
  kernelNames: readonly string[];
  worker: number;
  controlOffset: number;
  generationAtStart: number;
  layout: {
    generation: number;
    pending: number;
    kernel: number;
    failed: number;
    argCount: number;
    args: number;
    maxArgs: number;
    ranges: number;
    rangeSlots: number;
    taken: number;
    exit: number;
    park: number;
    spinPolls: number;
  };
}
