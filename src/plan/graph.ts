import { DatFormatError, InputError } from '../errors.js';
import { layerOp } from './layer-ops.js';
import type { ConLayer, FcLayer, LayerDescription, NetworkDescription, PoolLayer } from '../dlib/network-description.js';

/** A tensor of one sample: channels x rows x cols. */
export interface Shape {
  c: number;
  h: number;
  w: number;
}

export const sizeOf = (s: Shape): number => s.c * s.h * s.w;

/**
 * The network as a graph of whole-tensor operations, still in dlib's terms
 * of layers but with dlib's in-place layers, tags and skips resolved into
 * explicit tensors. `scale` and `shift` on conv and fc are per-output
 * multipliers and offsets folded in from the affine or bn layers after them.
 */
export type GraphNode =
  | { op: 'conv'; layer: ConLayer; x: number; y: number; scale?: Float32Array; shift?: Float32Array; relu: boolean }
  | { op: 'fc'; layer: FcLayer; x: number; y: number; scale?: Float32Array; shift?: Float32Array; relu: boolean }
  | { op: 'pool'; layer: PoolLayer; x: number; y: number }
  | { op: 'add'; a: number; b: number; y: number; relu: boolean }
  | { op: 'scale_shift'; gamma: Float32Array; beta: Float32Array; perElement: boolean; x: number; y: number; relu: boolean }
  | { op: 'relu'; x: number; y: number }
  | { op: 'concat'; inputs: number[]; y: number };

export interface Graph {
  shapes: Shape[];
  nodes: GraphNode[];
  input: number;
  output: number;
  /** The tensor holding each dlib layer's output, by `layer<i>` index (the input layer's index gives the input). */
  layerOutputs: Map<number, number>;
}

export function nodeInputs(node: GraphNode): number[] {
  if (node.op === 'add') return [node.a, node.b];
  return node.op === 'concat' ? node.inputs : [node.x];
}

const outputExtent = (size: number, pad: number, window: number, stride: number) => 1 + Math.floor((size + 2 * pad - window) / stride);

/**
 * Builds the graph of a network for one input size. An image pyramid input
 * is planned for the tiled image it makes (`rows` x `cols`).
 */
export function buildGraph(net: NetworkDescription, rows: number, cols: number): Graph {
  const shapes: Shape[] = [{ c: 3, h: rows, w: cols }];
  const nodes: GraphNode[] = [];
  const tags = new Map<number, number>();
  const layerOutputs = new Map<number, number>([[net.input.index, 0]]);
  let current = 0;
  const fresh = (shape: Shape) => shapes.push(shape) - 1;

  const tooSmall = (layer: LayerDescription, what: string): never => {
    const s = shapes[current];
    throw new InputError(`an input of ${rows}x${cols} is too small: layer<${layer.index}> (${what}) gets ${s.c}x${s.h}x${s.w}`);
  };
  const inconsistent = (layer: LayerDescription, what: string): never => {
    const s = shapes[current];
    throw new DatFormatError(`${what}, but its input is ${s.c}x${s.h}x${s.w}`, layer.offset, layer.index);
  };

  for (const layer of net.layers) {
    layerOp(layer);
    const s = shapes[current];
    switch (layer.kind) {
      case 'con': {
        if (layer.inputChannels !== s.c) inconsistent(layer, `con expects ${layer.inputChannels} channels`);
        const h = outputExtent(s.h, layer.padY, layer.kernelRows, layer.strideY);
        const w = outputExtent(s.w, layer.padX, layer.kernelCols, layer.strideX);
        if (h < 1 || w < 1) tooSmall(layer, `con ${layer.kernelRows}x${layer.kernelCols}`);
        const y = fresh({ c: layer.numFilters, h, w });
        nodes.push({ op: 'conv', layer, x: current, y, relu: false });
        current = y;
        break;
      }
      case 'fc': {
        if (layer.numInputs !== sizeOf(s)) inconsistent(layer, `fc expects ${layer.numInputs} inputs`);
        const y = fresh({ c: layer.numOutputs, h: 1, w: 1 });
        nodes.push({ op: 'fc', layer, x: current, y, relu: false });
        current = y;
        break;
      }
      case 'max_pool':
      case 'avg_pool': {
        const global = layer.windowRows === 0 && layer.windowCols === 0;
        const h = global ? 1 : outputExtent(s.h, layer.padY, layer.windowRows, layer.strideY);
        const w = global ? 1 : outputExtent(s.w, layer.padX, layer.windowCols, layer.strideX);
        if (h < 1 || w < 1) tooSmall(layer, `${layer.kind} ${layer.windowRows}x${layer.windowCols}`);
        const y = fresh({ c: s.c, h, w });
        nodes.push({ op: 'pool', layer, x: current, y });
        current = y;
        break;
      }
      case 'relu': {
        const y = fresh(s);
        nodes.push({ op: 'relu', x: current, y });
        current = y;
        break;
      }
      case 'affine': {
        if (layer.disabled) break;
        const perElement = layer.mode === 'fc';
        const expected = perElement ? sizeOf(s) : s.c;
        if (layer.gamma.length !== expected) inconsistent(layer, `affine has ${layer.gamma.length} values`);
        const y = fresh(s);
        nodes.push({ op: 'scale_shift', gamma: layer.gamma, beta: layer.beta, perElement, x: current, y, relu: false });
        current = y;
        break;
      }
      case 'bn': {
        const perElement = layer.mode === 'fc';
        const expected = perElement ? sizeOf(s) : s.c;
        if (layer.gamma.length !== expected) inconsistent(layer, `bn has ${layer.gamma.length} values`);
        // Inference: gamma * (x - mean) * invstd + beta, invstd rounded to float as dlib does.
        const n = layer.gamma.length;
        const gamma = new Float32Array(n);
        const beta = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const invstd = Math.fround(1 / Math.sqrt(layer.runningVariances[i] + layer.eps));
          gamma[i] = layer.gamma[i] * invstd;
          beta[i] = layer.beta[i] - layer.runningMeans[i] * layer.gamma[i] * invstd;
        }
        const y = fresh(s);
        nodes.push({ op: 'scale_shift', gamma, beta, perElement, x: current, y, relu: false });
        current = y;
        break;
      }
      case 'multiply': {
        // y = value * x: a per-channel scale with no shift, which folds as an affine does.
        const y = fresh(s);
        const gamma = new Float32Array(s.c).fill(layer.value);
        nodes.push({ op: 'scale_shift', gamma, beta: new Float32Array(s.c), perElement: false, x: current, y, relu: false });
        current = y;
        break;
      }
      case 'concat': {
        const inputs = layer.tags.map((id) => {
          const t = tags.get(id);
          if (t === undefined) throw new DatFormatError(`concat has no tag${id} below it`, layer.offset, layer.index);
          return t;
        });
        const [first, ...others] = inputs.map((t) => shapes[t]);
        const mismatched = others.find((o) => o.h !== first.h || o.w !== first.w);
        if (mismatched) {
          throw new DatFormatError(
            `concat of tags ${layer.tags.join(', ')} gets ${first.h}x${first.w} and ${mismatched.h}x${mismatched.w} pixels; dlib concatenates channels of tensors of one size`,
            layer.offset,
            layer.index,
          );
        }
        const y = fresh({ c: inputs.reduce((sum, t) => sum + shapes[t].c, 0), h: first.h, w: first.w });
        nodes.push({ op: 'concat', inputs, y });
        current = y;
        break;
      }
      case 'tag':
        tags.set(layer.id, current);
        break;
      case 'skip': {
        const t = tags.get(layer.tag);
        if (t === undefined) throw new DatFormatError(`skip${layer.tag} has no tag${layer.tag} below it`, layer.offset, layer.index);
        current = t;
        break;
      }
      case 'add_prev': {
        const t = tags.get(layer.tag);
        if (t === undefined) throw new DatFormatError(`add_prev${layer.tag} has no tag${layer.tag} below it`, layer.offset, layer.index);
        const o = shapes[t];
        const y = fresh({ c: Math.max(s.c, o.c), h: Math.max(s.h, o.h), w: Math.max(s.w, o.w) });
        nodes.push({ op: 'add', a: current, b: t, y, relu: false });
        current = y;
        break;
      }
    }
    layerOutputs.set(layer.index, current);
  }
  return { shapes, nodes, input: 0, output: current, layerOutputs };
}

/** How many nodes read each tensor, plus one for the graph's output. */
function useCounts(graph: Graph): number[] {
  const uses = new Array<number>(graph.shapes.length).fill(0);
  for (const node of graph.nodes) for (const t of nodeInputs(node)) uses[t]++;
  uses[graph.output]++;
  return uses;
}

/** Whether `next` can be folded into `node`, the node that computes its input. */
function canFold(node: GraphNode, next: GraphNode): boolean {
  // Only nodes with a relu flag take a ReLU or anything after one.
  if (!('relu' in node)) return false;
  if (next.op === 'relu') return !node.relu;
  // A per-output scale and shift folds into the weights and bias of a conv or fc.
  if (next.op !== 'scale_shift' || next.relu) return false;
  if (node.op !== 'fc' && !(node.op === 'conv' && !next.perElement)) return false;
  // After a ReLU, only a scale of no negative factor and no shift (a multiply): relu(z) * g = relu(z * g) for g >= 0.
  return !node.relu || (next.gamma.every((g) => g >= 0) && next.beta.every((b) => b === 0));
}

/**
 * Folds each per-channel scale_shift (affine, bn, multiply) into the conv or fc before
 * it, and each ReLU into the node before it, where nothing else reads the
 * intermediate tensor. Returns a new graph whose layerOutputs keep only the
 * tensors that still exist.
 */
export function fuseGraph(graph: Graph): Graph {
  const uses = useCounts(graph);
  const renamed = new Map<number, number>();
  const resolve = (t: number) => renamed.get(t) ?? t;
  const fused: GraphNode[] = [];
  const layerOutputs = new Map(graph.layerOutputs);
  for (const original of graph.nodes) {
    const node = { ...original };
    if (node.op === 'add') {
      node.a = resolve(node.a);
      node.b = resolve(node.b);
    } else if (node.op === 'concat') {
      node.inputs = node.inputs.map(resolve);
    } else {
      node.x = resolve(node.x);
    }
    const prev = fused[fused.length - 1];
    if (prev && uses[prev.y] === 1 && nodeInputs(node).includes(prev.y) && canFold(prev, node)) {
      if (node.op === 'relu') {
        (prev as { relu: boolean }).relu = true;
      } else if (node.op === 'scale_shift' && (prev.op === 'conv' || prev.op === 'fc')) {
        // (x*s + t)*g + b = x*(s*g) + (t*g + b)
        prev.scale = prev.scale ? prev.scale.map((v, i) => v * node.gamma[i]) : node.gamma.slice();
        prev.shift = prev.shift ? prev.shift.map((v, i) => v * node.gamma[i] + node.beta[i]) : node.beta.slice();
      }
      renamed.set(node.y, prev.y);
      uses[prev.y] = uses[node.y];
      // The tensor now holds the folded layer's output; the earlier value is gone.
      for (const [layer, t] of layerOutputs) {
        if (t === prev.y) layerOutputs.delete(layer);
        else if (t === node.y) layerOutputs.set(layer, prev.y);
      }
      continue;
    }
    fused.push(node);
  }
  return { shapes: graph.shapes, nodes: fused, input: graph.input, output: resolve(graph.output), layerOutputs };
}
