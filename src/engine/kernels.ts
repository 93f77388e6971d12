import {
  MAX_SHARED_PAGES,
  RELAXED_SIMD_KERNELS_BASE64,
  RELAXED_SIMD_SHARED_KERNELS_BASE64,
  SIMD_KERNELS_BASE64,
  SIMD_SHARED_KERNELS_BASE64,
} from './kernels-wasm.generated.js';
import { DlibWasmError, InputError, WasmMemoryError } from '../errors.js';
import { optionsObject } from '../arguments.js';
import { pagesFor, WASM_PAGE_BYTES } from './memory-layout.js';

/**
 * The kernel module's exports that threads run (the network's, and the HOG
 * detector's that split by rows). Every kernel takes byte offsets into its
 * memory, sizes, and last the range of work items it does (see PlanStep).
 */
export type KernelName =
  | 'f32_igemm_4x8__simd128'
  | 'f32_igemm_4x8_batched__simd128'
  | 'f32_winograd_2x2_3x3_input_nhwc__simd128'
  | 'f32_winograd_2x2_3x3_output_nhwc__simd128'
  | 'f32_pool2d_nhwc__simd128'
  | 'f32_add_zero_extend_nhwc__simd128'
  | 'f32_scale_shift_nhwc__simd128'
  | 'f32_relu__simd128'
  | 'u8_rgb_to_f32_nhwc'
  | 'f32_winograd_2x2_3x3_filter_pack'
  | 'u8_planar_resize_bilinear__simd128'
  | 'f32_correlate_rows__simd128'
  | 'f32_correlate_columns__simd128'
  | 'f32_correlate_2d__simd128'
  | 'f32_fhog_cells__simd128'
  | 'f32_fhog_features__simd128';

export type Kernels = Record<KernelName, (...args: (number | boolean)[]) => void>;

/** All kernels, in the order workers number them. */
export const KERNEL_NAMES: readonly KernelName[] = [
  'f32_igemm_4x8__simd128',
  'f32_igemm_4x8_batched__simd128',
  'f32_winograd_2x2_3x3_input_nhwc__simd128',
  'f32_winograd_2x2_3x3_output_nhwc__simd128',
  'f32_pool2d_nhwc__simd128',
  'f32_add_zero_extend_nhwc__simd128',
  'f32_scale_shift_nhwc__simd128',
  'f32_relu__simd128',
  'u8_rgb_to_f32_nhwc',
  'f32_winograd_2x2_3x3_filter_pack',
  'u8_planar_resize_bilinear__simd128',
  'f32_correlate_rows__simd128',
  'f32_correlate_columns__simd128',
  'f32_correlate_2d__simd128',
  'f32_fhog_cells__simd128',
  'f32_fhog_features__simd128',
];

export interface KernelModule {
  module: WebAssembly.Module;
  relaxedSimd: boolean;
  /** The module imports shared memory (for threads). */
  sharedMemory: boolean;
}

/** Where the kernel wasm comes from: the embedded builds by default, or the caller's. */
export interface WasmSource {
  /**
   * A compiled kernel module, for runtimes that forbid compiling from bytes.
   * Say which build it is with `relaxedSimd` and `sharedMemory`.
   */
  module?: WebAssembly.Module;
  /** Use relaxed SIMD (fused multiply-add) where the runtime has it. Default true. */
  relaxedSimd?: boolean;
  /** With `module`: it is a shared-memory build (threads). */
  sharedMemory?: boolean;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// (module (func (result v128) v128.const f32x4 0 0 0 0 ... f32x4.relaxed_madd))
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 133, 2, 11,
]);

export function runtimeHasRelaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}

/** Whether this runtime can share a WebAssembly memory between threads. */
export function runtimeHasSharedMemory(): boolean {
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

const BUILDS = {
  simd: SIMD_KERNELS_BASE64,
  'relaxed-simd': RELAXED_SIMD_KERNELS_BASE64,
  'simd-shared': SIMD_SHARED_KERNELS_BASE64,
  'relaxed-simd-shared': RELAXED_SIMD_SHARED_KERNELS_BASE64,
};
const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** Compiles (once per process) the kernel build this runtime can run best. */
export function loadKernelModule(source: WasmSource, sharedMemory: boolean): Promise<KernelModule> {
  optionsObject(source, 'the wasm option');
  if (source.module) {
    return Promise.resolve({
      module: source.module,
      relaxedSimd: source.relaxedSimd === true,
      sharedMemory: source.sharedMemory === true,
    });
  }
  const relaxedSimd = source.relaxedSimd !== false && runtimeHasRelaxedSimd();
  const build = `${relaxedSimd ? 'relaxed-simd' : 'simd'}${sharedMemory ? '-shared' : ''}` as keyof typeof BUILDS;
  let module = compiled.get(build);
  if (!module) {
    module = WebAssembly.compile(decodeBase64(BUILDS[build])).catch((error: unknown) => {
      compiled.delete(build);
      throw new DlibWasmError(
        `could not compile the kernels (${String(error)}). Where the runtime forbids compiling from bytes (Cloudflare Workers, a CSP without 'wasm-unsafe-eval'), pass wasm: { module } with dlib-wasm/wasm/kernels-${build}.wasm compiled by the platform, as Workers import .wasm files`,
      );
    });
    compiled.set(build, module);
  }
  return module.then((m) => ({ module: m, relaxedSimd, sharedMemory }));
}

/**
 * Makes the memory a kernel build imports: shared (bounded) or growable
 * without bound. A shared memory reserves its whole maximum (4 GiB of address
 * space) at once, which an address-space limit may refuse: a WasmMemoryError.
 */
export function createKernelMemory(initialPages: number, sharedMemory: boolean): WebAssembly.Memory {
  try {
    return sharedMemory
      ? new WebAssembly.Memory({ initial: initialPages, maximum: MAX_SHARED_PAGES, shared: true })
      : new WebAssembly.Memory({ initial: initialPages });
  } catch (error) {
    const what = sharedMemory
      ? `a shared WebAssembly memory (it reserves ${MAX_SHARED_PAGES / 16384} GiB of address space)`
      : `${(initialPages * WASM_PAGE_BYTES) / 1024} KiB of WebAssembly memory`;
    throw new WasmMemoryError(
      `the runtime could not allocate ${what}: ${String(error)}; is the process under an address-space limit (ulimit -v) or out of memory?`,
    );
  }
}

/**
 * Grows a kernel memory to at least `bytes`. Past wasm32's 4 GiB, or beyond
 * what the host gives, the input is too large, not the engine broken: an
 * InputError that says what (`what`) needed how much, and what to do (`hint`).
 */
export function growKernelMemory(memory: WebAssembly.Memory, bytes: number, what: string, hint = ''): void {
  const missing = bytes - memory.buffer.byteLength;
  if (missing <= 0) return;
  try {
    memory.grow(pagesFor(missing));
  } catch {
    throw new InputError(`${what} needs ${Math.ceil(bytes / 2 ** 20)} MiB of WebAssembly memory, more than can be allocated${hint}`);
  }
}

/** Instantiates the kernels over the given memory. */
export async function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<Kernels> {
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return instance.exports as unknown as Kernels;
}
