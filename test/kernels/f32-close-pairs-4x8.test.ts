import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, random } from '../support/reference-conv.js';

// f32_close_pairs_4x8: the pairs (q, c), q < c, whose GEMM-form squared distance
// |q|^2 + |c|^2 - 2 q.c is under a limit, against float64 squared distances. The GEMM value
// of float32 rows is within (length + 4) * 2^-22 * (|q|^2 + |c|^2) of the exact one (a sum
// of `length` float32 products, a factor 2 for the fused multiply-add build, then three
// float32 sums): pairs further than that from the limit must be found or not, exactly.

/** Rows (row after row) as the kernel reads them: blocks of four, [k][lane], zeros up to whole tiles of eight rows. */
function interleave(rows: Float32Array, count: number, length: number): Float32Array {
  const blocks = new Float32Array(Math.ceil(count / 8) * 8 * length);
  for (let r = 0; r < count; r++) {
    for (let k = 0; k < length; k++) blocks[(r >> 2) * 4 * length + k * 4 + (r & 3)] = rows[r * length + k];
  }
  return blocks;
}

function readI32(h: KernelHarness, at: number, count: number): Int32Array {
  return new Int32Array(Uint8Array.from(h.readU8(at, count * 4)).buffer);
}

/** The pairs written for each of `blocks` query blocks, `capacity` apart, as "q,c". */
function pairsOf(h: KernelHarness, pairsAt: number, foundAt: number, blocks: number, capacity: number): string[][] {
  const found = readI32(h, foundAt, blocks);
  return Array.from(found, (n, b) => {
    const values = readI32(h, pairsAt + b * capacity * 8, Math.min(n, capacity) * 2);
    return Array.from({ length: values.length / 2 }, (_, p) => `${values[2 * p]},${values[2 * p + 1]}`);
  });
}

describe.each(KERNEL_BUILDS)('f32_close_pairs_4x8 (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  function setUp(length: number, count: number) {
    const next = random(length * 37 + count);
    const rows = floats(count * length, next);
    const row = (r: number) => rows.subarray(r * length, (r + 1) * length);
    const tiles = Math.ceil(count / 8);
    const norms = new Float32Array(tiles * 8);
    for (let r = 0; r < count; r++) norms[r] = row(r).reduce((s, v) => s + v * v, 0);
    const squared = (a: number, b: number) => row(a).reduce((s, v, k) => s + (v - row(b)[k]) ** 2, 0);
    const blocksAt = h.f32(interleave(rows, count, length));
    const normsAt = h.f32(norms);
    return { norms, squared, blocksAt, normsAt, tiles };
  }

  it.each([
    { length: 1, count: 3 },
    { length: 3, count: 13 },
    { length: 128, count: 8 },
    { length: 128, count: 21 },
    { length: 131, count: 30 },
  ])('$count rows of $length values, split by query blocks, against float64', ({ length, count }) => {
    const { norms, squared, blocksAt, normsAt, tiles } = setUp(length, count);
    const all: number[] = [];
    for (let q = 0; q < count; q++) for (let c = q + 1; c < count; c++) all.push(squared(q, c));
    const limit = all.length > 0 ? [...all].sort((a, b) => a - b)[all.length >> 1] : 1;
    const capacity = 4 * count;
    const queryBlocks = Math.ceil(count / 4);
    const pairsAt = h.alloc(queryBlocks * capacity * 8);
    const foundAt = h.i32(new Int32Array(queryBlocks));
    const queryCut = queryBlocks >> 1;
    h.k.f32_close_pairs_4x8__simd128(blocksAt, normsAt, length, count, tiles, limit, pairsAt, capacity, foundAt, 0, queryCut, queryBlocks);
    h.k.f32_close_pairs_4x8__simd128(blocksAt, normsAt, length, count, tiles, limit, pairsAt, capacity, foundAt, 0, 0, queryCut);
    h.expectGuardsIntact();
    const byBlock = pairsOf(h, pairsAt, foundAt, queryBlocks, capacity);
    byBlock.forEach((list, b) => {
      for (const pair of list) expect(Math.floor(Number(pair.split(',')[0]) / 4)).toBe(b);
    });
    const found = byBlock.flat();
    const pairs = new Set(found);
    expect(pairs.size).toBe(found.length);
    let sure = 0;
    for (let q = 0; q < count; q++) {
      for (let c = 0; c < count; c++) {
        const key = `${q},${c}`;
        if (c <= q) {
          expect(pairs.has(key)).toBe(false);
          continue;
        }
        const d2 = squared(q, c);
        const tolerance = (length + 4) * 2 ** -22 * (norms[q] + norms[c]);
        if (d2 < limit - tolerance) expect(pairs.has(key), key).toBe(true);
        else if (d2 > limit + tolerance) expect(pairs.has(key), key).toBe(false);
        else continue;
        sure++;
      }
    }
    // The limit is the median: about half the pairs are in, and nearly all are decided.
    expect(sure).toBeGreaterThanOrEqual(all.length - 2);
    if (count > 3) expect(found.length).toBeGreaterThan(all.length / 4);
  });

  it("counts each block's pairs but writes no more than its room, from the first block given on", () => {
    const { blocksAt, normsAt, tiles } = setUp(5, 12);
    const pairsAt = h.alloc(2 * 3 * 8);
    const foundAt = h.i32([0, 0]);
    // A limit over every distance: every pair. Blocks 1 and 2 (rows 4-11), the first given as block 1.
    h.k.f32_close_pairs_4x8__simd128(blocksAt, normsAt, 5, 12, tiles, 1e9, pairsAt, 3, foundAt, 1, 1, 3);
    h.expectGuardsIntact();
    expect(Array.from(readI32(h, foundAt, 2))).toEqual([7 + 6 + 5 + 4, 3 + 2 + 1]);
    expect(pairsOf(h, pairsAt, foundAt, 2, 3)).toEqual([
      ['4,5', '4,6', '4,7'],
      ['8,9', '8,10', '8,11'],
    ]);
  });
});
