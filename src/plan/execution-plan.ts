import type { Kernels } from '../engine/kernels.js';
import { ArenaAllocator, ARENA_SLACK } from './arena.js';
import { nodeInputs, sizeOf, type Graph, type GraphNode, type Shape } from './graph.js';
import { packConvWeights, packFcWeights } from './pack-weights.js';

/** Puts constant data (packed weights) in the kernels' memory; returns its byte address. */
export type WeightPlacer = (key: string, make: () => Float32Array) => number;

/** One step of a plan: runs a node for `count` samples whose arena starts at `base`. */
export type PlanStep = (k: Kernels, base: number, count: number) => void;

export interface ExecutionPlan {
  steps: PlanStep[];
  /** Arena bytes needed for `batch` samples. */
  arenaBytes: number;
  batch: number;
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
  /** Prefix of the weight keys, so that differently fused plans keep their own weights. */
  weightKey: string;
}

const F32 = 4;

/** Lays out the graph's tensors in an arena and turns each node into a kernel call. */
export function buildExecutionPlan(graph: Graph, place: WeightPlacer, options: PlanOptions): ExecutionPlan {
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

  const steps: PlanStep[] = [];
  let macs = 0;
  nodes.forEach((node, i) => {
    const inPlace = options.keepAll ? undefined : inPlaceInput(node, shapes, lastUse, i);
    offsets[node.y] = inPlace !== undefined ? offsets[inPlace] : arena.allocate(bytesOf(node.y));
    let scratch = -1;
    if (node.op === 'conv' && !isPointwise(node)) {
      const s = shapes[node.y];
      scratch = arena.allocate(node.layer.inputChannels * node.layer.kernelRows * node.layer.kernelCols * s.h * s.w * F32);
    }
    steps.push(makeStep(node, shapes, offsets, scratch, place, options.weightKey));
    macs += macsOf(node, shapes);
    if (scratch >= 0) arena.free(scratch);
    for (const t of new Set(nodeInputs(node))) {
      if (lastUse[t] === i && offsets[t] !== offsets[node.y]) arena.free(offsets[t]);
    }
  });

  const layerOutputs = new Map<number, { offset: number; shape: Shape }>();
  for (const [layer, t] of graph.layerOutputs) {
    if (options.keepAll || t === graph.output) layerOutputs.set(layer, { offset: offsets[t], shape: shapes[t] });
  }
  return {
    steps, batch, macs, staging, layerOutputs,
    arenaBytes: arena.peak + ARENA_SLACK,
    input: { offset: offsets[graph.input], shape: shapes[graph.input] },
    output: { offset: offsets[graph.output], shape: shapes[graph.output] },
  };
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.c === b.c && a.h === b.h && a.w === b.w;
}

/** An input whose buffer an elementwise node can overwrite: read last here, and of the output's shape. */
function inPlaceInput(node: GraphNode, shapes: Shape[], lastUse: number[], i: number): number | undefined {
  if (node.op !== 'relu' && node.op !== 'scale_shift' && node.op !== 'add') return undefined;
  return nodeInputs(node).find((t) => lastUse[t] === i && sameShape(shapes[t], shapes[node.y]));
}

function isPointwise(node: Extract<GraphNode, { op: 'conv' }>): boolean {
  const l = node.layer;
  return l.kernelRows === 1 && l.kernelCols === 1 && l.strideY === 1 && l.strideX === 1 && l.padY === 0 && l.padX === 0;
}

function macsOf(node: GraphNode, shapes: Shape[]): number {
  if (node.op === 'conv') {
    const l = node.layer;
    return sizeOf(shapes[node.y]) * l.inputChannels * l.kernelRows * l.kernelCols;
  }
  if (node.op === 'fc') return node.layer.numInputs * node.layer.numOutputs;
  return 0;
}

function makeStep(
  node: GraphNode, shapes: Shape[], offsets: number[], scratch: number, place: WeightPlacer, weightKey: string,
): PlanStep {
  const y = offsets[node.y];
  const ys = shapes[node.y];
  const yBytes = sizeOf(ys) * F32;
  switch (node.op) {
    case 'conv': {
      const l = node.layer;
      const xs = shapes[node.x];
      const x = offsets[node.x];
      const xBytes = sizeOf(xs) * F32;
      const key = `${weightKey}:${l.index}`;
      let packed: ReturnType<typeof packConvWeights> | undefined;
      const pack = () => (packed ??= packConvWeights(l, node.scale, node.shift));
      const a = place(`${key}:a`, () => pack().a);
      const bias = place(`${key}:bias`, () => pack().bias);
      const m = l.numFilters;
      const k = l.inputChannels * l.kernelRows * l.kernelCols;
      const n = ys.h * ys.w;
      const relu = node.relu;
      if (scratch < 0) {
        return (kn, base, count) => {
          for (let s = 0; s < count; s++) {
            kn.f32_gemm_4x8__simd128(m, n, k, a, bias, base + x + s * xBytes, n, base + y + s * yBytes, n, relu);
          }
        };
      }
      return (kn, base, count) => {
        for (let s = 0; s < count; s++) {
          kn.f32_im2col(
            base + x + s * xBytes, xs.c, xs.h, xs.w, l.kernelRows, l.kernelCols,
            l.strideY, l.strideX, l.padY, l.padX, ys.h, ys.w, base + scratch,
          );
          kn.f32_gemm_4x8__simd128(m, n, k, a, bias, base + scratch, n, base + y + s * yBytes, n, relu);
        }
      };
    }
    case 'fc': {
      const l = node.layer;
      const x = offsets[node.x];
      const xBytes = sizeOf(shapes[node.x]) * F32;
      const key = `${weightKey}:${l.index}`;
      let packed: ReturnType<typeof packFcWeights> | undefined;
      const pack = () => (packed ??= packFcWeights(l, node.scale, node.shift));
      const w = place(`${key}:w`, () => pack().w);
      const bias = place(`${key}:bias`, () => pack().bias);
      const ldw = pack().ldw;
      const relu = node.relu;
      return (kn, base, count) => {
        for (let s = 0; s < count; s++) {
          kn.f32_fc__simd128(base + x + s * xBytes, l.numInputs, w, ldw, bias, base + y + s * yBytes, l.numOutputs, relu);
        }
      };
    }
    case 'pool': {
      const l = node.layer;
      const xs = shapes[node.x];
      const x = offsets[node.x];
      const xBytes = sizeOf(xs) * F32;
      const global = l.windowRows === 0 && l.windowCols === 0;
      const [wh, ww] = global ? [xs.h, xs.w] : [l.windowRows, l.windowCols];
      const [sy, sx] = global ? [1, 1] : [l.strideY, l.strideX];
      const [py, px] = global ? [0, 0] : [l.padY, l.padX];
      const isMax = l.kind === 'max_pool';
      return (kn, base, count) => {
        for (let s = 0; s < count; s++) {
          kn.f32_pool2d(base + x + s * xBytes, xs.c, xs.h, xs.w, wh, ww, sy, sx, py, px, ys.h, ys.w, base + y + s * yBytes, isMax);
        }
      };
    }
    case 'add': {
      const as = shapes[node.a];
      const bs = shapes[node.b];
      const a = offsets[node.a];
      const b = offsets[node.b];
      const aBytes = sizeOf(as) * F32;
      const bBytes = sizeOf(bs) * F32;
      const relu = node.relu;
      return (kn, base, count) => {
        for (let s = 0; s < count; s++) {
          kn.f32_add_zero_extend(
            base + a + s * aBytes, as.c, as.h, as.w, base + b + s * bBytes, bs.c, bs.h, bs.w,
            base + y + s * yBytes, ys.c, ys.h, ys.w, relu,
          );
        }
      };
    }
    case 'scale_shift': {
      const x = offsets[node.x];
      const key = `${weightKey}:ss${node.y}`;
      const gamma = place(`${key}:gamma`, () => node.gamma);
      const beta = place(`${key}:beta`, () => node.beta);
      const [channels, plane] = node.perElement ? [1, sizeOf(ys)] : [ys.c, ys.h * ys.w];
      const { perElement, relu } = node;
      return (kn, base, count) => {
        for (let s = 0; s < count; s++) {
          kn.f32_scale_shift(base + x + s * yBytes, channels, plane, gamma, beta, perElement, relu, base + y + s * yBytes);
        }
      };
    }
    case 'relu': {
      const x = offsets[node.x];
      const n = sizeOf(ys);
      return (kn, base, count) => kn.f32_relu(base + x, n * count, base + y);
    }
  }
}
