import type { ArenaAllocator } from '../../memory-layout.js';
import type { ConstantLifetime, ConstantSource } from '../constant.js';
import type { GraphNode, Shape } from '../graph.js';
import type { ConstantRef, NodeStep } from '../plan-step.js';

/** What an op's lowering sees of the plan being built. */
export interface LoweringContext {
  shapes: Shape[];
  /** Each tensor's arena offset (the node's output is allocated before it is lowered). */
  offsets: number[];
  /** For the scratch buffers of a step: they must be freed before the node's steps end. */
  arena: ArenaAllocator;
  batch: number;
  /** Prefix of the plan's constant keys. */
  key: string;
  /** The input size and batch, for the keys of constants that depend on them. */
  planKey: string;
  /** Zeros, as long as any padded read of the plan's steps. */
  zero: ConstantRef;
  /**
   * What ops pick their algorithm (a conv's Winograd or direct) by: the
   * plan's own shapes and batch, or, for a band of rows of a larger input,
   * the whole input's (see PlanOptions.wholeInput).
   */
  algorithmShapes: Shape[];
  algorithmBatch: number;
  /** The kernels fuse multiply-adds (the relaxed-SIMD build): some algorithms round close enough to dlib only then. */
  fusedMultiplyAdd: boolean;
  /** The lifetime of the layers' weights. */
  weights: ConstantLifetime;
  /** A constant of the plan, of `bytes`: the engine places it and gives the steps its address. */
  constant(key: string, bytes: number, make: () => ConstantSource, lifetime?: ConstantLifetime): ConstantRef;
}

/**
 * The rows of its inputs that each output row of a node reads: output row y
 * reads rows `y * stride - pad` to `y * stride - pad + size - 1` of every
 * input, as the same function for every y (rows outside an input are its
 * padding). A net whose nodes all have one can run in bands of rows (see
 * plan/bands.ts).
 */
export interface RowWindow {
  size: number;
  stride: number;
  pad: number;
  /**
   * Output rows computed together, from row 0 on, the arithmetic of each
   * depending on its place among them (a Winograd tile's 2): a band must
   * start at the first row of such a group.
   */
  together: number;
}

/** The row window of an op that reads the same row of each input as the row it writes. */
export const SAME_ROW: RowWindow = { size: 1, stride: 1, pad: 0, together: 1 };

export type GraphOp = GraphNode['op'];
export type NodeOf<Op extends GraphOp> = Extract<GraphNode, { op: Op }>;

/**
 * How one kind of graph node becomes kernel calls: a module per op under
 * plan/ops/, listed in the registry (ops/registry.ts).
 */
export interface OpLowering<Op extends GraphOp> {
  op: Op;
  /** An elementwise op: its output may take the buffer of an input of the same shape that it reads last. */
  elementwise: boolean;
  /** Multiply-adds per sample as dlib computes the node (a direct convolution); 0 for ops without any. */
  directMacs(node: NodeOf<Op>, shapes: Shape[]): number;
  /** Floats of zeros that its steps may read where they read padding; 0 for none. */
  zeroFloats(node: NodeOf<Op>): number;
  /**
   * The node's row window, if each of its output rows depends only on a
   * window of its inputs' rows (not on where the row is, as a per-element
   * affine does, nor on all rows, as an fc or a global pool does). Without
   * one, a net is never run in bands: an op that does not say is not.
   */
  rowWindow?(node: NodeOf<Op>): RowWindow | undefined;
  /** The node's steps, with its constants referred to by key. */
  lower(node: NodeOf<Op>, ctx: LoweringContext): NodeStep[];
}

/** The end of a step's label: the output's shape. */
export function outputLabel(node: GraphNode, shapes: Shape[]): string {
  const ys = shapes[node.y];
  return `-> ${ys.c}x${ys.h}x${ys.w}`;
}
