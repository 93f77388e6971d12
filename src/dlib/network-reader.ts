import { DatFormatError, DlibWasmError, InputError, TopologyError, UnsupportedLayerError } from '../errors.js';
import { faceRecognitionTopology } from './face-model-topology.js';
import { readMmodOptions } from './mmod-options-reader.js';
import type {
  AffineLayer,
  BatchNormLayer,
  ConLayer,
  FcLayer,
  InputDescription,
  LayerDescription,
  LayerMode,
  LossDescription,
  MmodOptions,
  NetworkDescription,
  PoolLayer,
  RepeatGroup,
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
/** concat as the file has it: how many tags, not which. */
interface RawConcat {
  kind: 'concat_unresolved';
  index: number;
  offset: number;
  tagCount: number;
}
type RawLayer = Exclude<LayerDescription, { kind: 'add_prev' | 'tag' | 'skip' | 'concat' }> | Marker | RawAddPrev | RawConcat;

const PARAMETERLESS: Record<string, 'relu' | 'add_prev_unresolved'> = { relu_: 'relu', add_prev_: 'add_prev_unresolved' };
/** Every layer's version tag we read: what follows an add_layer's version when it is the innermost one. */
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
  'multiply_',
  'dropout_',
  'concat_',
]);

/** A network read from the start of some bytes, and the byte where it ends. */
export interface NetworkPrefix {
  description: NetworkDescription;
  /** The offset of the first byte after the network (the file's length, unless more follows). */
  end: number;
}

/**
 * Reads a dlib DNN `.dat` (as written by `serialize(file) << net`) into a
 * typed network description, checked against the net's topology. Bytes
 * after the network are an error that says where the network ended: read
 * such files (dlib's vehicle detectors hold a shape predictor after theirs)
 * with `readDlibNetworkPrefix`.
 */
export function readDlibNetwork(source: Uint8Array | ArrayBuffer, options?: ReadNetworkOptions): NetworkDescription {
  const { description, end, length } = readNetwork(source, options, 'readDlibNetwork');
  if (end !== length) {
    throw new DatFormatError(
      `${length - end} unexpected bytes after the network; readDlibNetworkPrefix reads a network followed by more (dlib's vehicle detectors hold a shape predictor after theirs)`,
      end,
    );
  }
  return description;
}

/** Reads the dlib network at the start of `source` and says where it ends; whatever follows is left unread. */
export function readDlibNetworkPrefix(source: Uint8Array | ArrayBuffer, options?: ReadNetworkOptions): NetworkPrefix {
  const { description, end } = readNetwork(source, options, 'readDlibNetworkPrefix');
  return { description, end };
}

/** The network at the start of `source`, where it ends and the bytes' length; `caller` names the options in errors. */
export function readNetwork(
  source: Uint8Array | ArrayBuffer,
  options: ReadNetworkOptions | undefined,
  caller: string,
): NetworkPrefix & { length: number } {
  options = optionsObject(options, `${caller}'s options`);
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
  const context: ChainContext = { given, failedRepeats: new Map(), layers: [], repeats: [] };
  const chain = readChain(r, context, 1, 'input');
  r.layerIndex = undefined;
  const end = r.offset;
  // Layers from the input side (layer<N>) to layer<1>.
  const raw = context.layers.sort((a, b) => b.index - a.index);
  const needsTopology = raw.some((l) => l.kind === 'tag_or_skip' || l.kind === 'add_prev_unresolved' || l.kind === 'concat_unresolved');
  const topology = given ?? (needsTopology ? faceRecognitionTopology() : undefined);
  const layers = resolveTopology(raw, topology, given === undefined, context.failedRepeats);
  const input = chain.input as InputDescription;
  if (topology) checkEnds(loss, input, topology);
  if (loss.kind === 'loss_mmod') checkDetectorOutput(loss.options, layers);
  const repeats = context.repeats.sort((a, b) => a.firstIndex - b.firstIndex);
  return { description: { loss, input, layers, repeats }, end, length: r.bytes.length };
}

/** What lies under a chain of wrappers: the net's input layer, or nothing (inside a `repeat`'s block). */
type ChainBase = 'input' | 'repeat_input';

interface ChainContext {
  given: Topology | undefined;
  /** Why a version 1 read as a repeat did not read, by layer index: the error to give if it is no tag or skip either. */
  failedRepeats: Map<number, DlibWasmError>;
  /** Every layer read so far, in file order. */
  layers: RawLayer[];
  repeats: RepeatGroup[];
}

interface Chain {
  /** The index after the chain's last layer. */
  next: number;
  input?: InputDescription;
}

/**
 * Reads a chain of layers from layer<first> down to what lies under it. dlib
 * writes each wrapper's version, outermost first, then what is under the
 * innermost, then each payload, innermost first; a `repeat` instead writes
 * its blocks whole where its version is, then its subnet's chain goes on.
 */
function readChain(r: DlibByteReader, context: ChainContext, first: number, base: ChainBase): Chain {
  const { given, layers } = context;
  const wrappers: { version: number; offset: number; index: number }[] = [];
  let index = first;
  for (;;) {
    const offset = r.offset;
    r.layerIndex = index;
    if (given !== undefined && base === 'repeat_input' && index > given.layers.length) {
      r.fail(`a repeated block runs past the topology's ${given.layers.length} layers`, offset);
    }
    const version = r.int('layer wrapper version');
    if (version < 1 || version > 3) {
      // A repeat's block count read as a wrapper version, most likely.
      const hint = given === undefined ? ' (a net declared with repeat can only be read with its printout)' : '';
      r.fail(`unexpected layer wrapper version ${version}${hint}`, offset);
    }
    // dlib's add_layer is version 2 or 3 since dlib 19.0: a version 1 where the topology has a layer with a payload
    // is a repeat, or a tag or skip if the topology is not the file's (which resolving the layers then reports).
    if (version === 1 && given !== undefined && hasPayload(given.layers[index - 1]?.kind)) {
      const next = tryRepeat(r, context, index, offset);
      if (next !== undefined) {
        index = next;
        continue;
      }
    }
    wrappers.push({ version, offset, index });
    index++;
    if (base === 'input' ? r.peekString()?.startsWith('input') : isOnRepeatInput(r, version, given?.layers[index - 2]?.kind)) break;
    // Only the input layer may follow version 3: reading its tag reports a truncated file as truncated.
    if (version === 3)
      r.fail(`wrapper version 3 is only valid directly above the input layer, not above "${r.string('input layer version')}"`, offset);
  }
  let input: InputDescription | undefined;
  if (base === 'input') {
    // Which wrappers have a payload is read from the topology: a wrong one must fail here, not as garbled payloads.
    if (given) checkLayerCount(index - 1, given, false);
    r.layerIndex = index;
    input = readInput(r, index);
  }

  const innermost = wrappers[wrappers.length - 1];
  r.layerIndex = innermost.index;
  const next = r.peekString();
  // Version 3 is only ever an add_layer; a version 2 is a tag instead when no layer's tag follows.
  if (innermost.version === 3 || (innermost.version === 2 && next !== undefined && LAYER_TAGS.has(next))) {
    layers.push(readLayerDetails(r, innermost.index));
    readTrailer(r, 'input');
    if (innermost.version === 3) r.int('sample_expansion_factor', { unsigned: true });
  } else {
    // A tag directly on the input layer.
    layers.push({ kind: 'tag_or_skip', index: innermost.index, offset: innermost.offset });
    r.skipTensor('cached_output');
    r.skipTensor('grad_final');
    r.bool('gradient_input_is_stale');
    if (innermost.version === 2) r.int('sample_expansion_factor', { unsigned: true });
  }
  for (let w = wrappers.length - 2; w >= 0; w--) {
    const { version, offset, index: layerIndex } = wrappers[w];
    r.layerIndex = layerIndex;
    // Version 1 is a tag or skip (a repeat, which is version 1 too, was read above).
    if (version === 1) {
      layers.push({ kind: 'tag_or_skip', index: layerIndex, offset });
    } else {
      layers.push(readLayerDetails(r, layerIndex));
      readTrailer(r, 'add_layer');
    }
  }
  return { next: index, input };
}

/**
 * Whether the wrapper just read is the innermost of a repeated block: an
 * add_layer whose layer's version tag follows (a wrapper's version read as a
 * string has 1 to 3 characters), or a tag of the version only a tag on an
 * input has.
 */
function isOnRepeatInput(r: DlibByteReader, version: number, kind: string | undefined): boolean {
  if (version === 3) return true;
  const next = r.peekString();
  if (next !== undefined && LAYER_TAGS.has(next)) return true;
  return version === 2 && isMarkerKind(kind);
}

/**
 * A repeat if the bytes read as one; else undefined, the bytes untouched.
 * Once a whole block has read, or if the bytes ran out (nothing else could
 * read them), what goes wrong is the error.
 */
function tryRepeat(r: DlibByteReader, context: ChainContext, first: number, offset: number): number | undefined {
  const start = r.offset;
  const [layerCount, repeatCount] = [context.layers.length, context.repeats.length];
  const progress = { blocks: 0 };
  r.ranOut = false;
  try {
    return readRepeat(r, context, first, offset, progress);
  } catch (error) {
    if (r.ranOut || progress.blocks > 0 || !(error instanceof DlibWasmError)) throw error;
    context.failedRepeats.set(first, error);
    context.layers.length = layerCount;
    context.repeats.length = repeatCount;
    r.offset = start;
    r.layerIndex = first;
    return undefined;
  }
}

/**
 * dlib's `repeat`: version 1 (read), the number of blocks, each block whole,
 * then the subnet (read by the caller). Returns the index after its blocks.
 */
function readRepeat(r: DlibByteReader, context: ChainContext, first: number, offset: number, progress: { blocks: number }): number {
  const given = context.given as Topology;
  const countAt = r.offset;
  const count = r.count('repeat count', given.layers.length);
  if (count === 0) r.fail('a repeat of 0 blocks', countAt);
  const group: RepeatGroup = { firstIndex: first, count, blockLength: 0, offset };
  context.repeats.push(group);
  let next = first;
  for (let block = 0; block < count; block++) {
    const blockStart = r.offset;
    const chain = readChain(r, context, next, 'repeat_input');
    const length = chain.next - next;
    if (block === 0) group.blockLength = length;
    else if (length !== group.blockLength)
      r.fail(`block ${block} of the repeat at layer<${first}> has ${length} layers, block 0 ${group.blockLength}`, blockStart);
    next = chain.next;
    progress.blocks++;
  }
  return next;
}

function hasPayload(kind: string | undefined): boolean {
  return kind !== undefined && !isMarkerKind(kind);
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
    case 'loss_mmod_':
      return { kind: 'loss_mmod', options: readMmodOptions(r) };
    default:
      throw unsupported(`loss layer "${tag}"`, 0, start);
  }
}

function readInput(r: DlibByteReader, index: number): InputDescription {
  const start = r.offset;
  const tag = r.string('input layer version');
  const known = ['input_rgb_image', 'input_rgb_image_sized', 'input_rgb_image_pyramid', 'input_rgb_image_pyramid2'];
  if (!known.includes(tag)) throw unsupported(`input layer "${tag}"`, index, start);
  const mean: [number, number, number] = [r.real('avg_red'), r.real('avg_green'), r.real('avg_blue')];
  if (!mean.every(Number.isFinite)) r.fail(`input means are not finite: ${mean.join(', ')}`, start);
  if (tag === 'input_rgb_image') return { kind: 'input_rgb_image', index, mean };
  if (tag.startsWith('input_rgb_image_pyramid')) {
    // The first version had no padding fields: dlib gives it its defaults, 10 and 11.
    const padded = tag === 'input_rgb_image_pyramid2';
    const pyramidPadding = padded ? r.count('pyramid_padding', 1 << 16) : 10;
    const pyramidOuterPadding = padded ? r.count('pyramid_outer_padding', 1 << 16) : 11;
    return { kind: 'input_rgb_image_pyramid', index, mean, pyramidDownFactor: 6, pyramidPadding, pyramidOuterPadding };
  }
  const rows = r.count('input rows', 1 << 16);
  const cols = r.count('input cols', 1 << 16);
  if (rows === 0 || cols === 0) r.fail(`input size ${rows}x${cols} is empty`, start);
  return { kind: 'input_rgb_image', index, mean, rows, cols };
}

/** What follows each add_layer's details: flags and (usually empty) cached tensors. */
function readTrailer(r: DlibByteReader, form: 'input' | 'add_layer'): void {
  r.bool('this_layer_setup_called');
  r.bool('gradient_input_is_stale');
  r.bool('get_output_and_gradient_input_disabled');
  r.skipTensor('x_grad');
  r.skipTensor('cached_output');
  r.skipTensor(form === 'input' ? 'grad_final' : 'params_grad');
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
    case 'multiply_':
      return { kind: 'multiply', index, offset, value: r.finiteReal('val') };
    case 'dropout_': {
      // dlib's multiply_ reads a dropout_ as the multiplication by 1 - drop_rate (in float) that dropout is at inference.
      const dropRate = r.finiteReal('drop_rate');
      r.skipTensor('mask');
      return { kind: 'multiply', index, offset, value: Math.fround(1 - dropRate) };
    }
    case 'concat_':
      return { kind: 'concat_unresolved', index, offset, tagCount: r.count('concat tag count', 1 << 16) };
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
    case 'concat_unresolved':
      return ['concat'];
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

function resolveTopology(
  raw: RawLayer[],
  topology: Topology | undefined,
  builtIn: boolean,
  failedRepeats: Map<number, DlibWasmError>,
): LayerDescription[] {
  if (topology) checkLayerCount(raw.length, topology, builtIn);
  // raw runs from the input side (layer<N>) to layer<1>.
  return raw.map((layer): LayerDescription => {
    const t = topology?.layers[layer.index - 1];
    if (t) {
      if (!printedKinds(layer).includes(t.kind)) {
        // A version 1 that is neither a repeat nor a tag: what stopped it reading as a repeat says most.
        const failedRepeat = failedRepeats.get(layer.index);
        if (layer.kind === 'tag_or_skip' && failedRepeat) throw failedRepeat;
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
      // dlib prints a multiply's value with 6 significant digits.
      if (layer.kind === 'multiply' && t.params.val !== undefined && Number(layer.value.toPrecision(6)) !== Number(t.params.val)) {
        throw mismatch(`multiply's value is ${layer.value} in the file, ${t.params.val} in the topology`, layer.index, builtIn);
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
      case 'concat_unresolved': {
        if (!t?.tags) throw new TopologyError("the file has a concat layer; pass the net's printout, which names its tags", layer.index);
        if (t.tags.length !== layer.tagCount) {
          throw mismatch(`concat has ${layer.tagCount} tags in the file, ${t.tags.length} in the topology`, layer.index, builtIn);
        }
        return { kind: 'concat', index: layer.index, offset: layer.offset, tags: t.tags };
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

function checkEnds(loss: LossDescription, input: InputDescription, topology: Topology): void {
  const lossKind = topology.loss.kind;
  if (lossKind !== loss.kind) throw new TopologyError(`the file has ${loss.kind}, the topology ${lossKind}`, 0);
  const t = topology.input;
  if (t.kind === 'input_rgb_image_pyramid') {
    if (input.kind !== t.kind) throw new TopologyError(`the file's input is ${input.kind}, the topology's ${t.kind}`, t.index);
    for (const [name, value] of [
      ['pyramid_padding', input.pyramidPadding],
      ['pyramid_outer_padding', input.pyramidOuterPadding],
    ] as const) {
      if (t.params[name] !== undefined && Number(t.params[name]) !== value) {
        throw new TopologyError(`${name} is ${value} in the file, ${t.params[name]} in the topology`, t.index);
      }
    }
    return;
  }
  if (input.kind !== 'input_rgb_image') throw new TopologyError(`the file's input is ${input.kind}, the topology's ${t.kind}`, t.index);
  const sized = t.kind === 'input_rgb_image_sized';
  if (sized && (Number(t.params.nr) !== input.rows || Number(t.params.nc) !== input.cols)) {
    throw new TopologyError(
      `the file's input is ${input.rows ?? 'any'}x${input.cols ?? 'any'}, the topology's ${t.params.nr}x${t.params.nc}`,
      t.index,
    );
  }
  if (t.kind !== 'input_rgb_image' && !sized) throw new TopologyError(`the topology's input is ${t.kind}`, t.index);
}

/**
 * dlib's loss_mmod reads one score map per detector window from the layer
 * under it (and 4 more per window with bounding box regression): a file
 * whose last con has another count could not have been run by dlib.
 */
function checkDetectorOutput(options: MmodOptions, layers: LayerDescription[]): void {
  const top = layers[layers.length - 1];
  const windows = options.detectorWindows.length;
  const expected = options.useBoundingBoxRegression ? 5 * windows : windows;
  if (top?.kind === 'con' && top.numFilters !== expected) {
    throw new DatFormatError(
      `loss_mmod has ${windows} detector windows${options.useBoundingBoxRegression ? ' with bounding box regression' : ''}, so the con under it needs ${expected} filters, not ${top.numFilters}`,
      top.offset,
      top.index,
    );
  }
}
