import { InputError, TopologyError, UnsupportedLayerError } from '../errors.js';
import { faceRecognitionTopology } from './face-model-topology.js';
import type {
  AffineLayer,
  BatchNormLayer,
  ConLayer,
  FcLayer,
  InputRgbImage,
  LayerDescription,
  LayerMode,
  LossDescription,
  NetworkDescription,
  PoolLayer,
} from './network-description.js';
import { parsePrintout, type Topology, type TopologyLayer } from './printout.js';
import { DlibByteReader, type AliasShape } from './serialization.js';
import { optionsObject } from '../arguments.js';

export interface ReadNetworkOptions {
  /**
   * dlib's printout of the net (`std::cout << net`) or its parsed form. The
   * file does not store tag, skip or add_prev ids, so nets that use them need
   * it; without it the built-in face-model topology is assumed.
   */
  printout?: string | Topology;
}

/** A tag or skip wrapper: the file cannot tell which, nor its id. */
interface Marker {
  kind: 'tag_or_skip';
  index: number;
  offset: number;
}
/** add_prev as the file has it: without the id of its tag. */
interface RawAddPrev {
  kind: 'add_prev_unresolved';
  index: number;
  offset: number;
}
type RawLayer = Exclude<LayerDescription, { kind: 'add_prev' | 'tag' | 'skip' }> | Marker | RawAddPrev;

const PARAMETERLESS: Record<string, 'relu' | 'add_prev_unresolved'> = { relu_: 'relu', add_prev_: 'add_prev_unresolved' };
const LAYER_TAGS = new Set([
  'con_4',
  'con_5',
  'fc_2',
  'fc_3',
  'relu_',
  'affine_',
  'affine_2',
  'bn_con2',
  'bn_fc2',
  'max_pool_2',
  'avg_pool_2',
  'add_prev_',
]);

/**
 * Reads a dlib DNN `.dat` (as written by `serialize(file) << net`) into a
 * typed network description, checked against the net's topology.
 */
export function readDlibNetwork(source: Uint8Array | ArrayBuffer, options?: ReadNetworkOptions): NetworkDescription {
  options = optionsObject(options, "readDlibNetwork's options");
  const given = typeof options.printout === 'string' ? parsePrintout(options.printout) : options.printout;
  if (given !== undefined && !Array.isArray(given?.layers)) {
    // Most likely a Buffer from readFileSync without an encoding.
    throw new InputError(
      `printout must be dlib's printout text or parsePrintout()'s result, not ${Object.prototype.toString.call(given).slice(8, -1)}`,
    );
  }
  const r = new DlibByteReader(source);
  if (r.remaining === 0) r.fail('the file is empty');
  r.layerIndex = 0;
  r.version('add_loss_layer', 1);
  const loss = readLoss(r);

  // The wrappers' versions come first, outermost first; the payloads follow
  // after the input layer, innermost first.
  const wrappers: { version: number; offset: number }[] = [];
  for (;;) {
    const offset = r.offset;
    r.layerIndex = wrappers.length + 1;
    const version = r.int('layer wrapper version');
    if (version < 1 || version > 3) r.fail(`unexpected layer wrapper version ${version}`, offset);
    wrappers.push({ version, offset });
    if (r.peekString()?.startsWith('input')) break;
    // Only the input layer may follow version 3: reading its tag reports a truncated file as truncated.
    if (version === 3)
      r.fail(`wrapper version 3 is only valid directly above the input layer, not above "${r.string('input layer version')}"`, offset);
  }
  // Which wrappers have a payload is read from the topology: a wrong one must fail here, not as garbled payloads.
  if (given) checkLayerCount(wrappers.length, given, false);
  const inputIndex = wrappers.length + 1;
  r.layerIndex = inputIndex;
  const input = readInput(r, inputIndex);

  const raw: RawLayer[] = [];
  const innermost = wrappers.length - 1;
  r.layerIndex = innermost + 1;
  const next = r.peekString();
  // Version 3 is only ever an add_layer; a version 2 is a tag instead when no layer's tag follows.
  if (wrappers[innermost].version === 3 || (wrappers[innermost].version === 2 && next !== undefined && LAYER_TAGS.has(next))) {
    raw.push(readLayerDetails(r, innermost + 1));
    readTrailer(r, 'input');
    if (wrappers[innermost].version === 3) r.int('sample_expansion_factor', { unsigned: true });
  } else {
    // A tag directly on the input layer.
    raw.push({ kind: 'tag_or_skip', index: innermost + 1, offset: wrappers[innermost].offset });
    r.skipTensor('cached_output');
    r.skipTensor('grad_final');
    r.bool('gradient_input_is_stale');
    if (wrappers[innermost].version === 2) r.int('sample_expansion_factor', { unsigned: true });
  }
  for (let w = innermost - 1; w >= 0; w--) {
    const index = w + 1;
    r.layerIndex = index;
    const { version, offset } = wrappers[w];
    // Version 1 is a tag or skip, or an add_layer of an older dlib; only the topology can tell.
    const marker = version === 1 && (given === undefined || isMarkerKind(given.layers[index - 1]?.kind));
    if (marker) {
      raw.push({ kind: 'tag_or_skip', index, offset });
    } else {
      raw.push(readLayerDetails(r, index));
      readTrailer(r, version === 1 ? 'v1' : 'v2');
    }
  }
  r.layerIndex = undefined;
  if (r.remaining !== 0) r.fail(`${r.remaining} unexpected bytes after the network`);

  const needsTopology = raw.some((l) => l.kind === 'tag_or_skip' || l.kind === 'add_prev_unresolved');
  const topology = given ?? (needsTopology ? faceRecognitionTopology() : undefined);
  const layers = resolveTopology(raw, topology, given === undefined);
  if (topology) checkEnds(loss, input, topology);
  return { loss, input, layers };
}

function isMarkerKind(kind: string | undefined): boolean {
  return kind === 'tag' || kind === 'skip';
}

function readLoss(r: DlibByteReader): LossDescription {
  const start = r.offset;
  const tag = r.string('loss layer version');
  switch (tag) {
    case 'loss_metric_2':
      return { kind: 'loss_metric', margin: r.finiteReal('margin'), distanceThreshold: r.finiteReal('distance_threshold') };
    case 'loss_metric_':
      // dlib's defaults before margin and threshold were serialized.
      return { kind: 'loss_metric', margin: 0.1, distanceThreshold: 0.75 };
    case 'loss_multiclass_log_':
      return { kind: 'loss_multiclass_log' };
    default:
      throw unsupported(`loss layer "${tag}"`, 0, start);
  }
}

function readInput(r: DlibByteReader, index: number): InputRgbImage {
  const start = r.offset;
  const tag = r.string('input layer version');
  if (tag !== 'input_rgb_image' && tag !== 'input_rgb_image_sized') throw unsupported(`input layer "${tag}"`, index, start);
  const mean: [number, number, number] = [r.real('avg_red'), r.real('avg_green'), r.real('avg_blue')];
  if (!mean.every(Number.isFinite)) r.fail(`input means are not finite: ${mean.join(', ')}`, start);
  if (tag === 'input_rgb_image') return { kind: 'input_rgb_image', index, mean };
  const rows = r.count('input rows', 1 << 16);
  const cols = r.count('input cols', 1 << 16);
  if (rows === 0 || cols === 0) r.fail(`input size ${rows}x${cols} is empty`, start);
  return { kind: 'input_rgb_image', index, mean, rows, cols };
}

/** What follows each add_layer's details: flags and (usually empty) cached tensors. */
function readTrailer(r: DlibByteReader, form: 'input' | 'v1' | 'v2'): void {
  r.bool('this_layer_setup_called');
  r.bool('gradient_input_is_stale');
  r.bool('get_output_and_gradient_input_disabled');
  r.skipTensor('x_grad');
  r.skipTensor('cached_output');
  if (form !== 'v1') r.skipTensor(form === 'input' ? 'grad_final' : 'params_grad');
}

function readLayerDetails(r: DlibByteReader, index: number): RawLayer {
  const offset = r.offset;
  const tag = r.string('layer version');
  switch (tag) {
    case 'con_4':
    case 'con_5':
      return readCon(r, index, offset, tag === 'con_5');
    case 'fc_2':
    case 'fc_3':
      return readFc(r, index, offset, tag === 'fc_3');
    case 'affine_':
    case 'affine_2':
      return readAffine(r, index, offset, tag === 'affine_2');
    case 'bn_con2':
    case 'bn_fc2':
      return readBatchNorm(r, index, offset, tag === 'bn_con2' ? 'conv' : 'fc');
    case 'max_pool_2':
    case 'avg_pool_2':
      return readPool(r, index, offset, tag === 'max_pool_2' ? 'max_pool' : 'avg_pool');
    default:
      if (tag in PARAMETERLESS) return { kind: PARAMETERLESS[tag], index, offset } as RawLayer;
      throw unsupported(`layer "${tag}"`, index, offset);
  }
}

function sizeOf(shape: AliasShape): number {
  return shape[0] * shape[1] * shape[2] * shape[3];
}

function readCon(r: DlibByteReader, index: number, offset: number, hasUseBias: boolean): ConLayer {
  const params = r.tensor('con params');
  const numFilters = r.count('num_filters');
  const kernelRows = r.count('nr');
  const kernelCols = r.count('nc');
  const strideY = r.count('stride_y');
  const strideX = r.count('stride_x');
  const padY = r.count('padding_y');
  const padX = r.count('padding_x');
  const filters = r.alias('filters');
  r.alias('biases');
  for (const m of ['learning_rate', 'weight_decay', 'bias_learning_rate', 'bias_weight_decay']) r.real(`${m}_multiplier`);
  const useBias = hasUseBias ? r.bool('use_bias') : true;
  if (numFilters === 0 || kernelRows === 0 || kernelCols === 0 || strideY === 0 || strideX === 0) {
    r.fail(`con has a zero size: ${numFilters} filters ${kernelRows}x${kernelCols} stride ${strideY},${strideX}`, offset);
  }
  if (padY >= kernelRows || padX >= kernelCols)
    r.fail(`con padding ${padY},${padX} is not smaller than its ${kernelRows}x${kernelCols} kernel`, offset);
  if (filters[0] !== numFilters || filters[2] !== kernelRows || filters[3] !== kernelCols) {
    r.fail(`con filters alias [${filters.join(',')}] does not match ${numFilters} filters of ${kernelRows}x${kernelCols}`, offset);
  }
  const weightCount = sizeOf(filters);
  const expected = weightCount + (useBias ? numFilters : 0);
  if (params.data.length !== expected) {
    r.fail(`con params hold ${params.data.length} values, expected ${expected} (has the layer been set up?)`, offset);
  }
  return {
    kind: 'con',
    index,
    offset,
    numFilters,
    inputChannels: filters[1],
    kernelRows,
    kernelCols,
    strideY,
    strideX,
    padY,
    padX,
    filters: params.data.subarray(0, weightCount),
    bias: useBias ? params.data.subarray(weightCount) : null,
  };
}

function readFc(r: DlibByteReader, index: number, offset: number, hasUseBias: boolean): FcLayer {
  const numOutputs = r.count('num_outputs');
  const numInputs = r.count('num_inputs');
  const params = r.tensor('fc params');
  r.alias('weights');
  r.alias('biases');
  const biasModeAt = r.offset;
  const biasMode = r.int('bias_mode');
  if (biasMode !== 0 && biasMode !== 1) r.fail(`unknown fc bias_mode ${biasMode}`, biasModeAt);
  for (const m of ['learning_rate', 'weight_decay', 'bias_learning_rate', 'bias_weight_decay']) r.real(`${m}_multiplier`);
  const useBias = hasUseBias ? r.bool('use_bias') : true;
  const hasBias = biasMode === 0 && useBias;
  if (numOutputs === 0 || numInputs === 0) r.fail(`fc has ${numOutputs} outputs and ${numInputs} inputs`, offset);
  const expected = (numInputs + (hasBias ? 1 : 0)) * numOutputs;
  if (params.data.length !== expected) {
    r.fail(`fc params hold ${params.data.length} values, expected ${expected} (has the layer been set up?)`, offset);
  }
  const weightCount = numInputs * numOutputs;
  return {
    kind: 'fc',
    index,
    offset,
    numOutputs,
    numInputs,
    weights: params.data.subarray(0, weightCount),
    bias: hasBias ? params.data.subarray(weightCount) : null,
  };
}

function layerMode(r: DlibByteReader, value: number, at: number): LayerMode {
  if (value === 0) return 'conv';
  if (value === 1) return 'fc';
  return r.fail(`unknown layer mode ${value}`, at);
}

function readAffine(r: DlibByteReader, index: number, offset: number, hasDisabled: boolean): AffineLayer {
  const params = r.tensor('affine params');
  const gamma = r.alias('gamma');
  r.alias('beta');
  const modeAt = r.offset;
  const mode = layerMode(r, r.int('mode'), modeAt);
  const disabled = hasDisabled ? r.bool('disabled') : false;
  if (disabled) return { kind: 'affine', index, offset, mode, gamma: new Float32Array(0), beta: new Float32Array(0), disabled };
  const n = sizeOf(gamma);
  if (n === 0 || params.data.length !== 2 * n) r.fail(`affine params hold ${params.data.length} values for gamma of ${n}`, offset);
  return { kind: 'affine', index, offset, mode, gamma: params.data.subarray(0, n), beta: params.data.subarray(n), disabled };
}

function readBatchNorm(r: DlibByteReader, index: number, offset: number, mode: LayerMode): BatchNormLayer {
  const params = r.tensor('bn params');
  const gamma = r.alias('gamma');
  r.alias('beta');
  r.skipTensor('means');
  r.skipTensor('invstds');
  const runningMeans = r.tensor('running_means').data;
  const runningVariances = r.tensor('running_variances').data;
  r.count('num_updates', Number.MAX_SAFE_INTEGER);
  r.count('running_stats_window_size', Number.MAX_SAFE_INTEGER);
  for (const m of ['learning_rate', 'weight_decay', 'bias_learning_rate', 'bias_weight_decay']) r.real(`${m}_multiplier`);
  const eps = r.finiteReal('eps');
  const n = sizeOf(gamma);
  if (n === 0 || params.data.length !== 2 * n || runningMeans.length !== n || runningVariances.length !== n) {
    r.fail(
      `bn holds ${params.data.length} params, ${runningMeans.length} means and ${runningVariances.length} variances for ${n} channels`,
      offset,
    );
  }
  if (!(eps >= 0)) r.fail(`bn eps is ${eps}`, offset);
  return {
    kind: 'bn',
    index,
    offset,
    mode,
    eps,
    runningMeans,
    runningVariances,
    gamma: params.data.subarray(0, n),
    beta: params.data.subarray(n),
  };
}

function readPool(r: DlibByteReader, index: number, offset: number, kind: 'max_pool' | 'avg_pool'): PoolLayer {
  const layer: PoolLayer = {
    kind,
    index,
    offset,
    windowRows: r.count('nr'),
    windowCols: r.count('nc'),
    strideY: r.count('stride_y'),
    strideX: r.count('stride_x'),
    padY: r.count('padding_y'),
    padX: r.count('padding_x'),
  };
  const global = layer.windowRows === 0 && layer.windowCols === 0;
  if (!global && (layer.windowRows === 0 || layer.windowCols === 0 || layer.strideY === 0 || layer.strideX === 0)) {
    r.fail(`${kind} window ${layer.windowRows}x${layer.windowCols} stride ${layer.strideY},${layer.strideX} is invalid`, offset);
  }
  if (!global && (layer.padY >= layer.windowRows || layer.padX >= layer.windowCols)) {
    r.fail(`${kind} padding ${layer.padY},${layer.padX} is not smaller than its window`, offset);
  }
  return layer;
}

function unsupported(what: string, index: number, offset: number): UnsupportedLayerError {
  return new UnsupportedLayerError(`${what} is not supported (at byte ${offset})`, index);
}

/** The printed name of a layer kind as read from the file. */
function printedKinds(layer: RawLayer): string[] {
  switch (layer.kind) {
    case 'tag_or_skip':
      return ['tag', 'skip'];
    case 'add_prev_unresolved':
      return ['add_prev'];
    case 'fc':
      return layer.bias ? ['fc'] : ['fc', 'fc_no_bias'];
    case 'bn':
      return [layer.mode === 'conv' ? 'bn_con' : 'bn_fc', 'affine'];
    default:
      return [layer.kind];
  }
}

/** The printed settings that must equal what the file holds. */
function fileSettings(layer: RawLayer): Record<string, number> {
  switch (layer.kind) {
    case 'con':
      return {
        num_filters: layer.numFilters,
        nr: layer.kernelRows,
        nc: layer.kernelCols,
        stride_y: layer.strideY,
        stride_x: layer.strideX,
        padding_y: layer.padY,
        padding_x: layer.padX,
      };
    case 'fc':
      return { num_outputs: layer.numOutputs };
    case 'max_pool':
    case 'avg_pool':
      return {
        nr: layer.windowRows,
        nc: layer.windowCols,
        stride_y: layer.strideY,
        stride_x: layer.strideX,
        padding_y: layer.padY,
        padding_x: layer.padX,
      };
    default:
      return {};
  }
}

function describe(t: TopologyLayer): string {
  return `${t.kind}${t.id ?? ''}`;
}

function mismatch(message: string, index: number, builtIn: boolean): TopologyError {
  const hint = builtIn ? " (the file was checked against the built-in face-model topology; pass the net's printout for other nets)" : '';
  return new TopologyError(message + hint, index);
}

function checkLayerCount(count: number, topology: Topology, builtIn: boolean): void {
  if (topology.layers.length !== count) {
    const first = Math.min(topology.layers.length, count) + 1;
    throw mismatch(`the file has ${count} layers under the loss, the topology ${topology.layers.length}`, first, builtIn);
  }
}

function resolveTopology(raw: RawLayer[], topology: Topology | undefined, builtIn: boolean): LayerDescription[] {
  if (topology) checkLayerCount(raw.length, topology, builtIn);
  // raw runs from the input side (layer<N>) to layer<1>.
  return raw.map((layer): LayerDescription => {
    const t = topology?.layers[layer.index - 1];
    if (t) {
      if (!printedKinds(layer).includes(t.kind)) {
        throw mismatch(`the file has ${printedKinds(layer).join(' or ')}, the topology ${describe(t)}`, layer.index, builtIn);
      }
      for (const [name, value] of Object.entries(fileSettings(layer))) {
        if (t.params[name] !== undefined && Number(t.params[name]) !== value) {
          throw mismatch(`${name} is ${value} in the file, ${t.params[name]} in the topology`, layer.index, builtIn);
        }
      }
      if (layer.kind === 'con' && (t.params.use_bias === 'false') !== (layer.bias === null)) {
        throw mismatch(
          `con ${layer.bias ? 'has' : 'has no'} bias in the file, the topology says use_bias=${t.params.use_bias ?? 'true'}`,
          layer.index,
          builtIn,
        );
      }
      if (layer.kind === 'fc' && (t.kind === 'fc_no_bias' || t.params.use_bias === 'false') !== (layer.bias === null)) {
        throw mismatch(`fc ${layer.bias ? 'has' : 'has no'} bias in the file, the topology says ${describe(t)}`, layer.index, builtIn);
      }
    }
    switch (layer.kind) {
      case 'tag_or_skip':
      case 'add_prev_unresolved': {
        if (!t || t.id === undefined) {
          throw new TopologyError("the file has tag, skip or add_prev layers; pass the net's printout to read it", layer.index);
        }
        if (t.kind === 'tag') return { kind: 'tag', index: layer.index, offset: layer.offset, id: t.id };
        if (t.kind === 'skip') return { kind: 'skip', index: layer.index, offset: layer.offset, tag: t.id };
        return { kind: 'add_prev', index: layer.index, offset: layer.offset, tag: t.id };
      }
      case 'bn':
        // dlib converts a bn payload read into an affine layer on the spot.
        return t?.kind === 'affine' ? batchNormAsAffine(layer) : layer;
      default:
        return layer;
    }
  });
}

/** dlib's `affine_(const bn_&)`: gamma/sqrt(var+eps) and beta - gamma'*mean. */
function batchNormAsAffine(bn: BatchNormLayer): AffineLayer {
  const n = bn.gamma.length;
  const gamma = new Float32Array(n);
  const beta = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    gamma[i] = bn.gamma[i] / Math.sqrt(bn.runningVariances[i] + bn.eps);
    beta[i] = bn.beta[i] - gamma[i] * bn.runningMeans[i];
  }
  return { kind: 'affine', index: bn.index, offset: bn.offset, mode: bn.mode, gamma, beta, disabled: false };
}

function checkEnds(loss: LossDescription, input: InputRgbImage, topology: Topology): void {
  const lossKind = topology.loss.kind;
  if (lossKind !== loss.kind) throw new TopologyError(`the file has ${loss.kind}, the topology ${lossKind}`, 0);
  const t = topology.input;
  const sized = t.kind === 'input_rgb_image_sized';
  if (sized && (Number(t.params.nr) !== input.rows || Number(t.params.nc) !== input.cols)) {
    throw new TopologyError(
      `the file's input is ${input.rows ?? 'any'}x${input.cols ?? 'any'}, the topology's ${t.params.nr}x${t.params.nc}`,
      t.index,
    );
  }
  if (t.kind !== 'input_rgb_image' && !sized) throw new TopologyError(`the topology's input is ${t.kind}`, t.index);
}
