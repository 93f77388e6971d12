import { ArenaAllocator, BUFFER_SLACK } from '../memory-layout.js';
import type { ConstantLifetime, PlanConstant } from './constant.js';
import { nodeInputs, sizeOf, type Graph, type GraphNode, type Shape } from './graph.js';
import type { LoweringContext } from './ops/op-lowering.js';
import { loweringOf } from './ops/registry.js';
import type { PlanStep, PlannedArg } from './plan-step.js';

/**
 * A network's steps for one input size and batch, with the constants they
 * use: the engine places those (see PlanConstant), then runs the steps.
 */
export interface ExecutionPlan {
  steps: PlanStep<PlannedArg>[];
  /** In the order the steps first use them, each key once. */
  constants: PlanConstant[];
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
  /**
   * For a plan of one band of rows of a larger input: the whole input's
   * tensor shapes (its graph's, tensor for tensor) and batch. Each op picks
   * its algorithm as for the whole input, so that each row the band keeps is
   * computed as the whole input's plan computes it.
   */
  wholeInput?: { shapes: Shape[]; batch: number };
  /** The kernels fuse multiply-adds (the relaxed-SIMD build); by default not. */
  fusedMultiplyAdd?: boolean;
}

const F32 = 4;

/** Lays out the graph's tensors (NHWC) in an arena and lowers each node to kernel calls (see plan/ops/). */
export function buildExecutionPlan(graph: Graph, options: PlanOptions): ExecutionPlan {
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

  const constants = new Map<string, PlanConstant>();
  const constant: LoweringContext['constant'] = (key, bytes, make, lifetime: ConstantLifetime = 'network') => {
    if (!constants.has(key)) constants.set(key, { key, bytes, make, lifetime });
    return { constant: key };
  };
  // The longest row of zeros a padded convolution tap, or a Winograd tile's padding (whole vectors), may read.
  const zeroFloats = nodes.reduce((longest, node) => Math.max(longest, loweringOf(node).zeroFloats(node)), 4);
  const context: LoweringContext = {
    shapes,
    offsets,
    arena,
    batch,
    key: options.constantKey,
    planKey: `${shapes[graph.input].h}x${shapes[graph.input].w}x${batch}`,
    algorithmShapes: options.wholeInput?.shapes ?? shapes,
    algorithmBatch: options.wholeInput?.batch ?? batch,
    fusedMultiplyAdd: options.fusedMultiplyAdd ?? false,
    zero: constant(`zeros:${zeroFloats}`, zeroFloats * F32, () => new Float32Array(zeroFloats)),
    // An unfused plan's weights are packed for it alone (see DlibNetwork.layerOutputs).
    weights: options.keepAll ? 'plan' : 'network',
    constant,
  };
  const steps: PlanStep<PlannedArg>[] = [];
  let macs = 0;
  nodes.forEach((node, i) => {
    const lowering = loweringOf(node);
    const inPlace = options.keepAll || !lowering.elementwise ? undefined : inPlaceInput(node, shapes, lastUse, i);
    offsets[node.y] = inPlace !== undefined ? offsets[inPlace] : arena.allocate(bytesOf(node.y));
    const nodeMacs = lowering.directMacs(node, shapes);
    macs += nodeMacs;
    for (const step of lowering.lower(node, context)) steps.push({ ...step, nodeMacs });
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
    constants: [...constants.values()],
    batch,
    staging,
    layerOutputs,
    macs,
    arenaBytes: arena.peak + BUFFER_SLACK,
    input: { offset: offsets[graph.input], shape: shapes[graph.input] },
    output: { offset: offsets[graph.output], shape: shapes[graph.output] },
  };
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.c === b.c && a.h === b.h && a.w === b.w;
}

/** An input whose buffer an elementwise node can overwrite: read last here, and of the output's shape. */
function inPlaceInput(node: GraphNode, shapes: Shape[], lastUse: number[], i: number): number | undefined {
  return nodeInputs(node).find((t) => lastUse[t] === i && sameShape(shapes[t], shapes[node.y]));
}
