import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RELAXED_SIMD_SHARED_KERNELS_BASE64, SIMD_SHARED_KERNELS_BASE64 } from '../src/engine/kernels-wasm.generated.js';
import { withUnsharedMemoryImport } from '../src/engine/unshared-memory-import.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const embedded = (base64: string) => new Uint8Array(Buffer.from(base64, 'base64'));

describe('withUnsharedMemoryImport: the single-thread kernel builds made from the embedded shared ones', () => {
  it.each([
    ['simd', SIMD_SHARED_KERNELS_BASE64],
    ['relaxed-simd', RELAXED_SIMD_SHARED_KERNELS_BASE64],
  ])("gives asc's own %s build, byte for byte", (build, shared) => {
    const made = withUnsharedMemoryImport(embedded(shared));
    expect(Buffer.from(made).equals(readFileSync(`${root}dist/wasm/kernels-${build}.wasm`))).toBe(true);
    expect(
      () => new WebAssembly.Instance(new WebAssembly.Module(made), { env: { memory: new WebAssembly.Memory({ initial: 1 }) } }),
    ).not.toThrow();
  });

  it('refuses a module whose memory is unshared already, or that imports none', () => {
    const unshared = withUnsharedMemoryImport(embedded(SIMD_SHARED_KERNELS_BASE64));
    expect(() => withUnsharedMemoryImport(unshared)).toThrow('imports an unshared memory already');
    // (module (func)): no import section.
    const noImports = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 4, 1, 2, 0, 11]);
    expect(WebAssembly.validate(noImports)).toBe(true);
    expect(() => withUnsharedMemoryImport(noImports)).toThrow('imports no memory');
  });

  it('rewrites a memory import that follows imports of every other kind', () => {
    // (import "a" "f" (func)) (import "a" "t" (table 1 2 funcref)) (import "a" "g" (global i32))
    // (import "a" "m" (memory 3 9 shared)), the memory's minimum kept and its maximum dropped.
    const imports = [
      [1, 97, 1, 102, 0, 0],
      [1, 97, 1, 116, 1, 0x70, 1, 1, 2],
      [1, 97, 1, 103, 3, 0x7f, 0],
      [1, 97, 1, 109, 2, 3, 3, 9],
    ].flat();
    const module = (section: number[]) =>
      new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, section.length + 1, 4, ...section]);
    const shared = module(imports);
    expect(WebAssembly.validate(shared)).toBe(true);
    const made = withUnsharedMemoryImport(shared);
    expect([...made]).toEqual([...module([...imports.slice(0, -3), 0, 3])]);
    expect(WebAssembly.Module.imports(new WebAssembly.Module(made)).map((i) => i.kind)).toEqual(['function', 'table', 'global', 'memory']);
  });
});
