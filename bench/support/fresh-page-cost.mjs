/** Bytes of a page as the probes count them: the smallest page of the hosts Node runs on. */
export const PAGE_BYTES = 4096;
const WASM_PAGE_BYTES = 65536;

/** A fresh WebAssembly memory of `bytes` (as the kernels' memories are), shared or not. */
export function freshWasmMemory(bytes, shared = false) {
  const pages = Math.ceil(bytes / WASM_PAGE_BYTES);
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
}

/** Writes `value` to one byte of each page of `view`. */
export function writePages(view, value) {
  for (let at = 0; at < view.length; at += PAGE_BYTES) view[at] = value;
}

/**
 * What a write to a fresh page costs this host, in us (the median of `runs`
 * fresh memories of `mib` MiB each): the page fault that every byte a run
 * touches for the first time pays once, 4 KB at a time. The cold start of
 * anything that touches hundreds of MB (the CLI: its models, the detector's
 * images) moves with it, from ~0.25 us a page on bare metal to 10-15 us on a
 * paravirtualized guest.
 */
export function freshPageMicros(mib = 16, runs = 3) {
  const bytes = mib * 2 ** 20;
  const micros = [];
  for (let run = 0; run < runs; run++) {
    const view = new Uint8Array(freshWasmMemory(bytes).buffer);
    const start = performance.now();
    writePages(view, 1);
    micros.push(((performance.now() - start) * 1000) / (bytes / PAGE_BYTES));
  }
  return micros.sort((a, b) => a - b)[runs >> 1];
}
