import { add } from './add.js';
import { concat } from './concat.js';
import { conv } from './conv.js';
import { fc } from './fc.js';
import type { GraphNode } from '../graph.js';
import type { GraphOp, OpLowering } from './op-lowering.js';
import { pool } from './pool.js';
import { relu } from './relu.js';
import { scaleShift } from './scale-shift.js';

/** Every graph op's lowering: a new op is a module of plan/ops/ and an entry here. */
export const OP_LOWERINGS: { [Op in GraphOp]: OpLowering<Op> } = {
  conv,
  fc,
  pool,
  add,
  scale_shift: scaleShift,
  relu,
  concat,
};

/** The lowering of a node's op. */
export function loweringOf(node: GraphNode): OpLowering<GraphOp> {
  // The record ties each op to its lowering; indexed by a union of ops, the types cannot follow.
  return OP_LOWERINGS[node.op] as OpLowering<GraphOp>;
}
