import { growKernelMemory, instantiateKernels, type Kernels, loadKernelsOnOwnMemory, type WasmSource } from '../engine/kernels.js';
import { type ParallelCall, runWhole } from '../engine/parallel-call.js';
import { loadKernelsAndMemory, ThreadTeam } from '../engine/thread-team.js';
import { alignBuffer, INITIAL_PAGES, RESERVED_BYTES } from '../memory-layout.js';
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
  private runtime: { memory: WebAssembly.Memory; kernels: Kernels; team?: ThreadTeam } | null;
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
    team?: ThreadTeam,
  ) {
    this.runtime = { memory, kernels, team };
    this.blocksAt = this.queryAt + alignBuffer(length * 4);
  }

  /**
   * An empty store of descriptors of `length` values; the kernels are
   * compiled once per process. With `threads` > 1 (where the runtime can
   * share memory with workers), pairsUnder splits its query blocks between
   * that many threads; dispose stops them.
   */
  static async create(length: number, wasm: WasmSource = {}, threads = 1, workerUrl?: string | URL): Promise<DescriptorBlocks> {
    if (threads === 1) {
      const { memory, kernels } = await loadKernelsOnOwnMemory(wasm);
      return new DescriptorBlocks(memory, kernels, length);
    }
    const { module, sharedMemory, spawn, memory } = await loadKernelsAndMemory(threads, wasm, workerUrl, INITIAL_PAGES);
    const kernels = await instantiateKernels(module, memory);
    const team = sharedMemory && spawn ? await ThreadTeam.create(spawn, module, memory, threads) : undefined;
    return new DescriptorBlocks(memory, kernels, length, team);
  }

  /** How many descriptors it holds. */
  get size(): number {
    return this.rows;
  }

  private get blockValues(): number {
    return BLOCK_ROWS * this.length;
  }

  private live(): { memory: WebAssembly.Memory; kernels: Kernels; team?: ThreadTeam } {
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
    const { memory, kernels, team } = this.live();
    const rowsCapacity = this.capacityBlocks * BLOCK_ROWS;
    const normsAt = this.distancesAt + alignBuffer(rowsCapacity * 4);
    const foundAt = normsAt + alignBuffer(rowsCapacity * 4);
    const queryBlocks = blockEnd - blockStart;
    const pairsAt = foundAt + alignBuffer(queryBlocks * 4);
    if (!this.normsCurrent) {
      growKernelMemory(memory, pairsAt, `${rowsCapacity} descriptors`);
      const blocks = this.blocks();
      // The kernel reads the norms of whole candidate tiles, and keeps no pair past `rows`.
      const normRows = Math.ceil(this.rows / (BLOCK_ROWS * TILE_BLOCKS)) * BLOCK_ROWS * TILE_BLOCKS;
      const norms = new Float32Array(memory.buffer, normsAt, normRows);
      for (let row = 0; row < normRows; row++) {
        const start = (row >> 2) * this.blockValues + (row & 3);
        let sum = 0;
        for (let k = 0; k < this.length; k++) sum += blocks[start + k * BLOCK_ROWS] ** 2;
        norms[row] = sum;
      }
      this.normsCurrent = true;
    }
    const tiles = Math.ceil(this.rows / (BLOCK_ROWS * TILE_BLOCKS));
    for (;;) {
      const capacity = this.blockPairsCapacity;
      growKernelMemory(memory, pairsAt + queryBlocks * capacity * 8, `${capacity} close pairs per block of descriptors`);
      new Int32Array(memory.buffer, foundAt, queryBlocks).fill(0);
      const call: ParallelCall = {
        kernel: 'f32_close_pairs_4x8__simd128',
        args: [this.blocksAt, normsAt, this.length, this.rows, tiles, limitSquared, pairsAt, capacity, foundAt, blockStart],
        split: {
          first: blockStart,
          items: queryBlocks,
          macs: queryBlocks * BLOCK_ROWS * (this.rows - blockStart * BLOCK_ROWS) * this.length,
        },
        label: 'the close pairs of descriptors',
      };
      if (team) team.run(kernels, call);
      else runWhole(kernels, call);
      const found = Int32Array.from(new Int32Array(memory.buffer, foundAt, queryBlocks));
      const most = found.reduce((a, b) => Math.max(a, b), 0);
      if (most > capacity) {
        this.blockPairsCapacity = most;
        continue;
      }
      const pairs = new Int32Array(found.reduce((sum, n) => sum + n, 0) * 2);
      let used = 0;
      for (let b = 0; b < queryBlocks; b++) {
        pairs.set(new Int32Array(memory.buffer, pairsAt + b * capacity * 8, found[b] * 2), used);
        used += found[b] * 2;
      }
      return pairs;
    }
  }

  /** Room for the pairs of one query block in pairsUnder; grown to what a block needed when it ran out. */
  private blockPairsCapacity = 1024;

  /** Frees the WebAssembly memory; any later call throws DisposedError. */
  dispose(): void {
    this.runtime?.team?.dispose();
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

  /**
   * Empties the store, keeping its room: rows added next take the places of
   * the old, and what is left of the old past them is never read as a row.
   */
  clear(): void {
    this.live();
    this.rows = 0;
    this.normsCurrent = false;
  }

  /** Makes room for `count` descriptors in all, at once rather than doubling. */
  reserve(count: number): void {
    const blocks = Math.ceil(count / (BLOCK_ROWS * TILE_BLOCKS)) * TILE_BLOCKS;
    if (blocks > this.capacityBlocks) this.grow(blocks);
  }
}
