import { sizeOf } from '../graph.js';
import type { NodeStep } from '../plan-step.js';
import { type OpLowering, outputLabel } from './op-lowering.js';

/** concat: the inputs' channels one after the other in each pixel, a copy per input into its channels. */
export const concat: OpLowering<'concat'> = {
  op: 'concat',
  elementwise: false,
  directMacs: () => 0,
  zeroFloats: () => 0,
  lower(node, ctx) {
    const ys = ctx.shapes[node.y];
    const steps: NodeStep[] = [];
    let channel = 0;
    node.inputs.forEach((x, i) => {
      const channels = ctx.shapes[x].c;
      steps.push({
        label: `concat ${i + 1}/${node.inputs.length} (${channels} channels) ${outputLabel(node, ctx.shapes)}`,
        macs: 0,
        kernel: 'f32_copy_channels_nhwc__simd128',
        args: [{ arena: ctx.offsets[x] }, channels, { arena: ctx.offsets[node.y] + channel * 4 }, ys.c, channels],
        work: { perSample: sizeOf(ys) / ys.c, granule: 1 },
      });
      channel += channels;
    });
    return steps;
  },
};
