import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { entryDataStart } from '../src/cli/cache-entry.js';
import { DIRECT_READ_ALIGNMENT, readInto } from '../src/cli/direct-read.js';
import { readRegularFile } from '../src/cli/regular-file.js';

describe("the CLI's reads of large files, directly where they can be", () => {
  const folder = mkdtempSync(join(tmpdir(), 'dlib-wasm-cache-entry-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  // 3 MB and a partial block: whole blocks read directly where the file system can, the rest through the page cache.
  const bytes = new Uint8Array(3 * 2 ** 20 + 3 * DIRECT_READ_ALIGNMENT + 123);
  let seed = 7;
  for (let i = 0; i < bytes.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    bytes[i] = seed >>> 24;
  }
  const file = join(folder, 'entry');
  writeFileSync(file, bytes);

  it("put entries' data at a multiple of the direct reads' alignment", () => {
    expect([entryDataStart(0), entryDataStart(4092), entryDataStart(4093)]).toEqual([4096, 4096, 8192]);
  });

  it("fill kernel memory (aligned) and plain arrays alike, from aligned offsets or not, with the file's bytes", async () => {
    const memory = new WebAssembly.Memory({ initial: 64 });
    for (const at of [0, DIRECT_READ_ALIGNMENT, 8]) {
      const length = bytes.length - at;
      for (const into of [new Uint8Array(memory.buffer, 65536, length), new Uint8Array(length), new Uint8Array(length + 5).subarray(5)]) {
        into.fill(0xee);
        expect(await readInto(file, at, into)).toBe(true);
        expect(Buffer.from(into).equals(Buffer.from(bytes.subarray(at)))).toBe(true);
      }
    }
  });

  it("give a model-sized file's bytes whole (readRegularFile)", async () => {
    const large = join(folder, 'large');
    const content = new Uint8Array(17 * 2 ** 20 + 99);
    for (let i = 0; i < content.length; i += 4093) content[i] = (i >>> 12) & 255;
    writeFileSync(large, content);
    const read = await readRegularFile(large);
    expect(read.length).toBe(content.length);
    expect(read.equals(Buffer.from(content.buffer))).toBe(true);
  });

  it('say so when the file is shorter than asked for', async () => {
    const memory = new WebAssembly.Memory({ initial: 64 });
    expect(await readInto(file, DIRECT_READ_ALIGNMENT, new Uint8Array(memory.buffer, 65536, bytes.length))).toBe(false);
    expect(await readInto(file, 0, new Uint8Array(bytes.length + DIRECT_READ_ALIGNMENT))).toBe(false);
  });
});
