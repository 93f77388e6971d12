import type { KernelName } from '../engine/kernels.js';
import type { BlockArgs, ItemArgs } from '../engine/parallel-call.js';

/**
 * A kernel argument: a plain number, an arena offset (the arena's base
 * address is added at run time) or a count per sample (multiplied by the
 * samples in the run).
 */
export type StepArg = number | boolean | { arena: number } | { perSample: number };

/** A constant's address, by its key: the engine places the plan's constants and puts their addresses in. */
export interface ConstantRef {
  constant: string;
}

/** A kernel argument as the planner makes it: a StepArg, or a constant not placed yet. */
export type PlannedArg = StepArg | ConstantRef;

/** A kernel's arguments as a step holds them: any number may be an arena offset or a count per sample (or, planned, a constant). */
export type StepArgs<Args, Arg = StepArg> = { [I in keyof Args]: Args[I] extends number ? Exclude<Arg, boolean> : Args[I] };

interface StepCommon {
  /** The dlib layers it computes, e.g. `layer<130> con 7x7/2 3 +affine +relu -> 32x72x72`. */
  label: string;
  /** Multiply-adds per sample that the kernel does. */
  macs: number;
  /**
   * Multiply-adds per sample of the node the step is part of, as dlib
   * computes it (a direct convolution); the same on each of a node's steps.
   */
  nodeMacs: number;
}

/** Work items: ceil(samples * perSample / granule), from `first` (default 0) on. */
interface ItemWork {
  perSample: number;
  granule: number;
  first?: number;
}

/**
 * For kernels that take a range of output-channel blocks too: the blocks, and
 * whether threads should rather split those: where the step reads more
 * weights than inputs, each thread then reads only its share of the weights.
 */
interface BlockWork extends ItemWork {
  blocks: number;
  splitBlocks: boolean;
}

/**
 * One step of a plan, as data: a kernel, its arguments, and the work it
 * splits into (see stepCall). The kernel takes the work range as its last
 * arguments: `(start, end)` items, then `(blockStart, blockEnd)` with BlockWork.
 * `Arg` is StepArg once the constants are placed, PlannedArg before.
 */
export type PlanStep<Arg = StepArg> = {
  [K in KernelName]:
    | (StepCommon & { kernel: K; args: StepArgs<ItemArgs<K>, Arg>; work: ItemWork & { blocks?: undefined } })
    | (StepCommon & { kernel: K; args: StepArgs<BlockArgs<K>, Arg>; work: BlockWork });
}[KernelName];

/** A step as an op lowers it: the plan adds the node's multiply-adds. */
export type NodeStep = PlanStep<PlannedArg> extends infer S ? (S extends PlanStep<PlannedArg> ? Omit<S, 'nodeMacs'> : never) : never;
