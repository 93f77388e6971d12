import type { KernelName } from '../engine/kernels.js';
import { ArenaAllocator, ARENA_SLACK } from './arena.js';
import { nodeInputs, sizeOf, type Graph, type GraphNode, type Shape } from './graph.js';
import { convIndirection, fcIndirection, type Indirection } from './indirection.js';
import { IGEMM_MR, IGEMM_NR, packConvWeights, packFcWeights, toPixelMajor, type PackedWeights } from './pack-weights.js';

/** Puts constant data (packed weights, indirection) in the kernels' memory; returns its byte address. */
export type ConstantPlacer = (key: string, make: () => Float32Array | Int32Array) => number;

/**
 * A kernel argument: a plain number, an arena offset (the arena's base
 * address is added at run time) or a count per sample (multiplied by the
 * samples in the run).
 */
export type StepArg = number | boolean | { arena: number } | { perSample: number };

/**
 * One step of a plan, as data (so that workers can run it too): a kernel,
 * its arguments, and the work it splits into. The kernel takes the work range
 * as its last arguments: `(start, end)` items, then `(blockStart, blockEnd)`
 * when `blocks` is set.
 */
export interface PlanStep {
  /** The dlib layers it computes, e.g. `layer<130> con 7x7/2 3 +affine +relu -> 32x72x72`. */
  label: string;
  /** Multiply-adds per sample. */
  macs: number;
  kernel: KernelName;
  args: StepArg[];
  /** Work items: ceil(samples * perSample / granule). */
  work: { perSample: number; granule: number; blocks?: number };
}

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
  /** Multiply-adds per sample. */
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
    shapes, offsets, place, batch, key: options.constantKey, zero: 0,
    planKey: `${shapes[graph.input].h}x${shapes[graph.input].w}x${batch}`,
  };
  context.zero = place(`zeros:${maxTapChannels(graph)}`, () => new Float32Array(maxTapChannels(graph)));
  const steps: PlanStep[] = [];
  nodes.forEach((node, i) => {
    const inPlace = options.keepAll ? undefined : inPlaceInput(node, shapes, lastUse, i);
    offsets[node.y] = inPlace !== undefined ? offsets[inPlace] : arena.allocate(bytesOf(node.y));
    steps.push(makeStep(node, context));
    for (const t of new Set(nodeInputs(node))) {
      if (lastUse[t] === i && offsets[t] !== offsets[node.y]) arena.free(offsets[t]);
    }
  });

  const layerOutputs = new Map<number, { offset: number; shape: Shape }>();
  for (const [layer, t] of graph.layerOutputs) {
    if (options.keepAll || t === graph.output) layerOutputs.set(layer, { offset: offsets[t], shape: shapes[t] });
  }
  return {
    steps, batch, staging, layerOutputs,
    macs: steps.reduce((sum, s) => sum + s.macs, 0),
    arenaBytes: arena.peak + ARENA_SLACK,
    input: { offset: offsets[graph.input], shape: shapes[graph.input] },
    output: { offset: offsets[graph.output], shape: shapes[graph.output] },
  };
}

/** The longest row of zeros a padded convolution tap may read. */
function maxTapChannels(graph: Graph): number {
  let longest = 4;
  for (const node of graph.nodes) {
    if (node.op === 'conv') longest = Math.max(longest, node.layer.kernelCols * node.layer.inputChannels);
  }
  return longest;
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
  batch: number;
  key: string;
  planKey: string;
  zero: number;
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

function igemmStep(
  label: string, macs: number, key: string, ctx: StepContext, x: number, y: number, outputs: number, relu: boolean,
  pack: () => PackedWeights, indirection: () => Indirection,
): PlanStep {
  let packed: PackedWeights | undefined;
  const weights = () => (packed ??= pack());
  // The offsets depend on the layer's geometry, so on the plan's input size and batch.
  const indirectionKey = `${key}:indirection:${ctx.planKey}`;
  const ind = indirection();
  const pixelsPerSample = sizeOf(ctx.shapes[y]) / outputs;
  return {
    label, macs, kernel: 'f32_igemm_4x8__simd128',
    args: [
      { arena: ctx.offsets[x] }, ctx.zero, ctx.place(indirectionKey, () => ind.offsets), ind.taps, ind.tapChannels,
      ctx.place(`${key}:w`, () => weights().w), ctx.place(`${key}:bias`, () => weights().bias),
      { arena: ctx.offsets[y] }, outputs, { perSample: pixelsPerSample }, relu,
    ],
    work: { perSample: pixelsPerSample, granule: IGEMM_MR, blocks: Math.ceil(outputs / IGEMM_NR) },
  };
}

function makeStep(node: GraphNode, ctx: StepContext): PlanStep {
  const { shapes, offsets } = ctx;
  const label = labelOf(node, shapes);
  const ys = shapes[node.y];
  const pixels = ys.h * ys.w;
  switch (node.op) {
    case 'conv': {
      const l = node.layer;
      const xs = shapes[node.x];
      const macs = sizeOf(ys) * l.inputChannels * l.kernelRows * l.kernelCols;
      // Weights depend on the fusion only; the indirection also on the size and batch.
      return igemmStep(
        label, macs, `${ctx.key}:${l.index}`, ctx, node.x, node.y, l.numFilters, node.relu,
        () => packConvWeights(l, node.scale, node.shift), () => convIndirection(l, xs, ys, ctx.batch),
      );
    }
    case 'fc': {
      const l = node.layer;
      const xs = shapes[node.x];
      return igemmStep(
        label, l.numInputs * l.numOutputs, `${ctx.key}:${l.index}`, ctx, node.x, node.y, l.numOutputs, node.relu,
        () => packFcWeights(l, xs, node.scale, node.shift), () => fcIndirection(l.numInputs, ctx.batch),
      );
    }
    case 'pool': {
      const l = node.layer;
      const xs = shapes[node.x];
      const global = l.windowRows === 0 && l.windowCols === 0;
      return {
        label, macs: 0, kernel: 'f32_pool2d_nhwc__simd128',
        args: [
          { arena: offsets[node.x] }, xs.h, xs.w, xs.c,
          global ? xs.h : l.windowRows, global ? xs.w : l.windowCols,
          global ? 1 : l.strideY, global ? 1 : l.strideX, global ? 0 : l.padY, global ? 0 : l.padX,
          ys.h, ys.w, { arena: offsets[node.y] }, l.kind === 'max_pool',
        ],
        work: { perSample: pixels, granule: 1 },
      };
    }
    case 'add': {
      const as = shapes[node.a];
      const bs = shapes[node.b];
      return {
        label, macs: 0, kernel: 'f32_add_zero_extend_nhwc__simd128',
        args: [
          { arena: offsets[node.a] }, as.h, as.w, as.c, { arena: offsets[node.b] }, bs.h, bs.w, bs.c,
          { arena: offsets[node.y] }, ys.h, ys.w, ys.c, node.relu,
        ],
        work: { perSample: pixels, granule: 1 },
      };
    }
    case 'scale_shift': {
      const key = `${ctx.key}:affine${node.y}`;
      const order = (v: Float32Array) => (node.perElement ? toPixelMajor(v, ys) : v);
      return {
        label, macs: 0, kernel: 'f32_scale_shift_nhwc__simd128',
        args: [
          { arena: offsets[node.x] }, ys.c, pixels,
          ctx.place(`${key}:gamma`, () => order(node.gamma)), ctx.place(`${key}:beta`, () => order(node.beta)),
          node.perElement, node.relu, { arena: offsets[node.y] },
        ],
        work: { perSample: pixels, granule: 1 },
      };
    }
    case 'relu':
      return {
        label, macs: 0, kernel: 'f32_relu__simd128',
        args: [{ arena: offsets[node.x] }, { arena: offsets[node.y] }],
        work: { perSample: sizeOf(ys), granule: 1 },
      };
  }
}
