import { type OpLowering, outputLabel, SAME_ROW } from './op-lowering.js';

/** add_prev: the sum of two tensors, the smaller one zero-extended to the larger's shape (as dlib does). */
export const add: OpLowering<'add'> = {
  op: 'add',
  elementwise: true,
  directMacs: () => 0,
  zeroFloats: () => 0,
  rowWindow: () => SAME_ROW,
  lower(node, ctx) {
    const { shapes, offsets } = ctx;
    const as = shapes[node.a];
    const bs = shapes[node.b];
    const ys = shapes[node.y];
    return [
      {
        label: `add_prev${node.relu ? ' +relu' : ''} ${outputLabel(node, shapes)}`,
        macs: 0,
        kernel: 'f32_add_zero_extend_nhwc__simd128',
        args: [
          { arena: offsets[node.a] },
          as.h,
          as.w,
          as.c,
          { arena: offsets[node.b] },
          bs.h,
          bs.w,
          bs.c,
          { arena: offsets[node.y] },
          ys.h,
          ys.w,
          ys.c,
          node.relu,
        ],
        work: { perSample: ys.h * ys.w, granule: 1 },
      },
    ];
  },
};
