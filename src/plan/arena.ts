/** Byte alignment of every arena buffer (a cache line; SIMD needs 16). */
export const ARENA_ALIGN = 64;
/**
 * Bytes kept free after the arena: kernels may read a few floats past the end
 * of a buffer (the GEMM's last column tile), never use them.
 */
export const ARENA_SLACK = 64;

const align = (n: number) => Math.ceil(n / ARENA_ALIGN) * ARENA_ALIGN;

/**
 * First-fit placement of buffers in one region, reusing the space of freed
 * ones. Offsets are relative to the region's start.
 */
export class ArenaAllocator {
  private live: { offset: number; size: number }[] = [];
  peak = 0;

  allocate(bytes: number): number {
    const size = align(Math.max(bytes, 1));
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
