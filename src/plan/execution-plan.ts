import type { KernelName } from '../engine/kernels.js';
import type { BlockArgs, ItemArgs } from '../engine/parallel-call.js';
import { ArenaAllocator, BUFFER_SLACK } from '../memory-layout.js';
import { nodeInputs, sizeOf, type Graph, type GraphNode, type Shape } from './graph.js';
import { convIndirection, matrixIndirection, type Indirection } from './indirection.js';
import {
  IGEMM_MR,
  IGEMM_NR,
  packConvWeights,
  packFcWeights,
  planarToPixelMajor,
  type PackedWeights,
  type WeightWriter,
} from './pack-weights.js';
import {
  packWinogradWeights,
  prefersWinograd,
  winogradMacs,
  winogradTiles,
  winogradWeightMatrixBytes,
  WINOGRAD_POSITIONS,
} from './winograd.js';

/**
 * How long a constant is kept: as long as the network (weights that any input
 * size may use again), or as long as some plan that placed it (what depends on
 * the input size, as indirection buffers, and the unfused plans' weights).
 */
export type ConstantLifetime = 'network' | 'plan';

/**
 * Puts constant data (packed weights, indirection) in the kernels' memory, or
 * finds it there by its key; returns its byte address.
 */
export type ConstantPlacer = (key: string, make: () => Float32Array | Int32Array | WeightWriter, lifetime?: ConstantLifetime) => number;

/**
 * A kernel argument: a plain number, an arena offset (the arena's base
 * address is added at run time) or a count per sample (multiplied by the
 * samples in the run).
 */
export type StepArg = number | boolean | { arena: number } | { perSample: number };

/** A kernel's arguments as a step holds them: any number may be an arena offset or a count per sample. */
type StepArgs<Args> = { [I in keyof Args]: Args[I] extends number ? Exclude<StepArg, boolean> : Args[I] };

interface StepCommon {
  /** The dlib layers it computes, e.g. `layer<130> con 7x7/2 3 +affine +relu -> 32x72x72`. */
  label: string;
  /** Multiply-adds per sample that the kernel does. */
  macs: number;
  /**
   * Multiply-adds per sample of the node the step is part of, as dlib
   * computes it (a direct convolution); the same on each of a node's steps.
   */
  nodeMacs: number;
}

/** Work items: ceil(samples * perSample / granule), from `first` (default 0) on. */
interface ItemWork {
  perSample: number;
  granule: number;
  first?: number;
}

/**
 * For kernels that take a range of output-channel blocks too: the blocks, and
 * whether threads should rather split those: where the step reads more
 * weights than inputs, each thread then reads only its share of the weights.
 */
interface BlockWork extends ItemWork {
  blocks: number;
  splitBlocks: boolean;
}

/**
 * One step of a plan, as data: a kernel, its arguments, and the work it
 * splits into (see stepCall). The kernel takes the work range as its last
 * arguments: `(start, end)` items, then `(blockStart, blockEnd)` with BlockWork.
 */
export type PlanStep = {
  [K in KernelName]:
    | (StepCommon & { kernel: K; args: StepArgs<ItemArgs<K>>; work: ItemWork & { blocks?: undefined } })
    | (StepCommon & { kernel: K; args: StepArgs<BlockArgs<K>>; work: BlockWork });
}[KernelName];

/** A step as a node makes it: the plan adds the node's multiply-adds. */
type NodeStep = PlanStep extends infer S ? (S extends PlanStep ? Omit<S, 'nodeMacs'> : never) : never;

export interface ExecutionPlan {
  steps: PlanStep[];
  /** Arena bytes needed for `batch` samples. */
  arenaBytes: number;
  batch: number;
  /** NHWC tensors: `batch` samples of shape, one after the other. */
  input: { offset: number; shape: Shape };
  /** Where one image's bytes (up to 4 a pixel) are staged before conversion. */
  staging: number;
  output: { offset: number; shape: Shape };
  /** Arena offset and shape of each dlib layer's output that the plan keeps. */
  layerOutputs: Map<number, { offset: number; shape: Shape }>;
  /**
   * Multiply-adds per sample of the layers as dlib computes them (direct
   * convolutions), whatever algorithm the steps use: what FLOP rates count.
   */
  macs: number;
}

export interface PlanOptions {
  /** Samples per run. */
  batch: number;
  /** Give every tensor its own buffer, so that all layer outputs survive a run. */
  keepAll?: boolean;
  /** Prefix of constant keys: plans that fuse differently or differ in size keep their own constants. */
  constantKey: string;
}

const F32 = 4;

/** Lays out the graph's tensors (NHWC) in an arena and turns each node into a kernel call. */
export function buildExecutionPlan(graph: Graph, place: ConstantPlacer, options: PlanOptions): ExecutionPlan {
  const { batch } = options;
  const { shapes, nodes } = graph;
  const bytesOf = (t: number) => sizeOf(shapes[t]) * F32 * batch;
  const lastUse = new Array<number>(shapes.length).fill(-1);
  nodes.forEach((node, i) => nodeInputs(node).forEach((t) => (lastUse[t] = i)));
  lastUse[graph.output] = nodes.length;
  if (options.keepAll) lastUse.fill(nodes.length);

  const arena = new ArenaAllocator();
  const offsets = new Array<number>(shapes.length).fill(-1);
  offsets[graph.input] = arena.allocate(bytesOf(graph.input));
  const staging = arena.allocate(shapes[graph.input].h * shapes[graph.input].w * 4);
  arena.free(staging);

  const context: StepContext = {
    shapes,
    offsets,
    place,
    arena,
    batch,
    key: options.constantKey,
    zero: 0,
    // An unfused plan's weights are packed for it alone (see DlibNetwork.layerOutputs).
    weights: options.keepAll ? 'plan' : 'network',
    planKey: `${shapes[graph.input].h}x${shapes[graph.input].w}x${batch}`,
  };
  context.zero = place(`zeros:${maxTapChannels(graph)}`, () => new Float32Array(maxTapChannels(graph)));
  const steps: PlanStep[] = [];
  nodes.forEach((node, i) => {
    const inPlace = options.keepAll ? undefined : inPlaceInput(node, shapes, lastUse, i);
    offsets[node.y] = inPlace !== undefined ? offsets[inPlace] : arena.allocate(bytesOf(node.y));
    for (const step of makeSteps(node, context)) steps.push({ ...step, nodeMacs: directMacs(node, shapes) });
    for (const t of new Set(nodeInputs(node))) {
      if (lastUse[t] === i && offsets[t] !== offsets[node.y]) arena.free(offsets[t]);
    }
  });

  const layerOutputs = new Map<number, { offset: number; shape: Shape }>();
  for (const [layer, t] of graph.layerOutputs) {
    if (options.keepAll || t === graph.output) layerOutputs.set(layer, { offset: offsets[t], shape: shapes[t] });
  }
  return {
    steps,
    batch,
    staging,
    layerOutputs,
    macs: nodes.reduce((sum, node) => sum + directMacs(node, shapes), 0),
    arenaBytes: arena.peak + BUFFER_SLACK,
    input: { offset: offsets[graph.input], shape: shapes[graph.input] },
    output: { offset: offsets[graph.output], shape: shapes[graph.output] },
  };
}

/** The longest row of zeros a padded convolution tap, or a Winograd tile's padding (whole vectors), may read. */
function maxTapChannels(graph: Graph): number {
  let longest = 4;
  for (const node of graph.nodes) {
    if (node.op === 'conv') {
      const { kernelCols, inputChannels } = node.layer;
      longest = Math.max(longest, kernelCols * inputChannels, vectorFloats(inputChannels));
    }
  }
  return longest;
}

/** Floats of a row of `n` rounded up to whole SIMD vectors. */
const vectorFloats = (n: number) => Math.ceil(n / 4) * 4;

/** Multiply-adds per sample of a node computed directly (im2col GEMM, as dlib does). */
function directMacs(node: GraphNode, shapes: Shape[]): number {
  if (node.op === 'conv') {
    const l = node.layer;
    return sizeOf(shapes[node.y]) * l.inputChannels * l.kernelRows * l.kernelCols;
  }
  return node.op === 'fc' ? node.layer.numInputs * node.layer.numOutputs : 0;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.c === b.c && a.h === b.h && a.w === b.w;
}

/** An input whose buffer an elementwise node can overwrite: read last here, and of the output's shape. */
function inPlaceInput(node: GraphNode, shapes: Shape[], lastUse: number[], i: number): number | undefined {
  if (node.op !== 'relu' && node.op !== 'scale_shift' && node.op !== 'add') return undefined;
  return nodeInputs(node).find((t) => lastUse[t] === i && sameShape(shapes[t], shapes[node.y]));
}

interface StepContext {
  shapes: Shape[];
  offsets: number[];
  place: ConstantPlacer;
  /** For the scratch buffers of a step: they must be freed before the node's steps end. */
  arena: ArenaAllocator;
  batch: number;
  key: string;
  planKey: string;
  zero: number;
  /** The lifetime of the layers' weights. */
  weights: ConstantLifetime;
}

function labelOf(node: GraphNode, shapes: Shape[]): string {
  const ys = shapes[node.y];
  const out = `-> ${ys.c}x${ys.h}x${ys.w}`;
  const relu = 'relu' in node && node.relu ? ' +relu' : '';
  switch (node.op) {
    case 'conv': {
      const l = node.layer;
      return `layer<${l.index}> con ${l.kernelRows}x${l.kernelCols}/${l.strideY} ${l.inputChannels}${node.scale ? ' +affine' : ''}${relu} ${out}`;
    }
    case 'fc':
      return `layer<${node.layer.index}> fc ${node.layer.numInputs}${node.scale ? ' +affine' : ''}${relu} ${out}`;
    case 'pool':
      return `layer<${node.layer.index}> ${node.layer.kind} ${node.layer.windowRows}x${node.layer.windowCols}/${node.layer.strideY} ${out}`;
    case 'add':
      return `add_prev${relu} ${out}`;
    case 'scale_shift':
      return `affine${relu} ${out}`;
    case 'relu':
      return `relu ${out}`;
  }
}

/** The operands of an igemm step; with `batch`, of a batch of igemms (see the batched kernel). */
interface IgemmOperands {
  label: string;
  macs: number;
  x: number;
  y: number;
  outputs: number;
  pixelsPerSample: number;
  relu: boolean;
  indirection: number;
  taps: number;
  tapChannels: number;
  w: number;
  bias: number;
  batch?: { count: number; xStride: number; wStride: number; yStride: number };
}

function igemmStep(gemm: IgemmOperands, ctx: StepContext): NodeStep {
  const { batch } = gemm;
  const blocks = Math.ceil(gemm.outputs / IGEMM_NR);
  const args: StepArgs<BlockArgs<'f32_igemm_4x8__simd128'>> = [
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
    work: { perSample: gemm.pixelsPerSample, granule: IGEMM_MR, blocks, splitBlocks: blocks * IGEMM_NR > ctx.batch * gemm.pixelsPerSample },
  };
  return batch
    ? { ...common, kernel: 'f32_igemm_4x8_batched__simd128', args: [...args, batch.count, batch.xStride, batch.wStride, batch.yStride] }
    : { ...common, kernel: 'f32_igemm_4x8__simd128', args };
}

/**
 * Bytes from one of the 16 transform-domain matrices to the next: an odd
 * number of cache lines, so that the 16 rows a tile's transform reads or
 * writes fall in 16 different cache sets (a multiple of 4 KiB would put them
 * all in one set, more than its ways).
 */
function matrixStride(bytes: number): number {
  return Math.ceil(bytes / 128) * 128 + 64;
}

/** A convolution or fc layer as one igemm over the tensors x and y. */
function directStep(
  label: string,
  macs: number,
  key: string,
  ctx: StepContext,
  x: number,
  y: number,
  outputs: number,
  relu: boolean,
  pack: () => PackedWeights,
  ind: Indirection,
): NodeStep {
  let packed: PackedWeights | undefined;
  const weights = () => (packed ??= pack());
  // The offsets depend on the layer's geometry, so on the plan's input size and batch.
  return igemmStep(
    {
      label,
      macs,
      x: ctx.offsets[x],
      y: ctx.offsets[y],
      outputs,
      relu,
      pixelsPerSample: sizeOf(ctx.shapes[y]) / outputs,
      indirection: ctx.place(`${key}:indirection:${ctx.planKey}`, () => ind.offsets, 'plan'),
      taps: ind.taps,
      tapChannels: ind.tapChannels,
      w: ctx.place(`${key}:w`, () => weights().w, ctx.weights),
      bias: ctx.place(`${key}:bias`, () => weights().bias, ctx.weights),
    },
    ctx,
  );
}

/**
 * A 3x3 stride-1 convolution as Winograd F(2x2, 3x3): the input transform
 * into V `[16][tiles][C]`, the 16 transform-domain GEMMs into M
 * `[16][tiles][K]` (one igemm step over all 16), the output transform with
 * the bias and ReLU. V and M are scratch buffers of the arena, dead after the
 * conv; their matrices are laid out for the plan's batch, so that their
 * offsets do not depend on the samples in a run.
 */
function winogradSteps(node: Extract<GraphNode, { op: 'conv' }>, label: string, key: string, ctx: StepContext): NodeStep[] {
  const l = node.layer;
  const xs = ctx.shapes[node.x];
  const ys = ctx.shapes[node.y];
  const { tilesY, tilesX } = winogradTiles(ys);
  const tilesPerSample = tilesY * tilesX;
  const tiles = tilesPerSample * ctx.batch;
  const vRowFloats = vectorFloats(l.inputChannels);
  const mRowFloats = vectorFloats(l.numFilters);
  const vMatrixBytes = matrixStride(tiles * vRowFloats * F32);
  const mMatrixBytes = matrixStride(tiles * mRowFloats * F32);
  const v = ctx.arena.allocate(WINOGRAD_POSITIONS * vMatrixBytes);
  const m = ctx.arena.allocate(WINOGRAD_POSITIONS * mMatrixBytes);
  // Free again at once: these steps run before any later node's that may reuse the space.
  ctx.arena.free(v);
  ctx.arena.free(m);

  let packed: PackedWeights | undefined;
  const weights = () => (packed ??= packWinogradWeights(l, node.scale, node.shift));
  // Not the direct path's keys: the same layer may run either way at other input sizes.
  const w = ctx.place(`${key}:winograd:w`, () => weights().w, ctx.weights);
  const bias = ctx.place(`${key}:winograd:bias`, () => weights().bias, ctx.weights);
  const blocks = Math.ceil(l.numFilters / IGEMM_NR);
  const work = { perSample: tilesPerSample, granule: 1 };
  return [
    {
      label: `${label} (winograd input)`,
      macs: 0,
      kernel: 'f32_winograd_2x2_3x3_input_nhwc__simd128',
      args: [{ arena: ctx.offsets[node.x] }, ctx.zero, xs.h, xs.w, xs.c, l.padY, l.padX, tilesY, tilesX, { arena: v }, vMatrixBytes],
      work,
    },
    igemmStep(
      {
        label: `${label} (winograd gemms)`,
        macs: winogradMacs(l, ys),
        x: v,
        y: m,
        outputs: mRowFloats,
        relu: false,
        pixelsPerSample: tilesPerSample,
        indirection: ctx.place(
          `${key}:winograd:indirection:${ctx.planKey}`,
          () => matrixIndirection(tiles, vRowFloats, l.inputChannels).offsets,
          'plan',
        ),
        taps: 1,
        tapChannels: l.inputChannels,
        w,
        bias: ctx.place(`zeros:${blocks * IGEMM_NR}`, () => new Float32Array(blocks * IGEMM_NR)),
        batch: { count: WINOGRAD_POSITIONS, xStride: vMatrixBytes, wStride: winogradWeightMatrixBytes(l), yStride: mMatrixBytes },
      },
      ctx,
    ),
    {
      label: `${label} (winograd output)`,
      macs: 0,
      kernel: 'f32_winograd_2x2_3x3_output_nhwc__simd128',
      args: [{ arena: m }, mMatrixBytes, bias, l.numFilters, ys.h, ys.w, tilesY, tilesX, { arena: ctx.offsets[node.y] }, node.relu],
      work,
    },
  ];
}

/** The steps that compute a node: one kernel call, or a Winograd convolution's three. */
function makeSteps(node: GraphNode, ctx: StepContext): NodeStep[] {
  const { shapes, offsets } = ctx;
  const label = labelOf(node, shapes);
  const ys = shapes[node.y];
  const pixels = ys.h * ys.w;
  switch (node.op) {
    case 'conv': {
      const l = node.layer;
      const xs = shapes[node.x];
      const key = `${ctx.key}:${l.index}`;
      if (prefersWinograd(l, ys, ctx.batch)) return winogradSteps(node, label, key, ctx);
      // The indirection depends on the size and batch; so do the weights where taps read only padding.
      const ind = convIndirection(l, xs, ys, ctx.batch);
      const allTaps = ind.positions.length === l.kernelRows * l.kernelCols;
      return [
        directStep(
          label,
          sizeOf(ys) * l.inputChannels * ind.positions.length,
          allTaps ? key : `${key}:taps:${ind.positions.join(',')}`,
          ctx,
          node.x,
          node.y,
          l.numFilters,
          node.relu,
          () => packConvWeights(l, node.scale, node.shift, ind.positions),
          ind,
        ),
      ];
    }
    case 'fc': {
      const l = node.layer;
      const xs = shapes[node.x];
      return [
        directStep(
          label,
          directMacs(node, shapes),
          `${ctx.key}:${l.index}`,
          ctx,
          node.x,
          node.y,
          l.numOutputs,
          node.relu,
          () => packFcWeights(l, xs, node.scale, node.shift),
          matrixIndirection(ctx.batch, l.numInputs, l.numInputs),
        ),
      ];
    }
    case 'pool': {
      const l = node.layer;
      const xs = shapes[node.x];
      const global = l.windowRows === 0 && l.windowCols === 0;
      return [
        {
          label,
          macs: 0,
          kernel: 'f32_pool2d_nhwc__simd128',
          args: [
            { arena: offsets[node.x] },
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
            { arena: offsets[node.y] },
            l.kind === 'max_pool',
          ],
          work: { perSample: pixels, granule: 1 },
        },
      ];
    }
    case 'add': {
      const as = shapes[node.a];
      const bs = shapes[node.b];
      return [
        {
          label,
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
          work: { perSample: pixels, granule: 1 },
        },
      ];
    }
    case 'scale_shift': {
      const key = `${ctx.key}:affine${node.y}`;
      const order = (v: Float32Array) => (node.perElement ? planarToPixelMajor(v, ys.c, ys.h * ys.w) : v);
      return [
        {
          label,
          macs: 0,
          kernel: 'f32_scale_shift_nhwc__simd128',
          args: [
            { arena: offsets[node.x] },
            ys.c,
            pixels,
            ctx.place(`${key}:gamma`, () => order(node.gamma), ctx.weights),
            ctx.place(`${key}:beta`, () => order(node.beta), ctx.weights),
            node.perElement,
            node.relu,
            { arena: offsets[node.y] },
          ],
          work: { perSample: pixels, granule: 1 },
        },
      ];
    }
    case 'relu':
      return [
        {
          label,
          macs: 0,
          kernel: 'f32_relu__simd128',
          args: [{ arena: offsets[node.x] }, { arena: offsets[node.y] }],
          work: { perSample: sizeOf(ys), granule: 1 },
        },
      ];
  }
}
