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
  /** The lifetime of the layers' weights. */
  weights: ConstantLifetime;
  /** A constant of the plan: the engine places it and gives the steps its address. */
  constant(key: string, make: () => ConstantSource, lifetime?: ConstantLifetime): ConstantRef;
}

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
  /** The node's steps, with its constants referred to by key. */
  lower(node: NodeOf<Op>, ctx: LoweringContext): NodeStep[];
}

/** The end of a step's label: the output's shape. */
export function outputLabel(node: GraphNode, shapes: Shape[]): string {
  const ys = shapes[node.y];
  return `-> ${ys.c}x${ys.h}x${ys.w}`;
}
