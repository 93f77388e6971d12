import type { ConLayer, FcLayer, InputRgbImage, PoolLayer } from '../dlib/network-description.js';
import type { Shape } from '../plan/graph.js';
import { intAttribute, intsAttribute, type OnnxGraph } from './onnx-graph.js';

/*
 * One function per kind of node of dlib-wasm's graph (src/plan/graph.ts), each
 * appending the ONNX nodes that compute it as dlib does. Every tensor is NCHW
 * with a batch dimension, as in dlib (an fc's output is N x outputs x 1 x 1).
 */

/** input_rgb_image: (pixel - mean) / 256 per channel, from raw RGB values 0-255. */
export function inputNodes(graph: OnnxGraph, input: string, layer: InputRgbImage, name: string): string {
  const mean = graph.floats(`${name}_mean`, layer.mean, [1, 3, 1, 1]);
  const centered = graph.node('Sub', [input, mean], `${name}_centered`);
  // Multiplying by 2^-8 is exact: the same floats as dividing by 256.
  return graph.node('Mul', [centered, graph.floats(`${name}_scale`, [1 / 256], [])], name);
}

export function convNodes(graph: OnnxGraph, x: string, layer: ConLayer, name: string): string {
  const { numFilters, inputChannels, kernelRows, kernelCols } = layer;
  const inputs = [x, graph.floats(`${name}_filters`, layer.filters, [numFilters, inputChannels, kernelRows, kernelCols])];
  if (layer.bias) inputs.push(graph.floats(`${name}_bias`, layer.bias, [numFilters]));
  return graph.node('Conv', inputs, name, [
    intsAttribute('kernel_shape', [kernelRows, kernelCols]),
    intsAttribute('strides', [layer.strideY, layer.strideX]),
    intsAttribute('pads', [layer.padY, layer.padX, layer.padY, layer.padX]),
  ]);
}

/** fc: dlib flattens each sample in NCHW order and multiplies by its [inputs][outputs] weights. */
export function fcNodes(graph: OnnxGraph, x: string, layer: FcLayer, name: string): string {
  const flat = graph.node('Flatten', [x], `${name}_flat`, [intAttribute('axis', 1)]);
  const inputs = [flat, graph.floats(`${name}_weights`, layer.weights, [layer.numInputs, layer.numOutputs])];
  if (layer.bias) inputs.push(graph.floats(`${name}_bias`, layer.bias, [layer.numOutputs]));
  const product = graph.node('Gemm', inputs, `${name}_gemm`);
  return graph.node('Reshape', [product, graph.int64s(`${name}_shape`, [0, layer.numOutputs, 1, 1])], name);
}

/**
 * max_pool and avg_pool. dlib's windows start at `out * stride - pad`; padded
 * cells never win a max and are not counted in an average (count_include_pad=0).
 * A 0x0 window is the whole input.
 */
export function poolNodes(graph: OnnxGraph, x: string, layer: PoolLayer, name: string): string {
  const isMax = layer.kind === 'max_pool';
  if (layer.windowRows === 0 && layer.windowCols === 0) {
    return graph.node(isMax ? 'GlobalMaxPool' : 'GlobalAveragePool', [x], name);
  }
  const attributes = [
    intsAttribute('kernel_shape', [layer.windowRows, layer.windowCols]),
    intsAttribute('strides', [layer.strideY, layer.strideX]),
    intsAttribute('pads', [layer.padY, layer.padX, layer.padY, layer.padX]),
  ];
  if (!isMax) attributes.push(intAttribute('count_include_pad', 0));
  return graph.node(isMax ? 'MaxPool' : 'AveragePool', [x], name, attributes);
}

export function reluNodes(graph: OnnxGraph, x: string, name: string): string {
  return graph.node('Relu', [x], name);
}

/**
 * affine and bn (inference): `gamma * x + beta` per channel, or per element
 * (fc mode), with bn's statistics folded into gamma and beta as dlib computes
 * them; multiply (no beta) is the Mul alone.
 */
export function scaleShiftNodes(
  graph: OnnxGraph,
  x: string,
  gamma: Float32Array,
  beta: Float32Array,
  perElement: boolean,
  shape: Shape,
  name: string,
): string {
  const dims = perElement ? [shape.c, shape.h, shape.w] : [shape.c, 1, 1];
  const shifted = beta.some((b) => b !== 0);
  const scaled = graph.node('Mul', [x, graph.floats(`${name}_gamma`, gamma, dims)], shifted ? `${name}_scaled` : name);
  return shifted ? graph.node('Add', [scaled, graph.floats(`${name}_beta`, beta, dims)], name) : scaled;
}

/** concat: the inputs' channels one after the other (dlib's tag order). */
export function concatNodes(graph: OnnxGraph, inputs: string[], name: string): string {
  return graph.node('Concat', inputs, name, [intAttribute('axis', 1)]);
}

/**
 * add_prev: dlib adds tensors of different shapes by zero-extending the smaller
 * one at the end of each dimension, so each side is padded with zeros to the
 * larger of the two. With a fixed input size the pads are constants; otherwise
 * rows and columns are padded by what the run-time shapes differ by.
 */
export function addNodes(graph: OnnxGraph, a: string, b: string, shapes: [Shape, Shape], fixedSize: boolean, name: string): string {
  const channels = Math.max(shapes[0].c, shapes[1].c);
  if (fixedSize) {
    const h = Math.max(shapes[0].h, shapes[1].h);
    const w = Math.max(shapes[0].w, shapes[1].w);
    const padded = [a, b].map((x, side) => {
      const s = shapes[side];
      if (s.c === channels && s.h === h && s.w === w) return x;
      const pads = graph.int64s(`${name}_pads`, [0, 0, 0, 0, 0, channels - s.c, h - s.h, w - s.w]);
      return graph.node('Pad', [x, pads], `${name}_padded`);
    });
    return graph.node('Add', padded, name);
  }
  const sizes = [a, b].map((x) => graph.node('Shape', [x], `${name}_size`, [intAttribute('start', 2)]));
  const larger = graph.node('Max', sizes, `${name}_larger`);
  const padded = [a, b].map((x, side) => {
    const missing = graph.node('Sub', [larger, sizes[side]], `${name}_missing`);
    const leading = graph.int64s(`${name}_leading_pads`, [0, 0, 0, 0, 0, channels - shapes[side].c]);
    const pads = graph.node('Concat', [leading, missing], `${name}_pads`, [intAttribute('axis', 0)]);
    return graph.node('Pad', [x, pads], `${name}_padded`);
  });
  return graph.node('Add', padded, name);
}
