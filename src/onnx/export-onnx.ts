import type { InputRgbImage, LayerDescription, LossDescription, NetworkDescription } from '../dlib/network-description.js';
import { DatFormatError, InputError, UnsupportedLayerError } from '../errors.js';
import { buildGraph, nodeInputs, type Graph, type GraphNode } from '../plan/graph.js';
import { addNodes, concatNodes, convNodes, fcNodes, inputNodes, poolNodes, reluNodes, scaleShiftNodes } from './layer-nodes.js';
import { floatTensorInfo, intAttribute, OnnxGraph, type OnnxDim } from './onnx-graph.js';
import { ModelProto } from './onnx-schema.js';

/** The ONNX operator set the export uses (ONNX 1.12, 2022): every op used has had its current form since. */
export const OPSET_VERSION = 17;
/** IR version 8: the one of opset 17. */
const IR_VERSION = 8;

export interface ExportOnnxOptions {
  /**
   * For nets whose input layer has no fixed size (`input_rgb_image`): the input
   * size the graph is checked at (rows and columns stay dynamic in the model).
   * Needed only when a layer fixes the size, e.g. an fc over a conv's output;
   * default 224 x 224.
   */
  inputSize?: { rows: number; cols: number };
}

export interface OnnxExport {
  /** The serialized `onnx.ModelProto`. */
  model: Uint8Array;
  /** Dims of `input` and `output`; strings name the dynamic ones. */
  input: OnnxDim[];
  output: OnnxDim[];
  /** What `output` is, given that ONNX has no operator for dlib's loss layer. */
  outputNote: string;
}

const DEFAULT_INPUT_SIZE = { rows: 224, cols: 224 };

/** The graph at the net's own size or, for nets of any size, at `inputSize`. */
function graphAt(net: NetworkDescription, options: ExportOnnxOptions): Graph {
  const { rows, cols } =
    net.input.rows !== undefined && net.input.cols !== undefined
      ? { rows: net.input.rows, cols: net.input.cols }
      : (options.inputSize ?? DEFAULT_INPUT_SIZE);
  try {
    return buildGraph(net, rows, cols);
  } catch (error) {
    if (net.input.rows === undefined && (error instanceof DatFormatError || error instanceof InputError)) {
      throw new InputError(
        `${error.message}; this net takes input of any size, but its layers do not fit ${rows}x${cols}: pass inputSize (--input-size RxC), e.g. the size it was trained on`,
      );
    }
    throw error;
  }
}

function describeOutput(loss: LossDescription, top: LayerDescription | undefined, features: OnnxDim): string {
  const layer = top ? `layer<${top.index}> (${top.kind})` : 'the input layer';
  const count = typeof features === 'number' ? ` (${features} values)` : '';
  if (loss.kind === 'loss_metric') {
    return `ONNX has no loss_metric: output is the output of ${layer}, the descriptor${count}; dlib calls two inputs alike when their descriptors are less than ${Number(loss.distanceThreshold.toPrecision(6))} apart (Euclidean)`;
  }
  return `ONNX has no loss_multiclass_log: output is the output of ${layer}, the class scores (logits)${count}; dlib's label is their argmax (Softmax gives the probabilities)`;
}

/**
 * Exports a dlib network as an ONNX model (opset 17): input `input`, float32
 * N x 3 x rows x cols raw RGB values 0-255 (dlib's mean subtraction and
 * scaling are in the graph), output `output`, N x features, the output of the
 * layer under dlib's loss. Each dlib layer becomes the ONNX operators that
 * compute it, unfused; tensors are named after the layers (`layer12_con`).
 */
export function exportOnnx(net: NetworkDescription, options: ExportOnnxOptions = {}): OnnxExport {
  // A pyramid input tiles the image before the net (and loss_mmod decodes after it): neither is an ONNX operator.
  if (net.input.kind !== 'input_rgb_image')
    throw new UnsupportedLayerError(`${net.input.kind} cannot be exported to ONNX`, net.input.index);
  const graph = graphAt(net, options);
  const fixedSize = net.input.rows !== undefined;
  const layers = new Map<number, LayerDescription>(net.layers.map((layer) => [layer.index, layer]));

  // Each tensor is named after the layer that computes it: the lowest of those mapped to it (tags above it share it).
  const producer = new Map<number, number>();
  for (const [index, tensor] of graph.layerOutputs) producer.set(tensor, Math.max(index, producer.get(tensor) ?? index));
  const layerName = (tensor: number) => {
    const index = producer.get(tensor)!;
    return `layer${index}_${layers.get(index)?.kind ?? net.input.kind}`;
  };

  const onnx = new OnnxGraph();
  const inputName = onnx.reserve('input');
  const outputName = onnx.reserve('output');
  const plainInput: InputRgbImage = net.input;
  const names = new Map<number, string>([[graph.input, inputNodes(onnx, inputName, plainInput, layerName(graph.input))]]);
  for (const node of graph.nodes) names.set(node.y, graphNodeOnnx(onnx, graph, node, names, fixedSize, layerName(node.y)));
  onnx.node('Flatten', [names.get(graph.output)!], outputName, [intAttribute('axis', 1)], true);

  const last = graph.shapes[graph.output];
  const input: OnnxDim[] = ['batch', 3, net.input.rows ?? 'rows', net.input.cols ?? 'cols'];
  const output: OnnxDim[] = ['batch', fixedSize || outputSizeIsFixed(graph) ? last.c * last.h * last.w : 'features'];
  const outputNote = describeOutput(net.loss, layers.get(producer.get(graph.output)!), output[1]);
  const docString =
    `A dlib network exported by dlib-wasm. input: float32 ${input.join(' x ')}, RGB values 0-255 ` +
    `(dlib's input_rgb_image: (pixel - mean) / 256 per channel, mean ${net.input.mean.map((m) => Number(m.toPrecision(6))).join(', ')}, is in the graph). ` +
    `output: float32 ${output.join(' x ')}. ${outputNote}.`;

  const model = ModelProto.encode(
    ModelProto.fromObject({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET_VERSION }],
      producerName: 'dlib-wasm',
      docString,
      graph: {
        name: 'dlib_network',
        docString,
        node: onnx.nodes,
        initializer: onnx.initializers,
        input: [floatTensorInfo(inputName, input, 'RGB values 0-255, NCHW')],
        output: [floatTensorInfo(outputName, output, outputNote)],
      },
    }),
  ).finish();
  return { model, input, output, outputNote };
}

/** Appends the ONNX nodes of one node of the graph; returns the name of its output. */
function graphNodeOnnx(
  onnx: OnnxGraph,
  graph: Graph,
  node: GraphNode,
  names: Map<number, string>,
  fixedSize: boolean,
  name: string,
): string {
  if (node.op === 'add') {
    return addNodes(onnx, names.get(node.a)!, names.get(node.b)!, [graph.shapes[node.a], graph.shapes[node.b]], fixedSize, name);
  }
  if (node.op === 'concat')
    return concatNodes(
      onnx,
      node.inputs.map((t) => names.get(t)!),
      name,
    );
  const x = names.get(node.x)!;
  switch (node.op) {
    case 'conv':
      return convNodes(onnx, x, node.layer, name);
    case 'fc':
      return fcNodes(onnx, x, node.layer, name);
    case 'pool':
      return poolNodes(onnx, x, node.layer, name);
    case 'relu':
      return reluNodes(onnx, x, name);
    case 'scale_shift':
      return scaleShiftNodes(onnx, x, node.gamma, node.beta, node.perElement, graph.shapes[node.x], name);
  }
}

/**
 * Whether the output has the same size at every input size: a tensor's shape
 * follows from its inputs' shapes alone, and an fc's or a whole-input pool's
 * from none of them.
 */
function outputSizeIsFixed(graph: Graph): boolean {
  const fixed = new Array<boolean>(graph.shapes.length).fill(false);
  for (const node of graph.nodes) {
    const wholeInput = node.op === 'fc' || (node.op === 'pool' && node.layer.windowRows === 0 && node.layer.windowCols === 0);
    fixed[node.y] = wholeInput || nodeInputs(node).every((t) => fixed[t]);
  }
  return fixed[graph.output];
}
