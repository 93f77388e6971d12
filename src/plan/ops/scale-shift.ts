import { planarToPixelMajor } from '../pack-weights.js';
import { type OpLowering, outputLabel, SAME_ROW } from './op-lowering.js';

/** An affine or bn layer that folds into no conv or fc: per channel, or per element of the tensor. */
export const scaleShift: OpLowering<'scale_shift'> = {
  op: 'scale_shift',
  elementwise: true,
  directMacs: () => 0,
  zeroFloats: () => 0,
  // A per-element affine's values depend on the row.
  rowWindow: (node) => (node.perElement ? undefined : SAME_ROW),
  lower(node, ctx) {
    const ys = ctx.shapes[node.y];
    const pixels = ys.h * ys.w;
    const key = `${ctx.key}:affine${node.y}`;
    const order = (v: Float32Array) => (node.perElement ? planarToPixelMajor(v, ys.c, pixels) : v);
    return [
      {
        label: `affine${node.relu ? ' +relu' : ''} ${outputLabel(node, ctx.shapes)}`,
        macs: 0,
        kernel: 'f32_scale_shift_nhwc__simd128',
        args: [
          { arena: ctx.offsets[node.x] },
          ys.c,
          pixels,
          ctx.constant(`${key}:gamma`, node.gamma.byteLength, () => order(node.gamma), ctx.weights),
          ctx.constant(`${key}:beta`, node.beta.byteLength, () => order(node.beta), ctx.weights),
          node.perElement,
          node.relu,
          { arena: ctx.offsets[node.y] },
        ],
        work: { perSample: pixels, granule: 1 },
      },
    ];
  },
};
