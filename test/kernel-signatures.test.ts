import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelSignaturesModule, readKernelSignatures } from '../scripts/kernel-signatures.mjs';
import { createKernelMemory, instantiateKernels, KERNEL_NAMES, loadKernelModule, type Kernels } from '../src/engine/kernels.js';
import type { ParallelCall } from '../src/engine/parallel-call.js';
import { InputError } from '../src/errors.js';
import { loadImageChipExtractor } from '../src/index.js';
import type { PlanStep } from '../src/plan/plan-step.js';

const root = new URL('..', import.meta.url).pathname;

/** A wasm module that exports one function, `name`, of `params` i32 parameters. */
function moduleExporting(name: string, params: number): WebAssembly.Module {
  const nameBytes = Array.from(new TextEncoder().encode(name));
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  return new WebAssembly.Module(
    new Uint8Array([
      ...[0, 97, 115, 109, 1, 0, 0, 0],
      ...section(1, [1, 0x60, params, ...Array<number>(params).fill(0x7f), 0]),
      ...section(3, [1, 0]),
      ...section(7, [1, nameBytes.length, ...nameBytes, 0, 0]),
      ...section(10, [1, 2, 0, 0x0b]),
    ]),
  );
}

describe('the kernel interface generated from assembly/', () => {
  it('is up to date with assembly/ (the build rewrites it)', () => {
    const generated = readFileSync(`${root}src/engine/kernel-signatures.generated.ts`, 'utf8');
    expect(generated).toBe(kernelSignaturesModule(readKernelSignatures(`${root}assembly`)));
  });

  it("is up to date with assembly/jpeg-index.ts for the CLI's JPEG decoder, whose kernels the library's builds do not carry", () => {
    const generated = readFileSync(`${root}src/cli/jpeg-kernel-signatures.generated.ts`, 'utf8');
    const jpegKernels = readKernelSignatures(`${root}assembly`, 'jpeg-index.ts');
    expect(generated).toBe(kernelSignaturesModule(jpegKernels, { entry: 'jpeg-index.ts', prefix: 'JpegKernel' }));
    expect(jpegKernels.map((k) => k.name)).toContain('u8_jpeg_decode_scan');
    for (const { name } of jpegKernels) expect(KERNEL_NAMES).not.toContain(name);
  });

  it('names every kernel the module exports, in the order of assembly/index.ts', async () => {
    const { module } = await loadKernelModule({}, false);
    const exported = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function');
    expect([...KERNEL_NAMES].sort()).toEqual(exported.map((e) => e.name).sort());
    expect(KERNEL_NAMES).toContain('u8_rgb_to_planar__simd128');
    expect(KERNEL_NAMES.slice(0, 2)).toEqual(['f32_igemm_4x8__simd128', 'f32_igemm_4x8_batched__simd128']);
  });

  it('types each kernel call: a wrong argument count or kind does not compile (npm run typecheck)', async () => {
    const memory = createKernelMemory(1, false);
    const kernels: Kernels = await instantiateKernels((await loadKernelModule({}, false)).module, memory);
    const split = { first: 0, items: 4, macs: 0 };
    // @ts-expect-error: f32_relu__simd128 takes (x, y, start, end)
    expect(() => kernels.f32_relu__simd128(0, 0, 4)).not.toThrow();
    // @ts-expect-error: a parallel call's arguments stop before the work range: (x, y)
    const extra: ParallelCall = { kernel: 'f32_relu__simd128', args: [0, 0, 4], split };
    // @ts-expect-error: the means of u8_rgb_to_f32_nhwc are numbers, not flags
    const flag: ParallelCall = { kernel: 'u8_rgb_to_f32_nhwc', args: [0, 3, true, 117, 104, 0], split };
    const igemm = { label: 'gemm', macs: 8, nodeMacs: 8, kernel: 'f32_igemm_4x8__simd128' } as const;
    const args = [{ arena: 0 }, 0, 0, 1, 1, 0, 0, { arena: 64 }, 8, { perSample: 1 }, false] as const;
    const step: PlanStep = { ...igemm, args: [...args], work: { perSample: 1, granule: 4, blocks: 1, splitBlocks: false } };
    // @ts-expect-error: these are the arguments before a range of items and one of output-channel blocks: work without blocks is wrong
    const blockless: PlanStep = { ...igemm, args: [...args], work: { perSample: 1, granule: 4 } };
    expect([extra.args.length, flag.args.length, step.args.length, blockless.args.length]).toEqual([3, 6, 11, 11]);
  });
});

describe('a kernel module from another version of assembly/', () => {
  const memory = createKernelMemory(1, false);

  it('whose kernel takes other parameters is an InputError that says which', async () => {
    await expect(instantiateKernels(moduleExporting('f32_igemm_4x8__simd128', 3), memory)).rejects.toThrow(
      new InputError('the kernel module has a f32_igemm_4x8__simd128 of 3 parameters, not 15; build it from this version of assembly/'),
    );
  });

  it('that lacks a kernel is an InputError that says which, for the chip extractor too', async () => {
    const module = moduleExporting('f32_igemm_4x8__simd128', 15);
    const lacks = /^the kernel module lacks the kernel f32_igemm_4x8_batched__simd128; build it from this version of assembly\/$/;
    await expect(instantiateKernels(module, memory)).rejects.toThrow(lacks);
    await expect(loadImageChipExtractor({ wasm: { module } })).rejects.toThrow(InputError);
  });
});

it('the build refuses a kernel parameter that the interface cannot carry, saying where', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kernel-signatures-'));
  try {
    writeFileSync(join(dir, 'index.ts'), "export { f32_sum } from './f32-sum';\n");
    writeFileSync(join(dir, 'f32-sum.ts'), 'export function f32_sum(x: usize, count: i64, start: i32, end: i32): void {}\n');
    expect(() => readKernelSignatures(dir)).toThrow(`${dir}/f32-sum.ts: parameter "count: i64" of f32_sum is not "name: type"`);
    writeFileSync(join(dir, 'f32-sum.ts'), 'export function f32_sum(x: usize, /* bytes */ scale: f32, start: i32, end: i32): void {}\n');
    expect(readKernelSignatures(dir)).toEqual([
      {
        name: 'f32_sum',
        file: 'f32-sum.ts',
        parameters: [
          { name: 'x', type: 'usize', kind: 'pointer' },
          { name: 'scale', type: 'f32', kind: 'f32' },
          { name: 'start', type: 'i32', kind: 'i32' },
          { name: 'end', type: 'i32', kind: 'i32' },
        ],
      },
    ]);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
