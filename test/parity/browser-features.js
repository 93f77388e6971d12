// What the browser offers where the check runs (a page or a Web Worker),
// measured apart from the engine: whether it validates the relaxed-SIMD
// kernel build as shipped, and whether it has SharedArrayBuffer (threads).
export async function browserFeatures() {
  const relaxedKernels = await (await fetch('/dist/wasm/kernels-relaxed-simd.wasm')).arrayBuffer();
  return { relaxedSimd: WebAssembly.validate(relaxedKernels), sharedArrayBuffer: typeof SharedArrayBuffer === 'function' };
}
