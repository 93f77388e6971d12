import { growKernelMemory, type Kernels, loadKernelsOnOwnMemory, type WasmSource } from '../engine/kernels.js';
import { alignBuffer, RESERVED_BYTES } from '../memory-layout.js';
import { DisposedError } from '../errors.js';

/** Descriptors the kernel reads as one block (one per SIMD lane). */
const BLOCK_ROWS = 4;
const FIRST_CAPACITY_BLOCKS = 16;
/** The close-pairs kernel reads candidates two blocks (eight rows) at a time. */
const TILE_BLOCKS = 2;

/**
 * Descriptors of one length in WebAssembly memory, four to a block and
 * interleaved value by value, as f32_distances_interleaved_4__simd128 reads
 * them: the distances from a query to all of them are one kernel call, each
 * exactly dlib's float32 `length(a - b)` (descriptorDistance's value). The
 * face matcher's store and the k-nearest-neighbour graph's.
 */
export class DescriptorBlocks {
  /** Dropped whole on dispose: the kernels' instance holds the memory too. */
  private runtime: { memory: WebAssembly.Memory; kernels: Kernels } | null;
  private capacityBlocks = 0;
  private rows = 0;
  /** Whether the squared norms after the distances are those of the rows now held. */
  private normsCurrent = false;
  /** The query descriptor; the blocks follow it, then the distances out. */
  private readonly queryAt = RESERVED_BYTES;
  private readonly blocksAt: number;

  private constructor(
    memory: WebAssembly.Memory,
    kernels: Kernels,
    readonly length: number,
  ) {
    this.runtime = { memory, kernels };
    this.blocksAt = this.queryAt + alignBuffer(length * 4);
  }

  /** An empty store of descriptors of `length` values; the kernels are compiled once per process. */
  static async create(length: number, wasm: WasmSource = {}): Promise<DescriptorBlocks> {
    const { memory, kernels } = await loadKernelsOnOwnMemory(wasm);
    return new DescriptorBlocks(memory, kernels, length);
  }

  /** How many descriptors it holds. */
  get size(): number {
    return this.rows;
  }

  private get blockValues(): number {
    return BLOCK_ROWS * this.length;
  }

  private live(): { memory: WebAssembly.Memory; kernels: Kernels } {
    if (!this.runtime) throw new DisposedError('the descriptor store has been disposed');
    return this.runtime;
  }

  /** Where the distances go: after the blocks, so they move when the blocks grow. */
  private get distancesAt(): number {
    return this.blocksAt + this.capacityBlocks * this.blockValues * 4;
  }

  private blocks(): Float32Array {
    return new Float32Array(this.live().memory.buffer, this.blocksAt, this.capacityBlocks * this.blockValues);
  }

  /** Adds a descriptor (`length` float32 values from `values[at]` on, already checked). */
  add(values: Float32Array, at = 0): void {
    const row = this.rows;
    if (row === this.capacityBlocks * BLOCK_ROWS) this.grow(this.capacityBlocks * 2);
    const blocks = this.blocks();
    const start = (row >> 2) * this.blockValues + (row & 3);
    for (let k = 0; k < this.length; k++) blocks[start + k * BLOCK_ROWS] = values[at + k];
    this.rows++;
    this.normsCurrent = false;
  }

  /** The descriptor of row `row`, as added. */
  row(row: number): Float32Array {
    const blocks = this.blocks();
    const start = (row >> 2) * this.blockValues + (row & 3);
    return Float32Array.from({ length: this.length }, (_, k) => blocks[start + k * BLOCK_ROWS]);
  }

  /**
   * The distances from `query` (`length` float32 values from `query[at]` on)
   * to every row: a view of WebAssembly memory, valid until the next call.
   */
  distances(query: Float32Array, at = 0): Float32Array {
    const { memory, kernels } = this.live();
    new Float32Array(memory.buffer, this.queryAt, this.length).set(query.subarray(at, at + this.length));
    const out = this.distancesAt;
    kernels.f32_distances_interleaved_4__simd128(this.queryAt, this.blocksAt, this.length, out, 0, Math.ceil(this.rows / BLOCK_ROWS));
    return new Float32Array(memory.buffer, out, this.rows);
  }

  /**
   * The pairs (q, c), q < c, of rows closer than `limitSquared` by the GEMM
   * form of the squared distance, for q in query blocks [blockStart,
   * blockEnd) (four rows a block): [q, c] pairs in an Int32Array. The GEMM
   * form rounds differently from dlib's distance: callers give a margin and
   * check each pair with the exact distance.
   */
  pairsUnder(limitSquared: number, blockStart: number, blockEnd: number): Int32Array {
    const { memory, kernels } = this.live();
    const rowsCapacity = this.capacityBlocks * BLOCK_ROWS;
    const normsAt = this.distancesAt + alignBuffer(rowsCapacity * 4);
    const foundAt = normsAt + alignBuffer(rowsCapacity * 4);
    const pairsAt = foundAt + alignBuffer(4);
    if (!this.normsCurrent) {
      growKernelMemory(memory, pairsAt, `${rowsCapacity} descriptors`);
      const blocks = this.blocks();
      const norms = new Float32Array(memory.buffer, normsAt, rowsCapacity);
      for (let row = 0; row < rowsCapacity; row++) {
        const start = (row >> 2) * this.blockValues + (row & 3);
        let sum = 0;
        for (let k = 0; k < this.length; k++) sum += blocks[start + k * BLOCK_ROWS] ** 2;
        norms[row] = sum;
      }
      this.normsCurrent = true;
    }
    const tiles = Math.ceil(this.rows / (BLOCK_ROWS * TILE_BLOCKS));
    const firstTile = Math.floor(blockStart / TILE_BLOCKS);
    for (;;) {
      const capacity = this.pairsCapacity;
      growKernelMemory(memory, pairsAt + capacity * 8, `${capacity} close pairs`);
      new Int32Array(memory.buffer, foundAt, 1)[0] = 0;
      kernels.f32_close_pairs_4x8__simd128(
        this.blocksAt, normsAt, this.length, this.rows, limitSquared, pairsAt, capacity, foundAt, blockStart, blockEnd, firstTile, tiles,
      );
      const found = new Int32Array(memory.buffer, foundAt, 1)[0];
      if (found <= capacity) return new Int32Array(memory.buffer, pairsAt, found * 2).slice();
      this.pairsCapacity = found;
    }
  }

  /** Room for the pairs one pairsUnder call finds; grown to what a call needed when it ran out. */
  private pairsCapacity = 1 << 16;

  /** Frees the WebAssembly memory; any later call throws DisposedError. */
  dispose(): void {
    this.runtime = null;
  }

  /** Room for `blocks` blocks at least; the lanes of a block not yet filled hold zeros (distances no one reads). */
  private grow(blocks: number): void {
    const { memory } = this.live();
    const capacityBlocks = Math.max(FIRST_CAPACITY_BLOCKS, blocks);
    const blockBytes = this.blockValues * 4;
    const end = this.blocksAt + capacityBlocks * blockBytes + alignBuffer(capacityBlocks * BLOCK_ROWS * 4);
    growKernelMemory(memory, end, `${capacityBlocks * BLOCK_ROWS} descriptors`);
    const oldEnd = this.blocksAt + this.capacityBlocks * blockBytes;
    new Uint8Array(memory.buffer, oldEnd, (capacityBlocks - this.capacityBlocks) * blockBytes).fill(0);
    this.capacityBlocks = capacityBlocks;
    this.normsCurrent = false;
  }

  /** Makes room for `count` descriptors in all, at once rather than doubling. */
  reserve(count: number): void {
    const blocks = Math.ceil(count / (BLOCK_ROWS * TILE_BLOCKS)) * TILE_BLOCKS;
    if (blocks > this.capacityBlocks) this.grow(blocks);
  }
}
