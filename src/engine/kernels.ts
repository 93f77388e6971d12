import { RELAXED_SIMD_KERNELS_BASE64, SIMD_KERNELS_BASE64 } from './kernels-wasm.generated.js';

/**
 * The kernel module's exports. Every kernel takes byte offsets into its
 * memory, sizes, and last the range of work items it does (see PlanStep).
 */
export type KernelName =
  | 'f32_igemm_4x8__simd128'
  | 'f32_pool2d_nhwc__simd128'
  | 'f32_add_zero_extend_nhwc__simd128'
  | 'f32_scale_shift_nhwc__simd128'
  | 'f32_relu__simd128'
  | 'u8_rgb_to_f32_nhwc';

export type Kernels = Record<KernelName, (...args: (number | boolean)[]) => void>;

export interface KernelModule {
  module: WebAssembly.Module;
  relaxedSimd: boolean;
}

/** Where the kernel wasm comes from: the embedded build by default, or the caller's. */
export interface WasmSource {
  /** A compiled kernel module (needed where compiling from bytes is forbidden). */
  module?: WebAssembly.Module;
  /** Use relaxed SIMD (fused multiply-add) when the runtime has it. Default true. */
  relaxedSimd?: boolean;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// (module (func (result v128) v128.const f32x4 0 0 0 0 ... f32x4.relaxed_madd))
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 133, 2, 11,
]);

export function runtimeHasRelaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}

const compiled = new Map<boolean, Promise<WebAssembly.Module>>();

/** Compiles (once per process) the kernel build this runtime can run best. */
export function loadKernelModule(source: WasmSource = {}): Promise<KernelModule> {
  if (source.module) {
    // A caller's module is taken as the plain SIMD build unless they say otherwise.
    return Promise.resolve({ module: source.module, relaxedSimd: source.relaxedSimd === true });
  }
  const relaxedSimd = source.relaxedSimd !== false && runtimeHasRelaxedSimd();
  let module = compiled.get(relaxedSimd);
  if (!module) {
    module = WebAssembly.compile(decodeBase64(relaxedSimd ? RELAXED_SIMD_KERNELS_BASE64 : SIMD_KERNELS_BASE64));
    compiled.set(relaxedSimd, module);
  }
  return module.then((m) => ({ module: m, relaxedSimd }));
}

/** Instantiates the kernels over a memory of their own. */
export async function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<Kernels> {
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return instance.exports as unknown as Kernels;
}
