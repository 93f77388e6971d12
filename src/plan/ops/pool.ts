import { type OpLowering, outputLabel } from './op-lowering.js';

/** A max_pool or avg_pool layer; a window of 0x0 pools each channel's whole plane. */
export const pool: OpLowering<'pool'> = {
  op: 'pool',
  elementwise: false,
  directMacs: () => 0,
  zeroFloats: () => 0,
  // A global pool reads every row.
  rowWindow: ({ layer: l }) =>
    l.windowRows === 0 && l.windowCols === 0 ? undefined : { size: l.windowRows, stride: l.strideY, pad: l.padY, together: 1 },
  lower(node, ctx) {
    const l = node.layer;
    const xs = ctx.shapes[node.x];
    const ys = ctx.shapes[node.y];
    const global = l.windowRows === 0 && l.windowCols === 0;
    return [
      {
        label: `layer<${l.index}> ${l.kind} ${l.windowRows}x${l.windowCols}/${l.strideY} ${outputLabel(node, ctx.shapes)}`,
        macs: 0,
        kernel: 'f32_pool2d_nhwc__simd128',
        args: [
          { arena: ctx.offsets[node.x] },
          xs.h,
          xs.w,
          xs.c,
          global ? xs.h : l.windowRows,
          global ? xs.w : l.windowCols,
          global ? 1 : l.strideY,
          global ? 1 : l.strideX,
          global ? 0 : l.padY,
          global ? 0 : l.padX,
          ys.h,
          ys.w,
          { arena: ctx.offsets[node.y] },
          l.kind === 'max_pool',
        ],
        work: { perSample: ys.h * ys.w, granule: 1 },
      },
    ];
  },
};
