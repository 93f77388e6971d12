/**
 * How each kernel memory (a network's, the detector's, the chip extractor's)
 * is laid out: a reserved first page, then the owner's constants, then its
 * buffers, each aligned and followed by slack.
 */

/** A WebAssembly memory page. */
export const WASM_PAGE_BYTES = 65536;
/** wasm32's whole address space. */
export const WASM32_MAX_BYTES = 2 ** 32;
/**
 * Addresses below this are the kernel module's own (its stack and statics)
 * and the threads' control block; constants start here.
 */
export const RESERVED_BYTES = WASM_PAGE_BYTES;
/**
 * Where the calling thread hands kernel calls to its workers (thread-protocol's
 * CONTROL_SLOTS Int32 slots, well inside the reserved page).
 */
export const CONTROL_OFFSET = 1024;
/** Pages a kernel memory starts with: the reserved page and a first one for data. */
export const INITIAL_PAGES = RESERVED_BYTES / WASM_PAGE_BYTES + 1;

/** Byte alignment of every buffer (a cache line; SIMD needs 16). */
export const BUFFER_ALIGN = 64;
/**
 * Bytes kept free after every buffer: kernels may read a few floats past the
 * end of one (whole vectors, the GEMM's last column tile), never use them.
 */
export const BUFFER_SLACK = 64;

/** `bytes` rounded up to BUFFER_ALIGN. */
export const alignBuffer = (bytes: number) => Math.ceil(bytes / BUFFER_ALIGN) * BUFFER_ALIGN;

/** The pages that hold `bytes`. */
export const pagesFor = (bytes: number) => Math.ceil(bytes / WASM_PAGE_BYTES);

/**
 * First-fit placement of buffers in one region, reusing the space of freed
 * ones. Offsets are relative to the region's start.
 */
export class ArenaAllocator {
  private live: { offset: number; size: number }[] = [];
  peak = 0;

  allocate(bytes: number): number {
    const size = alignBuffer(Math.max(bytes, 1));
    let offset = 0;
    for (const block of this.live) {
      if (block.offset - offset >= size) break;
      offset = Math.max(offset, block.offset + block.size);
    }
    this.live.push({ offset, size });
    this.live.sort((a, b) => a.offset - b.offset);
    this.peak = Math.max(this.peak, offset + size);
    return offset;
  }

  free(offset: number): void {
    const i = this.live.findIndex((b) => b.offset === offset);
    if (i >= 0) this.live.splice(i, 1);
  }
}
