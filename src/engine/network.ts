import type { NetworkDescription } from '../dlib/network-description.js';
import { DisposedError, InputError } from '../errors.js';
import { describeInput, isFloatTensor, type NetworkInput } from '../image.js';
import { ARENA_ALIGN } from '../plan/arena.js';
import { buildExecutionPlan, type ExecutionPlan } from '../plan/execution-plan.js';
import { buildGraph, fuseGraph, sizeOf } from '../plan/graph.js';
import { instantiateKernels, loadKernelModule, type Kernels, type WasmSource } from './kernels.js';

export interface EngineOptions {
  /** Samples run through each layer together (amortizes weight reads). Default 8. */
  batchSize?: number;
  /** Where the kernel wasm comes from; see WasmSource. */
  wasm?: WasmSource;
}

/** What the engine runs on: reported, never guessed by the caller. */
export interface BackendInfo {
  simd: boolean;
  relaxedSimd: boolean;
  threads: number;
}

/** A layer's output: dlib's NCHW shape (one sample) and values. */
export interface LayerOutput {
  shape: [number, number, number, number];
  data: Float32Array;
}

const PAGE = 65536;
/** Addresses below this are left to the kernel module's own use (its stack and statics). */
const RESERVED_BYTES = PAGE;

/**
 * A dlib network loaded into its own WebAssembly memory: packed weights
 * first, then an arena that each plan lays its tensors in.
 */
export class DlibNetwork {
  readonly description: NetworkDescription;
  readonly backend: BackendInfo;
  readonly batchSize: number;
  private memory: WebAssembly.Memory | null;
  private readonly kernels: Kernels;
  private weightsEnd = RESERVED_BYTES;
  private readonly weights = new Map<string, number>();
  private readonly plans = new Map<string, ExecutionPlan>();

  private constructor(description: NetworkDescription, memory: WebAssembly.Memory, kernels: Kernels, backend: BackendInfo, batchSize: number) {
    this.description = description;
    this.memory = memory;
    this.kernels = kernels;
    this.backend = backend;
    this.batchSize = batchSize;
  }

  static async create(description: NetworkDescription, options: EngineOptions = {}): Promise<DlibNetwork> {
    const batchSize = options.batchSize ?? 8;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1024) {
      throw new InputError(`batchSize must be an integer from 1 to 1024, got ${String(options.batchSize)}`);
    }
    const { module, relaxedSimd } = await loadKernelModule(options.wasm);
    const memory = new WebAssembly.Memory({ initial: RESERVED_BYTES / PAGE + 1 });
    const kernels = await instantiateKernels(module, memory);
    const network = new DlibNetwork(description, memory, kernels, { simd: true, relaxedSimd, threads: 1 }, batchSize);
    const { rows, cols } = description.input;
    // Pack the weights now, so that the first run pays for none of it.
    if (rows !== undefined && cols !== undefined) network.plan(rows, cols, false);
    return network;
  }

  /** The input size the network requires, if its input layer fixes one. */
  get inputSize(): { rows: number; cols: number } | undefined {
    const { rows, cols } = this.description.input;
    return rows !== undefined && cols !== undefined ? { rows, cols } : undefined;
  }

  /** Runs the network on each input; returns each one's output (layer<1>'s values). */
  async run(inputs: NetworkInput[]): Promise<Float32Array[]> {
    const memory = this.live();
    const sizes = inputs.map((input, i) => this.checkInput(input, `input ${i}`));
    const outputs = new Array<Float32Array>(inputs.length);
    // Inputs of one size share a plan; each plan runs `batchSize` at a time.
    const groups = new Map<string, number[]>();
    sizes.forEach(({ rows, cols }, i) => {
      const key = `${rows}x${cols}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    for (const indices of groups.values()) {
      const { rows, cols } = sizes[indices[0]];
      const plan = this.plan(rows, cols, false);
      for (let start = 0; start < indices.length; start += plan.batch) {
        const chunk = indices.slice(start, start + plan.batch);
        const base = this.execute(plan, chunk.map((i) => inputs[i]));
        const n = sizeOf(plan.output.shape);
        chunk.forEach((inputIndex, s) => {
          outputs[inputIndex] = new Float32Array(memory.buffer, base + plan.output.offset + s * n * 4, n).slice();
        });
      }
    }
    return outputs;
  }

  /**
   * Every layer's output for one input, by dlib's `layer<i>` index, computed
   * layer by layer without fusing (for checking against dlib's own dumps).
   */
  async layerOutputs(input: NetworkInput): Promise<Map<number, LayerOutput>> {
    const memory = this.live();
    const { rows, cols } = this.checkInput(input, 'input');
    const plan = this.plan(rows, cols, true);
    const base = this.execute(plan, [input]);
    const result = new Map<number, LayerOutput>();
    for (const [index, { offset, shape }] of plan.layerOutputs) {
      result.set(index, {
        shape: [1, shape.c, shape.h, shape.w],
        data: new Float32Array(memory.buffer, base + offset, sizeOf(shape)).slice(),
      });
    }
    return result;
  }

  /** Multiply-adds of one sample at the given input size (default: the fixed one). */
  multiplyAdds(rows = this.inputSize?.rows, cols = this.inputSize?.cols): number {
    if (rows === undefined || cols === undefined) throw new InputError('this network has no fixed input size; pass rows and cols');
    return this.plan(rows, cols, false).macs;
  }

  /** Frees the network's memory; any later call throws DisposedError. */
  dispose(): void {
    this.memory = null;
    this.plans.clear();
    this.weights.clear();
  }

  private live(): WebAssembly.Memory {
    if (!this.memory) throw new DisposedError('the network has been disposed');
    return this.memory;
  }

  private checkInput(input: NetworkInput, what: string): { rows: number; cols: number } {
    const size = describeInput(input, what);
    const fixed = this.inputSize;
    if (fixed && (size.rows !== fixed.rows || size.cols !== fixed.cols)) {
      throw new InputError(`${what} is ${size.cols}x${size.rows} (width x height); this network takes ${fixed.cols}x${fixed.rows} only`);
    }
    return size;
  }

  private ensureBytes(bytes: number): WebAssembly.Memory {
    const memory = this.live();
    const missing = bytes - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
    return memory;
  }

  private placeWeights = (key: string, make: () => Float32Array): number => {
    const known = this.weights.get(key);
    if (known !== undefined) return known;
    const values = make();
    const address = this.weightsEnd;
    const memory = this.ensureBytes(address + values.byteLength);
    new Float32Array(memory.buffer, address, values.length).set(values);
    this.weightsEnd = Math.ceil((address + values.byteLength) / ARENA_ALIGN) * ARENA_ALIGN;
    this.weights.set(key, address);
    return address;
  };

  private plan(rows: number, cols: number, keepAll: boolean): ExecutionPlan {
    const key = `${keepAll ? 'layers' : 'fused'}:${rows}x${cols}`;
    let plan = this.plans.get(key);
    if (!plan) {
      const graph = buildGraph(this.description, rows, cols);
      plan = buildExecutionPlan(keepAll ? graph : fuseGraph(graph), this.placeWeights, {
        batch: keepAll ? 1 : this.batchSize,
        keepAll,
        weightKey: keepAll ? 'layers' : 'fused',
      });
      this.plans.set(key, plan);
    }
    return plan;
  }

  /** Writes the inputs into the arena and runs the plan; returns the arena's base address. */
  private execute(plan: ExecutionPlan, inputs: NetworkInput[]): number {
    // The arena sits after all weights placed so far; its contents do not outlive a run.
    const base = this.weightsEnd;
    const memory = this.ensureBytes(base + plan.arenaBytes);
    const { shape } = plan.input;
    const pixels = shape.h * shape.w;
    const [meanR, meanG, meanB] = this.description.input.mean;
    inputs.forEach((input, s) => {
      const target = base + plan.input.offset + s * 3 * pixels * 4;
      if (isFloatTensor(input)) {
        new Float32Array(memory.buffer, target, 3 * pixels).set(input.data);
      } else {
        const staging = base + plan.staging;
        new Uint8Array(memory.buffer, staging, input.data.length).set(input.data);
        this.kernels.u8_rgb_to_f32_planar(staging, pixels, input.data.length / pixels, meanR, meanG, meanB, target);
      }
    });
    for (const step of plan.steps) step(this.kernels, base, inputs.length);
    return base;
  }
}
