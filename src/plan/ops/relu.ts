import { sizeOf } from '../graph.js';
import { type OpLowering, outputLabel, SAME_ROW } from './op-lowering.js';

/** A relu that folds into no node before it. */
export const relu: OpLowering<'relu'> = {
  op: 'relu',
  elementwise: true,
  directMacs: () => 0,
  zeroFloats: () => 0,
  rowWindow: () => SAME_ROW,
  lower(node, ctx) {
    return [
      {
        label: `relu ${outputLabel(node, ctx.shapes)}`,
        macs: 0,
        kernel: 'f32_relu__simd128',
        args: [{ arena: ctx.offsets[node.x] }, { arena: ctx.offsets[node.y] }],
        work: { perSample: sizeOf(ctx.shapes[node.y]), granule: 1 },
      },
    ];
  },
};
