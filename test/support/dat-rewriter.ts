import { DlibByteReader } from '../../src/dlib/serialization.js';
import { concatBytes } from './helpers.js';

/**
 * Derives files in the formats of older dlib versions from the dlib 19.24
 * reference files, by walking their structure (the README's "Framing of a
 * network") and rewriting whole fields. It only knows what the reference
 * files and their derivatives contain, and throws on anything else.
 */

/** Bytes [start, end) of the file. */
interface Span {
  start: number;
  end: number;
}

/** A layer's details ("payload"), from its version tag to its last field. */
export interface Payload extends Span {
  /** dlib's `layer<i>` index. */
  index: number;
  tag: string;
}

export interface DatLayout {
  /** The loss layer's details. */
  loss: Span & { tag: string };
  /** Each wrapper's version integer, outermost (`layer<1>`) first. */
  wrappers: (Span & { version: number })[];
  /** From the layer just above the input to `layer<1>`; tags and skips have none. */
  payloads: Payload[];
  /** The `sample_expansion_factor` that ends a version 3 input add_layer. */
  sampleExpansionFactor?: Span & { value: number };
}

const PAYLOAD_TAGS = new Set([
  'con_4',
  'con_5',
  'fc_2',
  'fc_3',
  'affine_',
  'affine_2',
  'bn_con2',
  'bn_fc2',
  'max_pool_2',
  'avg_pool_2',
  'relu_',
  'add_prev_',
]);

export function readDatLayout(bytes: Uint8Array): DatLayout {
  const r = new DlibByteReader(bytes);
  r.version('add_loss_layer', 1);
  const lossStart = r.offset;
  const lossTag = r.string('loss tag');
  if (lossTag === 'loss_metric_2') {
    r.real('margin');
    r.real('distance_threshold');
  } else if (lossTag !== 'loss_metric_' && lossTag !== 'loss_multiclass_log_') {
    throw new Error(`loss "${lossTag}" is not handled`);
  }
  const loss = { start: lossStart, end: r.offset, tag: lossTag };

  // Only the input layer's version tag is a string starting with "input":
  // a wrapper's version integer read as a string has 1 to 3 characters.
  const wrappers: DatLayout['wrappers'] = [];
  do {
    const start = r.offset;
    wrappers.push({ start, version: r.int('wrapper version'), end: r.offset });
  } while (!r.peekString()?.startsWith('input'));
  skipInputLayer(r);

  const innermost = wrappers.length - 1;
  // A tag directly on the input would be followed by a tensor, not a layer's version tag.
  if (wrappers[innermost].version < 2 || !PAYLOAD_TAGS.has(r.peekString() ?? '')) {
    throw new Error('only an add_layer directly above the input layer is handled');
  }
  const payloads: Payload[] = [];
  let sampleExpansionFactor: DatLayout['sampleExpansionFactor'];
  for (let w = innermost; w >= 0; w--) {
    const { version } = wrappers[w];
    // dlib 19.24 writes add_layer as version 2 or 3; version 1 is a tag or skip.
    if (w !== innermost && version === 1) continue;
    if (w !== innermost && version !== 2) throw new Error(`wrapper version ${version} of layer<${w + 1}> is not handled`);
    const start = r.offset;
    const tag = skipDetails(r);
    payloads.push({ start, end: r.offset, index: w + 1, tag });
    skipTrailer(r, w === innermost ? 'grad_final' : 'params_grad');
    if (w === innermost && version === 3) {
      const sefStart = r.offset;
      const value = r.int('sample_expansion_factor');
      sampleExpansionFactor = { start: sefStart, end: r.offset, value };
    }
  }
  if (r.remaining !== 0) throw new Error(`${r.remaining} bytes left after the network`);
  return { loss, wrappers, payloads, sampleExpansionFactor };
}

function skipInputLayer(r: DlibByteReader): void {
  const tag = r.string('input tag');
  for (const channel of ['red', 'green', 'blue']) r.real(`avg_${channel}`);
  if (tag === 'input_rgb_image_sized') {
    r.int('nr');
    r.int('nc');
  } else if (tag !== 'input_rgb_image') {
    throw new Error(`input "${tag}" is not handled`);
  }
}

function skipMultipliers(r: DlibByteReader, count: number): void {
  for (let i = 0; i < count; i++) r.real('multiplier');
}

/** Skips one layer's details; returns its version tag. */
function skipDetails(r: DlibByteReader): string {
  const tag = r.string('layer tag');
  switch (tag) {
    case 'con_4':
    case 'con_5':
      r.skipTensor('params');
      for (const field of ['num_filters', 'nr', 'nc', 'stride_y', 'stride_x', 'padding_y', 'padding_x']) r.int(field);
      r.alias('filters');
      r.alias('biases');
      skipMultipliers(r, 4);
      if (tag === 'con_5') r.bool('use_bias');
      break;
    case 'fc_2':
    case 'fc_3':
      r.int('num_outputs');
      r.int('num_inputs');
      r.skipTensor('params');
      r.alias('weights');
      r.alias('biases');
      r.int('bias_mode');
      skipMultipliers(r, 4);
      if (tag === 'fc_3') r.bool('use_bias');
      break;
    case 'affine_':
    case 'affine_2':
      r.skipTensor('params');
      r.alias('gamma');
      r.alias('beta');
      r.int('mode');
      if (tag === 'affine_2') r.bool('disabled');
      break;
    case 'bn_con2':
    case 'bn_fc2':
      r.skipTensor('params');
      r.alias('gamma');
      r.alias('beta');
      for (const field of ['means', 'invstds', 'running_means', 'running_variances']) r.skipTensor(field);
      r.int('num_updates');
      r.int('running_stats_window_size');
      skipMultipliers(r, 4);
      r.real('eps');
      break;
    case 'max_pool_2':
    case 'avg_pool_2':
      for (const field of ['nr', 'nc', 'stride_y', 'stride_x', 'padding_y', 'padding_x']) r.int(field);
      break;
    case 'relu_':
    case 'add_prev_':
      break;
    default:
      throw new Error(`layer "${tag}" is not handled`);
  }
  return tag;
}

function skipTrailer(r: DlibByteReader, lastTensor: 'grad_final' | 'params_grad'): void {
  r.bool('this_layer_setup_called');
  r.bool('gradient_input_is_stale');
  r.bool('get_output_and_gradient_input_disabled');
  r.skipTensor('x_grad');
  r.skipTensor('cached_output');
  r.skipTensor(lastTensor);
}

// Writers for dlib's serialize.h encodings.

function encodeInt(value: number): number[] {
  if (!Number.isSafeInteger(value)) throw new Error(`${value} is not a safe integer`);
  const magnitude: number[] = [];
  for (let m = Math.abs(value); m > 0 || magnitude.length === 0; m = Math.floor(m / 256)) magnitude.push(m % 256);
  return [magnitude.length | (value < 0 ? 0x80 : 0), ...magnitude];
}

function encodeString(s: string): number[] {
  return [...encodeInt(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

/** A double as dlib writes it: a 53-bit mantissa with its trailing zero bytes shifted into the exponent. */
function encodeReal(value: number): number[] {
  if (!Number.isFinite(value)) throw new Error(`${value} is not finite`);
  let exponent = value === 0 ? 0 : Math.floor(Math.log2(Math.abs(value))) + 1;
  // log2 can be off by one near powers of two; frexp's fraction lies in [0.5, 1).
  if (Math.abs(value) * 2 ** -exponent >= 1) exponent++;
  if (value !== 0 && Math.abs(value) * 2 ** -exponent < 0.5) exponent--;
  let mantissa = value * 2 ** (53 - exponent);
  exponent -= 53;
  for (let i = 0; i < 8 && mantissa % 256 === 0; i++) {
    mantissa /= 256;
    exponent += 8;
  }
  return [...encodeInt(mantissa), ...encodeInt(exponent)];
}

function encodeShape(version: number, shape: readonly number[]): number[] {
  return [...encodeInt(version), ...shape.flatMap(encodeInt)];
}

function encodeTensor(shape: readonly number[], data: Float32Array): number[] {
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return [...encodeShape(2, shape), ...raw];
}

/** A replacement of the bytes [start, end) (an empty `bytes` deletes them). */
interface Edit extends Span {
  bytes: number[];
}

function applyEdits(source: Uint8Array, edits: Edit[]): Uint8Array {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const edit of sorted) {
    if (edit.start < at) throw new Error(`edits overlap at byte ${edit.start}`);
    parts.push(source.subarray(at, edit.start), Uint8Array.from(edit.bytes));
    at = edit.end;
  }
  parts.push(source.subarray(at));
  return concatBytes(...parts);
}

/** Chooses which of the file's enabled affine_2 payloads (numbered from the input side) a rewrite applies to. */
export type AffineSelection = (ordinal: number) => boolean;

export interface OlderVersionRewrites {
  /** `con_5` → `con_4`, where use_bias is true (con_4 has no use_bias field). */
  con4?: boolean;
  /** `fc_3` → `fc_2`, where use_bias is true. */
  fc2?: boolean;
  /** `affine_2` → `affine_` (which has no `disabled` field). */
  affineV1?: AffineSelection;
  /** `affine_2` → a `bn_con2`/`bn_fc2` payload that dlib converts back to the same affine. */
  batchNorm?: AffineSelection;
  /** `loss_metric_2` → `loss_metric_` (whose margin and threshold are dlib's old constants). */
  lossMetricV1?: boolean;
  /** The input add_layer's version 3 → 2, which has no `sample_expansion_factor`. */
  inputAddLayerV2?: boolean;
}

const TRUE_BYTE = 0x31;
const FALSE_BYTE = 0x30;

/**
 * Rewrites a dlib 19.24 `.dat` into the older formats asked for. Every
 * requested rewrite must apply somewhere, so that a test cannot pass on an
 * unchanged file.
 */
export function rewriteToOlderVersions(source: Uint8Array, rewrites: OlderVersionRewrites): Uint8Array {
  const layout = readDatLayout(source);
  const edits: Edit[] = [];
  const retag = (payload: Payload, tag: string): Edit => ({
    start: payload.start,
    end: payload.start + encodeString(payload.tag).length,
    bytes: encodeString(tag),
  });
  const dropLastByte = (payload: Payload): Edit => ({ start: payload.end - 1, end: payload.end, bytes: [] });
  const applied = new Set<keyof OlderVersionRewrites>();

  let affineOrdinal = 0;
  for (const payload of layout.payloads) {
    const lastByte = source[payload.end - 1];
    if (rewrites.con4 && payload.tag === 'con_5' && lastByte === TRUE_BYTE) {
      edits.push(retag(payload, 'con_4'), dropLastByte(payload));
      applied.add('con4');
    }
    if (rewrites.fc2 && payload.tag === 'fc_3' && lastByte === TRUE_BYTE) {
      edits.push(retag(payload, 'fc_2'), dropLastByte(payload));
      applied.add('fc2');
    }
    // A disabled affine has no older form: affine_ cannot say so, and bn_ has no identity.
    if (payload.tag === 'affine_2' && lastByte === FALSE_BYTE) {
      const ordinal = affineOrdinal++;
      const toV1 = rewrites.affineV1?.(ordinal) ?? false;
      const toBatchNorm = rewrites.batchNorm?.(ordinal) ?? false;
      if (toV1 && toBatchNorm) throw new Error(`affine number ${ordinal} is selected for two rewrites`);
      if (toV1) {
        edits.push(retag(payload, 'affine_'), dropLastByte(payload));
        applied.add('affineV1');
      }
      if (toBatchNorm) {
        edits.push({ start: payload.start, end: payload.end, bytes: batchNormPayload(source, payload) });
        applied.add('batchNorm');
      }
    }
  }
  if (rewrites.lossMetricV1 && layout.loss.tag === 'loss_metric_2') {
    edits.push({ ...layout.loss, bytes: encodeString('loss_metric_') });
    applied.add('lossMetricV1');
  }
  const input = layout.wrappers[layout.wrappers.length - 1];
  const sef = layout.sampleExpansionFactor;
  if (rewrites.inputAddLayerV2 && input.version === 3 && sef) {
    // Version 2 files imply a factor of 1; any other value cannot be expressed.
    if (sef.value !== 1) throw new Error(`sample_expansion_factor is ${sef.value}`);
    edits.push({ ...input, bytes: encodeInt(2) }, { ...sef, bytes: [] });
    applied.add('inputAddLayerV2');
  }

  const missing = (Object.keys(rewrites) as (keyof OlderVersionRewrites)[]).filter((k) => rewrites[k] && !applied.has(k));
  if (missing.length > 0) throw new Error(`nothing to rewrite for ${missing.join(', ')}`);
  return applyEdits(source, edits);
}

/** Deliberately not dlib's default (1e-4), so that a reader that ignores the stored eps fails. */
const BN_EPS = 1e-3;

/**
 * A `bn_con2`/`bn_fc2` payload whose conversion `gamma/sqrt(var+eps)`,
 * `beta - gamma'*mean` gives back the affine's gamma and beta (to float
 * rounding), with varied running statistics so that neither step is trivial.
 */
function batchNormPayload(source: Uint8Array, affine: Payload): number[] {
  const r = new DlibByteReader(source);
  r.offset = affine.start;
  r.string('affine tag');
  const params = r.tensor('affine params');
  const gammaShape = r.alias('gamma');
  const betaShape = r.alias('beta');
  const mode = r.int('mode');
  const channels = params.data.length / 2;
  const gamma = params.data.subarray(0, channels);
  const beta = params.data.subarray(channels);

  const runningMeans = new Float32Array(channels);
  const runningVariances = new Float32Array(channels);
  const bnParams = new Float32Array(2 * channels);
  for (let i = 0; i < channels; i++) {
    runningMeans[i] = ((i * 37) % 11) / 10 - 0.5;
    runningVariances[i] = 0.25 + ((i * 53) % 17) / 4;
    bnParams[i] = gamma[i] * Math.sqrt(runningVariances[i] + BN_EPS);
    bnParams[channels + i] = beta[i] + gamma[i] * runningMeans[i];
  }
  // The statistics of a last training batch, which inference must not use.
  const batchMeans = new Float32Array(channels).fill(3);
  const batchInvstds = new Float32Array(channels).fill(0.125);
  return [
    ...encodeString(mode === 0 ? 'bn_con2' : 'bn_fc2'),
    ...encodeTensor(params.shape, bnParams),
    ...encodeShape(1, gammaShape),
    ...encodeShape(1, betaShape),
    ...encodeTensor(gammaShape, batchMeans),
    ...encodeTensor(gammaShape, batchInvstds),
    ...encodeTensor(gammaShape, runningMeans),
    ...encodeTensor(gammaShape, runningVariances),
    ...encodeInt(1000), // num_updates
    ...encodeInt(100), // running_stats_window_size
    ...[1, 0, 1, 1].flatMap(encodeReal), // learning rate and weight decay multipliers
    ...encodeReal(BN_EPS),
  ];
}
