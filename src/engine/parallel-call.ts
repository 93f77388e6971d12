import type { KernelName, Kernels } from './kernels.js';

type Before<Parameters, Tail extends unknown[]> = Parameters extends [...infer Head, ...Tail] ? Head : never;

/** A kernel's arguments before its range of work items [start, end) (its last two parameters). */
export type ItemArgs<K extends KernelName> = Before<Parameters<Kernels[K]>, [start: number, end: number]>;
/** A kernel's arguments before its ranges of work items and of output-channel blocks (its last four parameters). */
export type BlockArgs<K extends KernelName> = Before<
  Parameters<Kernels[K]>,
  [start: number, end: number, blockStart: number, blockEnd: number]
>;

interface WorkSplit {
  /** Work items [first, first + items). */
  first: number;
  items: number;
  /** Multiply-adds of the whole call, to judge whether splitting pays; 0 for a kernel without any, which its items judge. */
  macs: number;
}

/** Work that threads split by items (pixels, rows, tiles). */
export interface ItemSplit extends WorkSplit {
  blocks?: undefined;
}

/** Work of a kernel that also takes a range of output-channel blocks [0, blocks): threads split items or blocks. */
export interface BlockSplit extends WorkSplit {
  blocks: number;
  /** Split the blocks where there are enough: where the call reads more weights than inputs, each thread then reads only its share. */
  preferBlocks: boolean;
}

/**
 * A kernel call that threads can share: the kernel, its arguments but the
 * work ranges, and the work to split into ranges, which each thread's share
 * then gets as its last arguments. `label` says what it computes, for errors.
 */
export type ParallelCall = {
  [K in KernelName]:
    | { kernel: K; args: ItemArgs<K>; split: ItemSplit; label?: string }
    | { kernel: K; args: BlockArgs<K>; split: BlockSplit; label?: string };
}[KernelName];

/** Runs a share of the call: items [start, end) and, for a blocked kernel, blocks [blockStart, blockEnd). */
export function runShare(kernels: Kernels, call: ParallelCall, start: number, end: number, blockStart: number, blockEnd: number): void {
  // The call's type ties its arguments to its kernel; a union of kernels is called as any one of them.
  const kernel = kernels[call.kernel] as (...args: (number | boolean)[]) => void;
  if (call.split.blocks === undefined) kernel(...call.args, start, end);
  else kernel(...call.args, start, end, blockStart, blockEnd);
}

/** Runs the whole call on the calling thread. */
export function runWhole(kernels: Kernels, call: ParallelCall): void {
  const { first, items, blocks = 0 } = call.split;
  runShare(kernels, call, first, first + items, 0, blocks);
}
