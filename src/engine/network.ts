import type { NetworkDescription } from '../dlib/network-description.js';
import { describeValue, optionsObject } from '../arguments.js';
import { DisposedError, InputError } from '../errors.js';
import {
  checkImageSize,
  describeInput,
  inputRows,
  isFloatTensor,
  isFloatTensorRows,
  isKernelWrittenRows,
  type KernelWrittenRows,
  type NetworkInput,
  type RunInput,
} from '../image.js';
import { alignBuffer, ArenaAllocator, INITIAL_PAGES, RESERVED_BYTES, WASM32_MAX_BYTES } from '../memory-layout.js';
import type { PlanConstant } from '../plan/constant.js';
import { type BandLayout, layoutBands } from '../plan/bands.js';
import { buildExecutionPlan, type ExecutionPlan } from '../plan/execution-plan.js';
import type { PlanStep } from '../plan/plan-step.js';
import { stepCall, withConstants } from './step-call.js';
import { type ParallelCall, runWhole } from './parallel-call.js';
import { buildGraph, fuseGraph, sizeOf, type Shape } from '../plan/graph.js';
import { planarToPixelMajor } from '../plan/pack-weights.js';
import { growKernelMemory, instantiateKernels, type Kernels, runtimeFusesRelaxedMadd, type WasmSource } from './kernels.js';
import { hardwareThreads } from './spawn-workers.js';
import { loadKernelsAndMemory, ThreadTeam } from './thread-team.js';
import { median } from '../math/median.js';
import { checkClassScores, type Classification, classifyLogits, requireMulticlassLog } from '../loss/multiclass-log.js';
import { detectObjects, type DetectObjectsOptions, type ObjectDetection } from '../loss/detect-objects.js';
import type { RgbImage } from '../image.js';

export interface EngineOptions {
  /** Samples run through each layer together (amortizes weight reads). Default 8; 1 for a net over an image pyramid. */
  batchSize?: number;
  /**
   * Threads that share each layer, the calling one included. Default: the
   * cores the runtime reports. 1 runs on the calling thread with no worker;
   * where memory cannot be shared (no SharedArrayBuffer, as in a browser page
   * that is not cross-origin isolated) or the runtime has no workers (edge
   * runtimes) it is always 1, and `backend.threads` says so.
   */
  threads?: number;
  /** Where the kernel wasm comes from; see WasmSource. */
  wasm?: WasmSource;
  /**
   * The script Web Workers start from: the package's `dlib-wasm/worker`
   * (dist/worker.js), for pages whose Content-Security-Policy forbids
   * blob: workers. By default workers start from a blob: URL; Node's
   * worker_threads never need a file.
   */
  workerUrl?: string | URL;
  /**
   * Bytes of tensors (the arena) above which a net that is row-local (convs,
   * pools with a window, ReLUs, per-channel affines and bns, add_prev) runs
   * an input in horizontal bands of rows instead of whole: each band with the
   * rows around it that its output rows need, its plan for one sample taking
   * at most this much where bands tall enough to cover the output allow.
   * The output is the same, bit for bit. Other nets always run whole.
   * An input whose kernels write it whole (a detector's tiled pyramid) and
   * that takes no more than this is written once beside the bands' arena,
   * each band's rows copied from there (up to this much more memory); a
   * larger one is made by rows in JavaScript as the bands ask.
   * Default DEFAULT_MAX_ARENA_BYTES (256 MiB).
   */
  maxArenaBytes?: number;
}

/** Samples a network runs together unless told (EngineOptions.batchSize), but for a net over an image pyramid (1). */
export const DEFAULT_BATCH_SIZE = 8;

/** The default of EngineOptions.maxArenaBytes. */
export const DEFAULT_MAX_ARENA_BYTES = 256 * 2 ** 20;

/** What the engine runs on: reported, never guessed by the caller. */
export interface BackendInfo {
  simd: boolean;
  relaxedSimd: boolean;
  threads: number;
}

/** Time of one plan step over a batch (see DlibNetwork.profile). */
export interface StepTiming {
  label: string;
  /** Multiply-adds of the whole batch that the step's kernel does. */
  macs: number;
  /**
   * Multiply-adds of the whole batch of the layers the step computes (or is
   * one of the steps of, as a Winograd convolution's three), counted as dlib
   * computes them: direct convolutions.
   */
  layerMacs: number;
  ms: number;
}

/** A layer's output: dlib's NCHW shape (one sample) and values. */
export interface LayerOutput {
  shape: [number, number, number, number];
  data: Float32Array;
}

/**
 * Copies rows [first, end) of one sample's NHWC tensor out of memory into
 * `out`, a tensor of `outRows` rows in dlib's NCHW order, from its row `at` on.
 */
function copyPlanarRows(
  memory: WebAssembly.Memory,
  address: number,
  shape: Shape,
  [first, end]: [number, number],
  out: Float32Array,
  outRows: number,
  at: number,
): void {
  const { c: channels, w } = shape;
  const pixels = (end - first) * w;
  const src = new Float32Array(memory.buffer, address + first * w * channels * 4, pixels * channels);
  for (let c = 0; c < channels; c++) {
    const plane = (c * outRows + at) * w;
    for (let p = 0; p < pixels; p++) out[plane + p] = src[p * channels + c];
  }
}

/** Copies one sample's NHWC tensor out of memory in dlib's NCHW order. */
function readPlanar(memory: WebAssembly.Memory, address: number, shape: Shape): Float32Array {
  if (shape.h * shape.w === 1) return new Float32Array(memory.buffer, address, shape.c).slice();
  const out = new Float32Array(sizeOf(shape));
  copyPlanarRows(memory, address, shape, [0, shape.h], out, shape.h, 0);
  return out;
}

/**
 * Input sizes whose plans stay cached. A net run on photos of many sizes
 * would otherwise keep every size's indirection buffers; past this many, the
 * least recently used size's plan goes and its constants' space is reused.
 */
export const CACHED_PLAN_SIZES = 4;

/** A constant in the kernels' memory, and how many plans use it if it is one of theirs (see ConstantLifetime). */
interface PlacedConstant {
  address: number;
  bytes: number;
  /** Plans using a plan-lifetime constant; undefined for one that lives as long as the network. */
  users?: number;
}

/** Where a network placed a constant (see DlibNetwork.placedConstants). */
export interface PlacedConstantEntry {
  key: string;
  address: number;
  bytes: number;
}

/**
 * A network's constants as DlibNetwork.placedConstants gave them, kept
 * elsewhere (the CLI's cache), for DlibNetwork.create to take instead of
 * packing them again: the same net's description and options (batch size,
 * build), or what it gives is that net's no longer. Taken only where the
 * batch size and build match, no constant of the plan is of another size
 * than the image says (else none is taken), and each falls where it went before.
 */
export interface PlacedConstantsImage {
  entries: PlacedConstantEntry[];
  batchSize: number;
  relaxedSimd: boolean;
  /**
   * The image holds every constant of the plan for the net's fixed input
   * size, and the description it goes with may lack the weights packed into
   * them (its con layers' `filters` and fc layers' `weights` empty): create
   * then takes every constant from the image, and where it cannot (another
   * batch size or build, an image not written whole, a constant missing, of
   * another size or elsewhere) throws an InputError instead of packing
   * values it lacks. Such a network packs nothing later either (layerOutputs
   * and profile are InputErrors).
   */
  complete?: boolean;
  /**
   * Writes the memory's bytes from RESERVED_BYTES to the constants' end, as
   * placedConstants' `memory` held them, into `memory` (as long as they);
   * says whether it wrote them whole.
   */
  write(memory: Uint8Array): Promise<boolean>;
}

/** A plan whose constants are placed: its steps hold their addresses. */
type PlacedPlan = Omit<ExecutionPlan, 'steps' | 'constants'> & { steps: PlanStep[] };

/**
 * An input as a run writes it into the arena: an image or float tensor
 * (copied and converted there), or kernel-written rows, with the bytes past
 * the arena that they work in.
 */
type ArenaInput = NetworkInput | KernelWrittenRows | { storedRows: [start: number, end: number]; storedAt: number; cols: number };

/** A cached plan and the plan-lifetime constants it uses, released with it. */
interface CachedPlan {
  plan: PlacedPlan;
  constants: Set<string>;
}

/**
 * A dlib network loaded into its own WebAssembly memory: packed weights and
 * each cached plan's constants first (in a region whose freed space is
 * reused), then an arena that each plan lays its tensors in.
 */
export class DlibNetwork {
  readonly backend: BackendInfo;
  readonly batchSize: number;
  private readonly maxArenaBytes: number;
  /** Dropped on dispose, as everything large: a disposed network that is still referenced holds nothing. */
  private network: { description: NetworkDescription; memory: WebAssembly.Memory; kernels: Kernels } | null;
  /** The input layer (size and means): small, kept after dispose. */
  private readonly input: NetworkDescription['input'];
  private team: ThreadTeam | undefined;
  /** Places the constants, from RESERVED_BYTES on: weights for good, each plan's until the plan goes. */
  private readonly constantSpace = new ArenaAllocator();
  /** The end of the memory any constant, arena or kernel scratch has used (all above it is still zero). */
  private dirtyEnd = 0;
  private readonly constants = new Map<string, PlacedConstant>();
  /** Least recently used first. */
  private readonly plans = new Map<string, CachedPlan>();
  /** The plan-lifetime constants of the plan being built. */
  private building = new Set<string>();
  /** While create plans: the constants an image put in memory (PlacedConstantsImage), by key. */
  private imaged: Map<string, PlacedConstantEntry> | undefined;
  /** Created from a complete image (PlacedConstantsImage.complete): its description may lack the weights, so nothing is packed. */
  private fromImageOnly = false;

  private constructor(
    description: NetworkDescription,
    memory: WebAssembly.Memory,
    kernels: Kernels,
    team: ThreadTeam | undefined,
    backend: BackendInfo,
    batchSize: number,
    maxArenaBytes: number,
  ) {
    this.network = { description, memory, kernels };
    this.input = description.input;
    this.team = team;
    this.backend = backend;
    this.batchSize = batchSize;
    this.maxArenaBytes = maxArenaBytes;
  }

  /** The typed description of the net (every layer and parameter); DisposedError once disposed. */
  get description(): NetworkDescription {
    return this.live().description;
  }

  /**
   * `constants`: this very net's constants as placedConstants gave them for
   * the same options (the CLI's cache), put in memory instead of packed again.
   */
  static async create(description: NetworkDescription, options?: EngineOptions, constants?: PlacedConstantsImage): Promise<DlibNetwork> {
    if (typeof description?.input !== 'object' || !Array.isArray(description.layers) || typeof description.loss !== 'object') {
      throw new InputError(`DlibNetwork.create takes a NetworkDescription (readDlibNetwork's result), got ${describeValue(description)}`);
    }
    options = optionsObject(options, 'the engine options');
    // A pyramid net runs one image at a time: each tiles to a size of its own, so batches never fill.
    const batchSize = options.batchSize ?? (description.input.kind === 'input_rgb_image_pyramid' ? 1 : DEFAULT_BATCH_SIZE);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1024) {
      throw new InputError(`batchSize must be an integer from 1 to 1024, got ${String(options.batchSize)}`);
    }
    const maxArenaBytes = options.maxArenaBytes ?? DEFAULT_MAX_ARENA_BYTES;
    if (typeof maxArenaBytes !== 'number' || !(maxArenaBytes > 0) || maxArenaBytes > WASM32_MAX_BYTES) {
      throw new InputError(`maxArenaBytes must be a number of bytes above 0 and up to 4 GiB, got ${describeValue(options.maxArenaBytes)}`);
    }
    const requested = options.threads ?? (await hardwareThreads());
    const { module, relaxedSimd, sharedMemory, spawn, memory } = await loadKernelsAndMemory(
      requested,
      options.wasm ?? {},
      options.workerUrl,
      INITIAL_PAGES,
    );
    const kernels = await instantiateKernels(module, memory);
    // Workers start on threads of their own while this one packs the weights.
    const starting = sharedMemory && spawn ? ThreadTeam.create(spawn, module, memory, requested) : undefined;
    starting?.catch(() => undefined); // awaited below: not an unhandled rejection meanwhile
    const network = new DlibNetwork(
      description,
      memory,
      kernels,
      undefined,
      { simd: true, relaxedSimd, threads: 1 },
      batchSize,
      maxArenaBytes,
    );
    const { rows, cols } = description.input;
    try {
      network.fromImageOnly = constants?.complete === true;
      if (constants && constants.batchSize === batchSize && constants.relaxedSimd === relaxedSimd) await network.takeImage(constants);
      if (network.fromImageOnly && (!network.imaged || rows === undefined || cols === undefined)) {
        throw new InputError(
          'the complete constants image was not taken (made for another batch size or build, or not written whole, or the net has no fixed input size): load the network from its model file',
        );
      }
      // Pack the weights now, so that the first run pays for none of it.
      if (rows !== undefined && cols !== undefined) network.plan(rows, cols);
      network.imaged = undefined;
    } catch (error) {
      (await starting?.catch(() => undefined))?.dispose();
      throw error;
    }
    if (starting) {
      network.team = await starting;
      network.backend.threads = network.team.threads;
    }
    return network;
  }

  /**
   * The constants placed so far (by create, the weights and the fixed input
   * size's tables): where each is, and a copy of the memory from
   * RESERVED_BYTES to their end. What a cache keeps to give create again
   * (PlacedConstantsImage), for a later load of the same net to skip packing.
   */
  placedConstants(): { entries: PlacedConstantEntry[]; memory: Uint8Array } {
    const { memory } = this.live();
    const entries = [...this.constants].map(([key, { address, bytes }]) => ({ key, address, bytes }));
    const end = entries.reduce((most, { address, bytes }) => Math.max(most, address + bytes), RESERVED_BYTES);
    return { entries, memory: new Uint8Array(memory.buffer, RESERVED_BYTES, end - RESERVED_BYTES).slice() };
  }

  /**
   * Puts an image's constants in memory, for placeConstant to find each
   * where it went before; if its write fails, the memory is only dirty.
   */
  private async takeImage({ entries, write }: PlacedConstantsImage): Promise<void> {
    let end = RESERVED_BYTES;
    for (const { address, bytes } of entries) {
      if (!Number.isSafeInteger(address) || !Number.isSafeInteger(bytes) || address < RESERVED_BYTES || bytes < 0) return;
      end = Math.max(end, address + bytes);
    }
    if (end > WASM32_MAX_BYTES) return;
    const memory = this.ensureBytes(end);
    this.dirtyEnd = Math.max(this.dirtyEnd, end);
    if (await write(new Uint8Array(memory.buffer, RESERVED_BYTES, end - RESERVED_BYTES))) {
      this.imaged = new Map(entries.map((entry) => [entry.key, entry]));
    }
  }

  /** Whether the kernels' multiply-adds round once: plans that need it for accuracy (6x6 tiles of 5x5 filters) only then. */
  private get fusedMultiplyAdd(): boolean {
    return this.backend.relaxedSimd && runtimeFusesRelaxedMadd();
  }

  /** Bytes of WebAssembly memory the network holds (weights and arena); 0 once disposed. */
  get memoryBytes(): number {
    return this.network?.memory.buffer.byteLength ?? 0;
  }

  /** The input size the network requires, if its input layer fixes one. */
  get inputSize(): { rows: number; cols: number } | undefined {
    const { rows, cols } = this.input;
    return rows !== undefined && cols !== undefined ? { rows, cols } : undefined;
  }

  /** Runs the network on each input; returns each one's output (layer<1>'s values). */
  async run(inputs: RunInput[]): Promise<Float32Array[]> {
    const { memory } = this.live();
    if (!Array.isArray(inputs)) throw new InputError('run takes an array of inputs: run([image]) for one');
    // A plain loop: map() and forEach() skip the holes of a sparse array, which would leave holes in the result.
    const sizes: { rows: number; cols: number }[] = [];
    for (let i = 0; i < inputs.length; i++) sizes.push(this.checkInput(inputs[i], `input ${i}`));
    const outputs = new Array<Float32Array>(inputs.length);
    // Inputs of one size share a plan; each plan runs `batchSize` at a time.
    const groups = new Map<string, number[]>();
    sizes.forEach(({ rows, cols }, i) => {
      const key = `${rows}x${cols}`;
      const group = groups.get(key);
      if (group) group.push(i);
      else groups.set(key, [i]);
    });
    for (const indices of groups.values()) {
      const { rows, cols } = sizes[indices[0]];
      const bands = this.bandsFor(rows, cols);
      if (bands) {
        for (const i of indices) outputs[i] = this.runBands(inputs[i], cols, bands);
        continue;
      }
      const plan = this.plan(rows, cols);
      for (let start = 0; start < indices.length; start += plan.batch) {
        const chunk = indices.slice(start, start + plan.batch);
        const base = this.execute(
          plan,
          chunk.map((i) => this.wholeInput(inputs[i], `input ${i}`)),
        );
        const n = sizeOf(plan.output.shape);
        chunk.forEach((inputIndex, s) => {
          outputs[inputIndex] = readPlanar(memory, base + plan.output.offset + s * n * 4, plan.output.shape);
        });
      }
    }
    return outputs;
  }

  /**
   * For a net under loss_multiclass_log (an InputError naming the loss
   * otherwise): each input's label, the softmax of its logits, and the logits.
   */
  async classify(inputs: NetworkInput[]): Promise<Classification[]> {
    requireMulticlassLog(this.live().description.loss, 'classify');
    if (!Array.isArray(inputs)) throw new InputError('classify takes an array of inputs: classify([image]) for one');
    for (let i = 0; i < inputs.length; i++) {
      const { rows, cols } = this.checkInput(inputs[i], `input ${i}`);
      checkClassScores(this.plan(rows, cols).output.shape, `input ${i} (${cols}x${rows})`);
    }
    return (await this.run(inputs)).map(classifyLogits);
  }

  /**
   * The objects an MMOD detector (a `loss_mmod` net over an image pyramid:
   * dlib's CNN face detector, its vehicle detectors) finds in an image, as
   * dlib's Python `cnn_face_detection_model_v1(img, upsample)`: see
   * detectObjects. Other nets are an InputError.
   */
  async detect(image: RgbImage, options?: DetectObjectsOptions): Promise<ObjectDetection[]> {
    const found = await detectObjects(this, image, options);
    return found.map(({ rect, confidence, label }) => ({ rect, confidence, label }));
  }

  /**
   * Every layer's output for one input, by dlib's `layer<i>` index, computed
   * layer by layer without fusing (for checking against dlib's own dumps).
   * The unfused weights it packs (for the face model, 22 MB) are released
   * when it returns: their space is reused, and each call packs them again.
   */
  async layerOutputs(input: NetworkInput): Promise<Map<number, LayerOutput>> {
    const { memory } = this.live();
    const { rows, cols } = this.checkInput(input, 'input');
    const unfused = this.buildPlan(rows, cols, true);
    try {
      const base = this.execute(unfused.plan, [input]);
      const result = new Map<number, LayerOutput>();
      for (const [index, { offset, shape }] of unfused.plan.layerOutputs) {
        result.set(index, {
          shape: [1, shape.c, shape.h, shape.w],
          data: readPlanar(memory, base + offset, shape),
        });
      }
      return result;
    } finally {
      this.release(unfused);
    }
  }

  /**
   * Runs one batch of same-size inputs and times each plan step: what the
   * benchmarks report per layer. With `repeats` above 1, each step runs that
   * many times in a row and its time is the median of all runs but the first:
   * the step with its weights and inputs in cache, as far as they fit (what
   * its kernel does when memory keeps up). The outputs are then not the
   * network's: steps that work in place run on their own results.
   */
  async profile(inputs: NetworkInput[], { repeats = 1 }: { repeats?: number } = {}): Promise<StepTiming[]> {
    if (!Number.isInteger(repeats) || repeats < 1) throw new InputError(`repeats must be a positive integer, got ${String(repeats)}`);
    this.live();
    const { rows, cols } = this.checkInput(inputs[0], 'input 0');
    for (let i = 0; i < inputs.length; i++) this.checkInput(inputs[i], `input ${i}`);
    const plan = this.plan(rows, cols);
    if (inputs.length > plan.batch) throw new InputError(`profile takes at most batchSize (${plan.batch}) inputs`);
    const times: number[] = [];
    this.execute(plan, inputs, { times, repeats });
    return plan.steps.map(({ label, macs, nodeMacs }, i) => ({
      label,
      macs: macs * inputs.length,
      layerMacs: nodeMacs * inputs.length,
      ms: times[i],
    }));
  }

  /** Multiply-adds of one sample at the given input size (default: the fixed one). */
  multiplyAdds(rows = this.inputSize?.rows, cols = this.inputSize?.cols): number {
    if (rows === undefined || cols === undefined) throw new InputError('this network has no fixed input size; pass rows and cols');
    return this.plan(rows, cols).macs;
  }

  /** Frees the network's memory; any later call throws DisposedError. */
  dispose(): void {
    this.team?.dispose();
    this.team = undefined;
    this.network = null;
    this.plans.clear();
    this.constants.clear();
  }

  private live(): NonNullable<DlibNetwork['network']> {
    if (!this.network) throw new DisposedError('the network has been disposed');
    return this.network;
  }

  /** An input as a whole: a FloatTensorRows made whole (by kernels where it can be), where its size is one that may be. */
  private wholeInput(input: RunInput, what: string): ArenaInput {
    if (!isFloatTensorRows(input)) return input;
    checkImageSize(input.cols, input.rows, `${what} (not run in bands: the net is not row-local)`);
    return isKernelWrittenRows(input) ? input : input.readRows(0, input.rows);
  }

  /** Runs a kernel call on the team's threads, or on this one alone. */
  private runCall(call: ParallelCall): void {
    const { kernels } = this.live();
    if (this.team) this.team.run(kernels, call);
    else runWhole(kernels, call);
  }

  private checkInput(input: RunInput, what: string): { rows: number; cols: number } {
    const size = describeInput(input, what);
    if (this.input.kind === 'input_rgb_image_pyramid' && !isFloatTensor(input) && !isFloatTensorRows(input)) {
      throw new InputError(
        `${what} is an image, and this net's input is an image pyramid: detect(image) tiles it; run() takes the tiled pyramid as a float tensor`,
      );
    }
    const fixed = this.inputSize;
    if (fixed && (size.rows !== fixed.rows || size.cols !== fixed.cols)) {
      throw new InputError(`${what} is ${size.cols}x${size.rows} (width x height); this network takes ${fixed.cols}x${fixed.rows} only`);
    }
    return size;
  }

  private ensureBytes(bytes: number): WebAssembly.Memory {
    const { memory } = this.live();
    growKernelMemory(memory, bytes, 'this', '; use a smaller input or batchSize');
    return memory;
  }

  /** Where the arena starts: past every constant placed (and space freed among them). */
  private get constantsEnd(): number {
    return RESERVED_BYTES + this.constantSpace.peak;
  }

  /**
   * Puts a plan's constant in the kernels' memory, or finds it there by its
   * key; returns its byte address. A constant packed by a kernel runs it here.
   */
  private placeConstant({ key, bytes: planned, make, lifetime }: PlanConstant): number {
    const known = this.constants.get(key);
    if (known !== undefined) {
      if (known.users !== undefined && !this.building.has(key)) {
        known.users++;
        this.building.add(key);
      }
      return known.address;
    }
    const imaged = this.imaged?.get(key);
    if (imaged) {
      const address = RESERVED_BYTES + this.constantSpace.allocate(imaged.bytes);
      if (address === imaged.address) return this.placed(key, lifetime, address, imaged.bytes);
      this.constantSpace.free(address - RESERVED_BYTES);
    }
    if (this.fromImageOnly) {
      throw new InputError(
        `constant ${key} is not in the network's constants image where it goes, and the network was created without its weights (PlacedConstantsImage.complete): load it from its model file`,
      );
    }
    const { kernels } = this.live();
    const values = make();
    const bytes = 'floats' in values ? values.floats * 4 : values.byteLength;
    if (bytes !== planned) throw new Error(`constant ${key} is ${bytes} bytes; its plan said ${planned}`);
    const address = RESERVED_BYTES + this.constantSpace.allocate(bytes);
    if (!('floats' in values)) {
      const memory = this.ensureBytes(address + bytes);
      new Uint8Array(memory.buffer, address, bytes).set(new Uint8Array(values.buffer, values.byteOffset, bytes));
    } else {
      // A kernel's inputs go past every constant, where the arena will later be.
      const inputs = 'pack' in values ? values.inputs : [];
      const inputAddresses: number[] = [];
      const scratchStart = this.constantsEnd;
      let scratchEnd = scratchStart;
      for (const input of inputs) {
        inputAddresses.push(scratchEnd);
        scratchEnd = alignBuffer(scratchEnd + input.byteLength);
      }
      const memory = this.ensureBytes(scratchEnd);
      // The writer expects zeros where it writes nothing: fresh memory is, memory used before is not.
      if (address < this.dirtyEnd) new Float32Array(memory.buffer, address, values.floats).fill(0);
      if ('pack' in values) {
        inputs.forEach((input, i) => new Float32Array(memory.buffer, inputAddresses[i], input.length).set(input));
        runWhole(kernels, values.pack(address, inputAddresses));
        // Inputs written to fresh memory are zeroed again, leaving it fresh: far cheaper than zeroing
        // each later constant there (a Winograd pack is 4-7 times its inputs; 34 MB for the face model).
        if (scratchStart >= this.dirtyEnd) new Uint8Array(memory.buffer, scratchStart, scratchEnd - scratchStart).fill(0);
        else this.dirtyEnd = Math.max(this.dirtyEnd, scratchEnd);
      } else {
        values.write(new Float32Array(memory.buffer, address, values.floats));
      }
    }
    this.dirtyEnd = Math.max(this.dirtyEnd, address + bytes);
    return this.placed(key, lifetime, address, bytes);
  }

  /** Records a constant placed at `address`; returns the address. */
  private placed(key: string, lifetime: PlanConstant['lifetime'], address: number, bytes: number): number {
    if (lifetime === 'plan') {
      this.constants.set(key, { address, bytes, users: 1 });
      this.building.add(key);
    } else {
      this.constants.set(key, { address, bytes });
    }
    return address;
  }

  /**
   * How to run an input of this size in bands, or undefined to run it whole
   * (see layoutBands); a size whose whole plan is cached runs whole.
   */
  private bandsFor(rows: number, cols: number): BandLayout | undefined {
    if (this.plans.has(`${rows}x${cols}`)) return undefined;
    return layoutBands(this.live().description, rows, cols, {
      batch: this.batchSize,
      maxArenaBytes: this.maxArenaBytes,
      fusedMultiplyAdd: this.fusedMultiplyAdd,
    });
  }

  /**
   * Runs one input band by band, each band's exact rows copied into the whole
   * output. Kernel-written rows no larger than the arena may be are written
   * whole once, past the bands' arena, and each band's rows copied from there.
   */
  private runBands(input: RunInput, cols: number, { bands, output, wholeInput }: BandLayout): Float32Array {
    const { memory } = this.live();
    const result = new Float32Array(sizeOf(output));
    let stored: number | undefined;
    if (isKernelWrittenRows(input) && 12 * input.rows * cols <= this.maxArenaBytes) {
      const tensorBytes = 12 * input.rows * cols;
      // Every band's plan first: placing their constants moves the arena, which the stored tensor follows.
      let arenaBytes = 0;
      for (const { start, end } of bands) arenaBytes = Math.max(arenaBytes, this.plan(end - start, cols, wholeInput).arenaBytes);
      stored = alignBuffer(this.constantsEnd + arenaBytes);
      const work = alignBuffer(stored + tensorBytes);
      this.ensureBytes(work + input.workBytes);
      this.dirtyEnd = Math.max(this.dirtyEnd, work + input.workBytes);
      input.writeTensor(memory, stored, work, (call) => this.runCall(call));
    }
    const planned = this.constantsEnd;
    for (const { start, end, keepFrom, keepTo, outputRow } of bands) {
      const plan = this.plan(end - start, cols, wholeInput);
      if (stored !== undefined && this.constantsEnd !== planned) throw new Error('a band plan placed constants over the stored input');
      const bandInput: ArenaInput =
        stored === undefined ? inputRows(input, start, end) : { storedRows: [start, end], storedAt: stored, cols };
      const base = this.execute(plan, [bandInput]);
      copyPlanarRows(memory, base + plan.output.offset, plan.output.shape, [keepFrom, keepTo], result, output.h, outputRow);
    }
    return result;
  }

  /**
   * The fused plan for an input size, or for a band of that many rows of a
   * larger input (`wholeInput`), from the cache (where it becomes the most
   * recently used) or built.
   */
  private plan(rows: number, cols: number, wholeInput?: BandLayout['wholeInput']): PlacedPlan {
    const key = wholeInput ? `${rows}x${cols} of ${wholeInput.shapes[0].h}` : `${rows}x${cols}`;
    let cached = this.plans.get(key);
    if (cached) {
      this.plans.delete(key);
    } else {
      // Evicted first, so that the new plan's constants can take its space.
      if (this.plans.size >= CACHED_PLAN_SIZES) {
        const [oldest, evicted] = this.plans.entries().next().value!;
        this.plans.delete(oldest);
        this.release(evicted);
      }
      cached = this.buildPlan(rows, cols, false, wholeInput);
    }
    this.plans.set(key, cached);
    return cached.plan;
  }

  private buildPlan(rows: number, cols: number, keepAll: boolean, wholeInput?: BandLayout['wholeInput']): CachedPlan {
    const { description } = this.live();
    const graph = buildGraph(description, rows, cols);
    // A band runs alone: it is already as large as the arena may be.
    const batch = keepAll || wholeInput ? 1 : this.batchSize;
    // Checked before planning, whose per-pixel tables an absurd size or batch would make huge too.
    let largest = 0;
    for (const shape of graph.shapes) largest = Math.max(largest, sizeOf(shape) * 4 * batch);
    if (largest > WASM32_MAX_BYTES) {
      throw new InputError(
        `an input of ${cols}x${rows} (width x height) in batches of ${batch} has a layer output of ${Math.ceil(largest / 2 ** 20)} MiB, more than WebAssembly's 4 GiB; use a smaller input or batchSize`,
      );
    }
    this.building = new Set();
    try {
      const { steps, constants, ...plan } = buildExecutionPlan(keepAll ? graph : fuseGraph(graph), {
        batch,
        keepAll,
        constantKey: keepAll ? 'layers' : 'fused',
        wholeInput,
        fusedMultiplyAdd: this.fusedMultiplyAdd,
      });
      this.dropImageUnlike(constants);
      const addresses = new Map(constants.map((constant) => [constant.key, this.placeConstant(constant)]));
      return { plan: { ...plan, steps: steps.map((step) => withConstants(step, addresses)) }, constants: this.building };
    } catch (error) {
      this.release({ constants: this.building });
      throw error;
    } finally {
      this.building = new Set();
    }
  }

  /**
   * Takes none of an image that has a constant of the plan at another size
   * than the plan's (a damaged cache entry): placed, it would be cut short or
   * run into the next.
   */
  private dropImageUnlike(constants: PlanConstant[]): void {
    const imaged = this.imaged;
    if (imaged && constants.some(({ key, bytes }) => (imaged.get(key)?.bytes ?? bytes) !== bytes)) this.imaged = undefined;
  }

  /** Frees the space of the plan-lifetime constants that no other cached plan uses. */
  private release({ constants }: Pick<CachedPlan, 'constants'>): void {
    for (const key of constants) {
      const constant = this.constants.get(key);
      if (constant?.users === undefined) continue;
      if (--constant.users > 0) continue;
      this.constants.delete(key);
      this.constantSpace.free(constant.address - RESERVED_BYTES);
    }
  }

  /** Writes the inputs into the arena and runs the plan; returns the arena's base address. */
  private execute(plan: PlacedPlan, inputs: ArenaInput[], timing?: { times: number[]; repeats: number }): number {
    // The arena sits after all constants placed so far; its contents do not outlive a run.
    const base = this.constantsEnd;
    const { kernels } = this.live();
    // Kernel-written rows work past the arena.
    const work = alignBuffer(base + plan.arenaBytes);
    let workBytes = 0;
    for (const input of inputs) if (isKernelWrittenRows(input)) workBytes = Math.max(workBytes, input.workBytes);
    const memory = this.ensureBytes(work + workBytes);
    this.dirtyEnd = Math.max(this.dirtyEnd, work + workBytes);
    const { shape } = plan.input;
    const pixels = shape.h * shape.w;
    const [meanR, meanG, meanB] = this.input.mean;
    inputs.forEach((input, s) => {
      const target = base + plan.input.offset + s * 3 * pixels * 4;
      if ('storedRows' in input) {
        const [start, end] = input.storedRows;
        new Uint8Array(memory.buffer).copyWithin(target, input.storedAt + 12 * start * input.cols, input.storedAt + 12 * end * input.cols);
      } else if (isKernelWrittenRows(input)) {
        input.writeTensor(memory, target, work, (call) => this.runCall(call));
      } else if (isFloatTensor(input)) {
        planarToPixelMajor(input.data, 3, pixels, new Float32Array(memory.buffer, target, 3 * pixels));
      } else {
        const staging = base + plan.staging;
        const pixelStride = input.data.length / pixels;
        new Uint8Array(memory.buffer, staging, input.data.length).set(input.data);
        kernels.u8_rgb_to_f32_nhwc(
          staging,
          shape.w * pixelStride,
          pixelStride,
          1,
          shape.w,
          meanR,
          meanG,
          meanB,
          target,
          12 * shape.w,
          0,
          shape.h,
        );
      }
    });
    const run = (step: PlanStep) => this.runCall(stepCall(step, base, inputs.length));
    for (const step of plan.steps) {
      if (!timing) {
        run(step);
        continue;
      }
      const runs: number[] = [];
      for (let r = 0; r < timing.repeats; r++) {
        const start = performance.now();
        run(step);
        runs.push(performance.now() - start);
      }
      timing.times.push(median(timing.repeats > 1 ? runs.slice(1) : runs));
    }
    this.team?.park();
    return base;
  }
}
