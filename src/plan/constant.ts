import type { ParallelCall } from '../engine/parallel-call.js';

/**
 * How long a constant is kept: as long as the network (weights that any input
 * size may use again), or as long as some plan that placed it (what depends on
 * the input size, as indirection buffers, and the unfused plans' weights).
 */
export type ConstantLifetime = 'network' | 'plan';

/**
 * Weights that are written straight into their place in the kernels' memory
 * (a face model's 22 MB never pass through an intermediate array), into a
 * zero-filled target of `floats` values: by `write` in JavaScript, or by the
 * kernel call that `pack` describes, which reads `inputs` (copied into the
 * memory just for it, at `inputAddresses`) and writes at the byte address
 * `target` (no JIT warm-up at load time: the kernel is compiled ahead).
 */
export type WeightWriter =
  | { floats: number; write(target: Float32Array): void }
  | { floats: number; inputs: Float32Array[]; pack(target: number, inputAddresses: number[]): ParallelCall };

/** A constant's contents: its values, or how to write them in place. */
export type ConstantSource = Float32Array | Int32Array | WeightWriter;

/**
 * A constant a plan uses: the engine places it (or finds it placed, by its
 * key) and puts its address where the steps refer to the key. `make` runs
 * only if it is not placed yet: packing a layer's weights costs time.
 * Its byte length is known before.
 */
export interface PlanConstant {
  key: string;
  /** What `make` gives: known without making it, for a placed image's constants to be checked against it (see DlibNetwork.create). */
  bytes: number;
  lifetime: ConstantLifetime;
  make: () => ConstantSource;
}
