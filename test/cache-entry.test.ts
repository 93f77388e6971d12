import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelFileEntry } from '../src/cli/cache-entry.js';

const folder = mkdtempSync(join(tmpdir(), 'dlib-wasm-cache-entry-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("the CLI's cache entries of a model file", () => {
  it('are named by the file and its version: its size and time to the millisecond, not below (Deno gives none below)', async () => {
    const model = join(folder, 'model.dat');
    writeFileSync(model, new Uint8Array(64));
    const entryAt = async (seconds: number) => {
      utimesSync(model, seconds, seconds);
      return (await modelFileEntry(folder, model, 'f1', '.network', { variant: 'simd' }))!.file;
    };
    const base = 1_796_443_308.3762;
    const named = await entryAt(base);
    expect(named).toMatch(/\/[0-9a-f]{16}-simd-[0-9a-f]{64}\.network$/);
    // The same millisecond, another fraction of it: the entry Node, Bun and Deno all find.
    expect(await entryAt(base + 0.0005)).toBe(named);
    // Another millisecond, or another size: another version of the file.
    expect(await entryAt(base + 0.002)).not.toBe(named);
    writeFileSync(model, new Uint8Array(65));
    expect(await entryAt(base)).not.toBe(named);
    // Another format, build or variant of the same file: an entry of its own.
    writeFileSync(model, new Uint8Array(64));
    await entryAt(base);
    expect((await modelFileEntry(folder, model, 'f2', '.network', { variant: 'simd' }))!.file).not.toBe(named);
    expect((await modelFileEntry(folder, model, 'f1', '.network', { variant: 'relaxed' }))!.file).not.toBe(named);
    expect((await modelFileEntry(folder, model, 'f1', '.network', { variant: 'simd', build: 'b' }))!.file).not.toBe(named);
  });
});
