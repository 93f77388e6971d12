import { matrixIndirection } from '../indirection.js';
import { packFcWeights } from '../pack-weights.js';
import { directStep } from './igemm.js';
import { type OpLowering, outputLabel } from './op-lowering.js';

/** An fc layer (with any affine or bn and relu folded in) as one igemm over the batch's samples. */
export const fc: OpLowering<'fc'> = {
  op: 'fc',
  elementwise: false,
  directMacs: ({ layer }) => layer.numInputs * layer.numOutputs,
  zeroFloats: () => 0,
  lower(node, ctx) {
    const l = node.layer;
    const xs = ctx.shapes[node.x];
    return [
      directStep(
        {
          label: `layer<${l.index}> fc ${l.numInputs}${node.scale ? ' +affine' : ''}${node.relu ? ' +relu' : ''} ${outputLabel(node, ctx.shapes)}`,
          macs: fc.directMacs(node, ctx.shapes),
          key: `${ctx.key}:${l.index}`,
          x: node.x,
          y: node.y,
          outputs: l.numOutputs,
          relu: node.relu,
          pack: () => packFcWeights(l, xs, node.scale, node.shift),
          indirection: matrixIndirection(ctx.batch, l.numInputs, l.numInputs),
        },
        ctx,
      ),
    ];
  },
};
