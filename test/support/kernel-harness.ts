import { expect } from 'vitest';
import { createKernelMemory, instantiateKernels, loadKernelModule, runtimeHasRelaxedSimd, type Kernels } from '../../src/engine/kernels.js';

/**
 * One kernel module on a fresh memory, for testing kernels one call at a
 * time: regions are bump-allocated 64-byte aligned, with a guard band of
 * 0xFF bytes before and after each (f32 NaN, u8 255), so that a kernel that
 * reads what it should not turns its output NaN, and one that writes outside
 * its output shows in `expectGuardsIntact`. New regions are 0xFF too until
 * something is copied in.
 */

/** The kernel builds this runtime runs: plain SIMD, and relaxed SIMD (fused multiply-add) where the runtime has it. */
export type KernelBuild = 'simd' | 'relaxed-simd';
export const KERNEL_BUILDS: KernelBuild[] = runtimeHasRelaxedSimd() ? ['simd', 'relaxed-simd'] : ['simd'];

const GUARD = 64;
const POISON = 0xff;

export class KernelHarness {
  private next = GUARD;
  private readonly regions: { at: number; bytes: number }[] = [];

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly k: Kernels,
  ) {}

  static async create(build: KernelBuild): Promise<KernelHarness> {
    const { module, relaxedSimd } = await loadKernelModule({ relaxedSimd: build === 'relaxed-simd' }, false);
    if (relaxedSimd !== (build === 'relaxed-simd')) throw new Error(`the ${build} build is not available here`);
    const memory = createKernelMemory(16, false);
    new Uint8Array(memory.buffer).fill(POISON);
    const kernels = await instantiateKernels(module, memory);
    return new KernelHarness(memory, kernels);
  }

  /** Forgets every region (and poisons the memory again): the next test starts from an empty memory. */
  reset(): void {
    new Uint8Array(this.memory.buffer).fill(POISON, 0, this.next + GUARD);
    this.next = GUARD;
    this.regions.length = 0;
  }

  /** A region of `bytes` bytes, 64-byte aligned, poisoned, with a poisoned guard band after it. */
  alloc(bytes: number): number {
    const at = this.next;
    this.next = Math.ceil((at + bytes + GUARD) / 64) * 64 + GUARD;
    const missing = this.next + GUARD - this.memory.buffer.byteLength;
    if (missing > 0) {
      const old = this.memory.buffer.byteLength;
      this.memory.grow(Math.ceil(missing / 65536));
      new Uint8Array(this.memory.buffer).fill(POISON, old);
    }
    this.regions.push({ at, bytes });
    return at;
  }

  /** A copy of `values` in a region of its own (of at least `minBytes`). */
  f32(values: ArrayLike<number>, minBytes = 0): number {
    const at = this.alloc(Math.max(values.length * 4, minBytes));
    new Float32Array(this.memory.buffer, at, values.length).set(values);
    return at;
  }

  u8(values: ArrayLike<number>, minBytes = 0): number {
    const at = this.alloc(Math.max(values.length, minBytes));
    new Uint8Array(this.memory.buffer, at, values.length).set(values);
    return at;
  }

  i32(values: ArrayLike<number>): number {
    const at = this.alloc(values.length * 4);
    new Int32Array(this.memory.buffer, at, values.length).set(values);
    return at;
  }

  zeros(bytes: number): number {
    const at = this.alloc(bytes);
    new Uint8Array(this.memory.buffer, at, bytes).fill(0);
    return at;
  }

  readF32(at: number, count: number): Float32Array {
    return new Float32Array(this.memory.buffer.slice(at, at + count * 4));
  }

  readU8(at: number, count: number): Uint8Array {
    return new Uint8Array(this.memory.buffer.slice(at, at + count));
  }

  /** Every guard band still poisoned: no kernel wrote outside the regions. */
  expectGuardsIntact(): void {
    const bytes = new Uint8Array(this.memory.buffer);
    for (const { at, bytes: size } of this.regions) {
      const after = Math.ceil((at + size + GUARD) / 64) * 64 + GUARD;
      for (let i = at - GUARD; i < at; i++)
        if (bytes[i] !== POISON) throw new Error(`byte ${at - i} before the region at ${at} was written`);
      for (let i = at + size; i < after - GUARD; i++)
        if (bytes[i] !== POISON) throw new Error(`byte ${i - at - size} past the region at ${at} (${size} bytes) was written`);
    }
  }
}

/** The seeded pseudo-random sequence of the conv reference, as integers in [0, n). */
export function randomInts(next: () => number, count: number, n: number): number[] {
  return Array.from({ length: count }, () => Math.min(n - 1, Math.floor(((next() + 1) / 2) * n)));
}

/**
 * Element by element, |actual - expected| <= bound[i]; on failure the first
 * element that is off, with its index, rather than two long arrays.
 */
export function expectWithin(actual: ArrayLike<number>, expected: ArrayLike<number>, bound: (i: number) => number, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= bound(i))) {
      expect.fail(`${what} element ${i}: ${actual[i]}, expected ${expected[i]} (difference ${diff}, allowed ${bound(i)})`);
    }
  }
}

/** Bit-exact equality (NaN never equals), naming the first element that differs. */
export function expectExact(actual: ArrayLike<number>, expected: ArrayLike<number>, what = ''): void {
  expectWithin(actual, expected, () => 0, what);
}
