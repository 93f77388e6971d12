import type { ConLayer } from '../../dlib/network-description.js';
import { type Shape, sizeOf } from '../graph.js';
import { convIndirection, matrixIndirection } from '../indirection.js';
import { IGEMM_MR, IGEMM_NR, packConvWeights, packConvWeightsPerOutput } from '../pack-weights.js';
import type { NodeStep } from '../plan-step.js';
import {
  packWinogradWeights,
  spaceToDepthLayer,
  spaceToDepthWinogradTile,
  type WinogradTile,
  winogradMacs,
  winogradPositions,
  winogradRows,
  winogradTile,
  winogradTiles,
  winogradWeightMatrixBytes,
} from '../winograd.js';
import { directStep } from './igemm.js';
import { MIN_TAP_SUM_TAPS, tapSumConvSteps } from './tap-sum-conv.js';
import { type LoweringContext, type NodeOf, type OpLowering, outputLabel } from './op-lowering.js';

type ConvNode = NodeOf<'conv'>;

const F32 = 4;

/**
 * Most outputs for which a direct convolution runs as f32_igemm_4x1c4 (vectors
 * along K), or with enough taps as a tap sum (see tap-sum-conv.ts), rather
 * than f32_igemm_4x8 (vectors along 8 outputs, the rest padding). Measured on
 * the face detector's last layer (9x9, 45 channels, 1 output, plain SIMD):
 * 4x1c4 at 19 GFLOP/s, 4x8 at 5.3, a quarter of its rate on full blocks; at 2
 * outputs 4x8 would still reach only half of that.
 */
const MAX_PER_OUTPUT_FILTERS = 2;

/** Floats of a row of `n` rounded up to whole SIMD vectors. */
const vectorFloats = (n: number) => Math.ceil(n / 4) * 4;

/**
 * A 3x3 or 5x5 stride-1 convolution as Winograd F(tile x tile, 3x3) or
 * F(tile x tile, 5x5), one step of f32_winograd_nhwc: the input transform into V
 * (alpha² matrices of C-float rows), the alpha² transform-domain GEMMs into M
 * (of K-float rows), the output transform with the bias and ReLU, a few
 * tiles at a time. V and M are
 * scratch buffers of the arena, dead after the conv, alpha² rows for every
 * tile of the plan's batch (a thread's range uses its own tiles' part), so
 * that their offsets do not depend on the samples in a run.
 */
function winogradStep(
  node: ConvNode,
  l: ConLayer,
  tile: WinogradTile,
  x: { offset: number; shape: Shape },
  label: string,
  key: string,
  ctx: LoweringContext,
  fold: 1 | 2 = 1,
): NodeStep {
  const xs = x.shape;
  const ys = ctx.shapes[node.y];
  const { tilesY, tilesX } = winogradTiles(ys, tile);
  const tilesPerSample = tilesY * tilesX;
  const tiles = tilesPerSample * ctx.batch;
  const vRowFloats = vectorFloats(l.inputChannels);
  const mRowFloats = vectorFloats(l.numFilters);
  // Every group of 4 tiles' rows (f32_winograd_nhwc lays out each range's passes in its groups' part).
  const rows = Math.ceil(tiles / IGEMM_MR) * IGEMM_MR;
  const positions = winogradPositions(l, tile);
  const v = ctx.arena.allocate(positions * rows * vRowFloats * F32);
  const m = ctx.arena.allocate(positions * rows * mRowFloats * F32);
  // Free again at once: these steps run before any later node's that may reuse the space.
  ctx.arena.free(v);
  ctx.arena.free(m);

  // Its writer only: the filters are read when it writes them.
  const weights = packWinogradWeights(l, tile, node.scale, node.shift);
  // Not the direct path's keys, nor the other tile's: the same layer may run otherwise at other input sizes.
  const w = ctx.constant(`${key}:winograd-${tile}:w`, weights.w.floats * F32, () => weights.w, ctx.weights);
  const bias = ctx.constant(`${key}:winograd:bias`, weights.bias.byteLength, () => weights.bias, ctx.weights);
  const blocks = Math.ceil(l.numFilters / IGEMM_NR);
  const indirection = ctx.constant(
    `${key}:winograd-${tile}:indirection:${ctx.planKey}`,
    rows * 4,
    () => matrixIndirection(tiles, vRowFloats, l.inputChannels).offsets,
    'plan',
  );
  const gemmBias = ctx.constant(`zeros:${blocks * IGEMM_NR}`, blocks * IGEMM_NR * F32, () => new Float32Array(blocks * IGEMM_NR));
  return {
    label: `${label} (winograd ${tile}x${tile})`,
    macs: winogradMacs(l, ys, tile),
    kernel: 'f32_winograd_nhwc__simd128',
    args: [
      tile,
      l.kernelRows,
      fold,
      { arena: x.offset },
      ctx.zero,
      xs.h,
      xs.w,
      xs.c,
      l.padY,
      l.padX,
      tilesY,
      tilesX,
      { perSample: tilesPerSample },
      { arena: v },
      indirection,
      w,
      winogradWeightMatrixBytes(l),
      gemmBias,
      { arena: m },
      bias,
      l.numFilters,
      { arena: ctx.offsets[node.y] },
      node.relu,
    ],
    work: { perSample: tilesPerSample, granule: IGEMM_MR },
  };
}

/**
 * A 5x5 stride-2 convolution as Winograd F(tile x tile, 3x3) over the space
 * to depth of its input (see spaceToDepthLayer). In 6x6 and 8x8 tiles (and
 * whole vectors of channels) the input transform reads the space to depth
 * from the input itself: as fast as over a copy (the face detector's 16- and
 * 32-channel layers, Node 22), without the copy's buffer, which was the
 * largest of the detector's arena (71 -> 60 MiB for a 522x1405 input). In
 * 4x4 tiles a copy (a scratch buffer of the arena) is the transform's input.
 */
function spaceToDepthSteps(
  node: ConvNode,
  folded: ConLayer,
  tile: WinogradTile,
  label: string,
  key: string,
  ctx: LoweringContext,
): NodeStep[] {
  const xs = ctx.shapes[node.x];
  if (tile > 2 && xs.c % 4 === 0) {
    return [
      winogradStep(
        node,
        folded,
        tile,
        { offset: ctx.offsets[node.x], shape: xs },
        `${label} (space to depth)`,
        `${key}:space-to-depth`,
        ctx,
        2,
      ),
    ];
  }
  const shape = { h: Math.ceil(xs.h / 2), w: Math.ceil(xs.w / 2), c: 4 * xs.c };
  const offset = ctx.arena.allocate(sizeOf(shape) * F32 * ctx.batch);
  const steps: NodeStep[] = [
    {
      label: `${label} (space to depth)`,
      macs: 0,
      kernel: 'f32_space_to_depth_2x2_nhwc',
      args: [{ arena: ctx.offsets[node.x] }, xs.h, xs.w, xs.c, { arena: offset }],
      work: { perSample: shape.h, granule: 1 },
    },
    // Its own weight keys: the folded layer's filters, not the layer's.
    winogradStep(node, folded, tile, { offset, shape }, label, `${key}:space-to-depth`, ctx),
  ];
  // Free only now: the Winograd scratch buffers must not overlap it.
  ctx.arena.free(offset);
  return steps;
}

/** A con layer (with any affine or bn and relu folded in): one igemm, or one Winograd convolution. */
export const conv: OpLowering<'conv'> = {
  op: 'conv',
  elementwise: false,
  directMacs: (node, shapes) => sizeOf(shapes[node.y]) * node.layer.inputChannels * node.layer.kernelRows * node.layer.kernelCols,
  // A padded tap reads a row of zeros; a Winograd tile's padding, whole vectors of them.
  zeroFloats: ({ layer }) => Math.max(layer.kernelCols * layer.inputChannels, vectorFloats(layer.inputChannels)),
  rowWindow: ({ layer }) => ({ ...winogradRows(layer), stride: layer.strideY }),
  lower(node, ctx) {
    const l = node.layer;
    const xs = ctx.shapes[node.x];
    const ys = ctx.shapes[node.y];
    const label = `layer<${l.index}> con ${l.kernelRows}x${l.kernelCols}/${l.strideY} ${l.inputChannels}${node.scale ? ' +affine' : ''}${node.relu ? ' +relu' : ''} ${outputLabel(node, ctx.shapes)}`;
    const key = `${ctx.key}:${l.index}`;
    const tile = winogradTile(l, ctx.algorithmShapes[node.y], ctx.algorithmBatch, ctx.fusedMultiplyAdd);
    if (tile) return [winogradStep(node, l, tile, { offset: ctx.offsets[node.x], shape: xs }, label, key, ctx)];
    const folded = spaceToDepthLayer(l);
    const foldedTile = folded && spaceToDepthWinogradTile(l, folded, ctx.algorithmShapes[node.y], ctx.algorithmBatch);
    if (folded && foldedTile) return spaceToDepthSteps(node, folded, foldedTile, label, key, ctx);
    // The indirection depends on the size and batch; so do the weights where taps read only padding.
    const indirection = convIndirection(l, xs, ys, ctx.batch);
    const allTaps = indirection.positions.length === l.kernelRows * l.kernelCols;
    const perOutput = l.numFilters <= MAX_PER_OUTPUT_FILTERS;
    if (perOutput && l.numFilters * indirection.positions.length >= MIN_TAP_SUM_TAPS) return tapSumConvSteps(node, label, key, ctx);
    return [
      directStep(
        {
          label,
          macs: sizeOf(ys) * l.inputChannels * indirection.positions.length,
          key: `${allTaps ? key : `${key}:taps:${indirection.positions.join(',')}`}${perOutput ? ':per-output' : ''}`,
          x: node.x,
          y: node.y,
          outputs: l.numFilters,
          relu: node.relu,
          pack: () =>
            perOutput
              ? packConvWeightsPerOutput(l, indirection.tapChannels, node.scale, node.shift, indirection.positions)
              : packConvWeights(l, node.scale, node.shift, indirection.positions),
          indirection,
          perOutput,
        },
        ctx,
      ),
    ];
  },
};
