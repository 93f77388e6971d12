import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadFaceRecognitionModel } from '../src/index.js';
import { faceModelBytes, fixtureJson, fixturePng, maxAbsDiff } from './support/helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
const chips = items.slice(0, 3);

/** A kernel build from the package (dist/wasm), compiled as a bundler or a platform's loader would. */
function packagedModule(build: string): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(`${root}dist/wasm/kernels-${build}.wasm`));
}

const { compile, instantiate, Module } = WebAssembly;
const REFUSAL = 'WebAssembly.compile(): Wasm code generation disallowed by embedder';

/**
 * Refuses to compile wasm from bytes, as Cloudflare's workerd and a CSP
 * without 'wasm-unsafe-eval' do; instantiating a compiled module still works.
 */
function forbidCompilingFromBytes(): void {
  WebAssembly.compile = () => Promise.reject(new WebAssembly.CompileError(REFUSAL));
  WebAssembly.Module = function refuse() {
    throw new WebAssembly.CompileError(REFUSAL);
  } as never;
  WebAssembly.instantiate = ((source: unknown, imports?: WebAssembly.Imports) =>
    source instanceof Module
      ? instantiate(source, imports)
      : Promise.reject(new WebAssembly.CompileError(REFUSAL))) as typeof WebAssembly.instantiate;
}

afterEach(() => Object.assign(WebAssembly, { compile, instantiate, Module }));

describe('a precompiled kernel module (wasm.module), where compiling from bytes is forbidden', () => {
  it("the plain SIMD build runs on 1 thread with dlib's descriptors", async () => {
    const module = packagedModule('simd');
    forbidCompilingFromBytes();
    const model = await loadFaceRecognitionModel(faceModelBytes(), { wasm: { module } });
    expect(model.backend).toEqual({ simd: true, relaxedSimd: false, threads: 1 });
    const descriptors = await model.computeFaceDescriptors(chips.map((item) => fixturePng(item.chip)));
    descriptors.forEach((descriptor, i) => expect(maxAbsDiff(descriptor, chips[i].descriptor)).toBeLessThanOrEqual(1e-5));
    model.dispose();
  });

  it('the shared-memory build runs on 2 threads, its workers given the same module', async () => {
    const module = packagedModule('simd-shared');
    forbidCompilingFromBytes();
    const model = await loadFaceRecognitionModel(faceModelBytes(), { threads: 2, wasm: { module, sharedMemory: true } });
    expect(model.backend).toEqual({ simd: true, relaxedSimd: false, threads: 2 });
    const descriptors = await model.computeFaceDescriptors(chips.map((item) => fixturePng(item.chip)));
    descriptors.forEach((descriptor, i) => expect(maxAbsDiff(descriptor, chips[i].descriptor)).toBeLessThanOrEqual(1e-5));
    model.dispose();
  });

  it('without one, the refusal is an error that says what to pass', async () => {
    forbidCompilingFromBytes();
    await expect(loadFaceRecognitionModel(faceModelBytes(), { threads: 1, wasm: { relaxedSimd: false } })).rejects.toThrow(
      `could not compile the kernels (CompileError: ${REFUSAL}). Where the runtime forbids compiling from bytes`,
    );
  });
});
