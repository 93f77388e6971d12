import type { LayerDescription, LayerKind } from '../dlib/network-description.js';
import { UnsupportedLayerError } from '../errors.js';
import type { GraphOp } from './ops/op-lowering.js';

/**
 * The dlib layer kinds the planner turns into graph nodes, and the op that
 * lowers each; tag and skip only name and pick tensors, and need no op.
 */
const LAYER_OPS: { [Kind in LayerKind]?: GraphOp | 'none' } = {
  con: 'conv',
  fc: 'fc',
  max_pool: 'pool',
  avg_pool: 'pool',
  add_prev: 'add',
  affine: 'scale_shift',
  bn: 'scale_shift',
  relu: 'relu',
  multiply: 'scale_shift',
  concat: 'concat',
  tag: 'none',
  skip: 'none',
};

/** The op a layer becomes (or 'none'); an UnsupportedLayerError naming the layer if no op lowers its kind yet. */
export function layerOp(layer: Pick<LayerDescription, 'kind' | 'index'>): GraphOp | 'none' {
  const op = LAYER_OPS[layer.kind];
  if (op === undefined) throw new UnsupportedLayerError(`${layer.kind} cannot be run yet`, layer.index);
  return op;
}
