import type { ConLayer } from '../../dlib/network-description.js';
import { type Shape, sizeOf } from '../graph.js';
import { convIndirection, indirectionBytes, reachesInput } from '../indirection.js';
import { foldedBias, IGEMM_NR, packConvWeights } from '../pack-weights.js';
import type { NodeStep } from '../plan-step.js';
import { igemmStep } from './igemm.js';
import type { LoweringContext, NodeOf } from './op-lowering.js';

const F32 = 4;

/**
 * Fewest taps (kernel positions reaching the input, times filters) for which
 * a convolution of very few filters runs as a 1x1 convolution to every tap
 * and their sum rather than as f32_igemm_4x1c4: its GEMM computes whole
 * blocks of 8 taps (16 for a 3x3 filter's 9) at about twice 4x1c4's rate.
 * Measured on the face detector's 9x9 45 -> 1 layer (81 taps, 88 computed),
 * least of 61 turns: 1.00 ms against 1.41 (Node 22, 1 thread, 85x62
 * outputs; 2.15 against 2.88 at 173x62, of which 1.76 the GEMM at 82% of the
 * SIMD peak), 1.25 against 1.55 on Node 20 (plain SIMD).
 */
export const MIN_TAP_SUM_TAPS = 16;

/** The kernel rows (or columns) [first, end) that reach the input for some output. */
function liveRange(kernel: number, outputs: number, stride: number, pad: number, size: number): [number, number] {
  const live = [...Array(kernel).keys()].filter((k) => reachesInput(k, outputs, stride, pad, size));
  return live.length > 0 ? [live[0], (live.at(-1) as number) + 1] : [0, 0];
}

/** The kernel window of a layer over an input that reaches the input (a rectangle: each row and column range is). */
export function liveWindow(l: ConLayer, x: Shape, y: Shape): { rows: [number, number]; cols: [number, number] } {
  return {
    rows: liveRange(l.kernelRows, y.h, l.strideY, l.padY, x.h),
    cols: liveRange(l.kernelCols, y.w, l.strideX, l.padX, x.w),
  };
}

/**
 * The 1x1 convolution to every tap of a layer's kernel window: filter (n *
 * rows + ky) * cols + kx of it is the layer's filter n at window position
 * (ky, kx), scaled, over the same input channels; zeros up to whole igemm
 * blocks, no bias.
 */
export function tapLayer(l: ConLayer, window: { rows: [number, number]; cols: [number, number] }, scale?: Float32Array): ConLayer {
  const { inputChannels: c, kernelRows: kh, kernelCols: kw, numFilters: outputs } = l;
  const rows = window.rows[1] - window.rows[0];
  const cols = window.cols[1] - window.cols[0];
  const numFilters = Math.ceil((outputs * rows * cols) / IGEMM_NR) * IGEMM_NR;
  const filters = new Float32Array(numFilters * c);
  for (let n = 0; n < outputs; n++) {
    const s = scale ? scale[n] : 1;
    for (let channel = 0; channel < c; channel++) {
      for (let ky = 0; ky < rows; ky++) {
        for (let kx = 0; kx < cols; kx++) {
          const source = ((n * c + channel) * kh + window.rows[0] + ky) * kw + window.cols[0] + kx;
          filters[((n * rows + ky) * cols + kx) * c + channel] = l.filters[source] * s;
        }
      }
    }
  }
  return { ...l, numFilters, kernelRows: 1, kernelCols: 1, strideY: 1, strideX: 1, padY: 0, padX: 0, filters, bias: null };
}

/**
 * A convolution of very few filters as two steps: the 1x1 convolution of
 * its input to every tap of its kernel window (f32_igemm_4x8, 8 taps a
 * block, where the direct igemm of one filter has 7 of 8 outputs padding or
 * runs along K at half the rate), into a scratch buffer of the arena; then
 * f32_tap_sum_nhwc, which adds each output's taps from the pixels around it.
 */
export function tapSumConvSteps(node: NodeOf<'conv'>, label: string, key: string, ctx: LoweringContext): NodeStep[] {
  const l = node.layer;
  const xs = ctx.shapes[node.x];
  const ys = ctx.shapes[node.y];
  const window = liveWindow(l, xs, ys);
  const taps = tapLayer(l, window);
  const zShape = { h: xs.h, w: xs.w, c: taps.numFilters };
  const z = ctx.arena.allocate(sizeOf(zShape) * F32 * ctx.batch);
  const indirection = convIndirection(taps, xs, zShape, ctx.batch);
  // The window's own keys: it depends on the input size where taps read only padding.
  const windowKey = `${key}:tap-sum:${window.rows.join('-')},${window.cols.join('-')}`;
  const steps: NodeStep[] = [
    igemmStep(
      {
        label: `${label} (taps)`,
        macs: sizeOf(zShape) * l.inputChannels,
        x: ctx.offsets[node.x],
        y: z,
        outputs: taps.numFilters,
        pixelsPerSample: xs.h * xs.w,
        relu: false,
        indirection: ctx.constant(
          `${windowKey}:indirection:${ctx.planKey}`,
          indirectionBytes(indirection),
          () => indirection.offsets,
          'plan',
        ),
        taps: indirection.taps,
        tapChannels: indirection.tapChannels,
        w: ctx.constant(
          `${windowKey}:w`,
          packConvWeights(taps).w.floats * F32,
          () => packConvWeights(tapLayer(l, window, node.scale)).w,
          ctx.weights,
        ),
        bias: ctx.constant(`zeros:${taps.numFilters}`, taps.numFilters * F32, () => new Float32Array(taps.numFilters)),
      },
      ctx,
    ),
    {
      label,
      macs: 0,
      kernel: 'f32_tap_sum_nhwc__simd128',
      args: [
        { arena: z },
        xs.h,
        xs.w,
        taps.numFilters,
        window.rows[1] - window.rows[0],
        window.cols[1] - window.cols[0],
        l.strideY,
        l.strideX,
        // The window's first row and column read from its own padding on.
        l.padY - window.rows[0],
        l.padX - window.cols[0],
        ctx.constant(
          `${key}:tap-sum:bias`,
          Math.ceil(l.numFilters / IGEMM_NR) * IGEMM_NR * F32,
          () => foldedBias(l.numFilters, l.bias, node.scale, node.shift),
          ctx.weights,
        ),
        { arena: ctx.offsets[node.y] },
        ys.h,
        ys.w,
        l.numFilters,
        node.relu,
      ],
      work: { perSample: ys.h, granule: 1 },
    },
  ];
  ctx.arena.free(z);
  return steps;
}
