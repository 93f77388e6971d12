import type { BlockArgs } from '../../engine/parallel-call.js';
import { sizeOf } from '../graph.js';
import { type Indirection, indirectionBytes } from '../indirection.js';
import { IGEMM_MR, IGEMM_NR, type PackedWeights } from '../pack-weights.js';
import type { ConstantRef, NodeStep, PlannedArg, StepArgs } from '../plan-step.js';
import type { LoweringContext } from './op-lowering.js';

/** The operands of an igemm step. */
export interface IgemmOperands {
  label: string;
  macs: number;
  x: number;
  y: number;
  outputs: number;
  pixelsPerSample: number;
  relu: boolean;
  indirection: ConstantRef;
  taps: number;
  tapChannels: number;
  w: ConstantRef;
  bias: ConstantRef;
  /** Weights packed per output channel for f32_igemm_4x1c4 (a layer of very few outputs), not in blocks of 8. */
  perOutput?: boolean;
}

export function igemmStep(gemm: IgemmOperands, ctx: LoweringContext): NodeStep {
  const outputsPerBlock = gemm.perOutput ? 1 : IGEMM_NR;
  const blocks = Math.ceil(gemm.outputs / outputsPerBlock);
  const args: StepArgs<BlockArgs<'f32_igemm_4x8__simd128'>, PlannedArg> = [
    { arena: gemm.x },
    ctx.zero,
    gemm.indirection,
    gemm.taps,
    gemm.tapChannels,
    gemm.w,
    gemm.bias,
    { arena: gemm.y },
    gemm.outputs,
    { perSample: gemm.pixelsPerSample },
    gemm.relu,
  ];
  const common = {
    label: gemm.label,
    macs: gemm.macs,
    // Per unit of K, the weights are a row per output channel, the inputs a row per pixel.
    work: {
      perSample: gemm.pixelsPerSample,
      granule: IGEMM_MR,
      blocks,
      splitBlocks: blocks * outputsPerBlock > ctx.batch * gemm.pixelsPerSample,
    },
  };
  return gemm.perOutput ? { ...common, kernel: 'f32_igemm_4x1c4__simd128', args } : { ...common, kernel: 'f32_igemm_4x8__simd128', args };
}

/** The tensors and weights of a convolution or fc layer computed as one igemm. */
export interface DirectGemm {
  label: string;
  macs: number;
  /** Prefix of the keys of its weights. */
  key: string;
  x: number;
  y: number;
  outputs: number;
  relu: boolean;
  pack: () => PackedWeights;
  indirection: Indirection;
  /** See IgemmOperands; `pack` must then pack per output. */
  perOutput?: boolean;
}

/** A convolution or fc layer as one igemm over the tensors x and y. */
export function directStep(gemm: DirectGemm, ctx: LoweringContext): NodeStep {
  const { key, indirection: ind } = gemm;
  // Its writer only: the weights are read when it writes them.
  const weights = gemm.pack();
  // The offsets depend on the layer's geometry, so on the plan's input size and batch.
  return igemmStep(
    {
      label: gemm.label,
      macs: gemm.macs,
      x: ctx.offsets[gemm.x],
      y: ctx.offsets[gemm.y],
      outputs: gemm.outputs,
      relu: gemm.relu,
      pixelsPerSample: sizeOf(ctx.shapes[gemm.y]) / gemm.outputs,
      indirection: ctx.constant(`${key}:indirection:${ctx.planKey}`, indirectionBytes(ind), () => ind.offsets, 'plan'),
      taps: ind.taps,
      tapChannels: ind.tapChannels,
      w: ctx.constant(`${key}:w`, weights.w.floats * 4, () => weights.w, ctx.weights),
      bias: ctx.constant(`${key}:bias`, weights.bias.byteLength, () => weights.bias, ctx.weights),
      perOutput: gemm.perOutput,
    },
    ctx,
  );
}
