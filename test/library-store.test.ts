import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLibrary } from '../src/cli/library/library-store.js';

// bytea through the PGlite library store: its own hex codec (PGlite's parses a byte at a time),
// every byte value exact both ways, and Buffers back as `pg` gives them on a server.

describe('the PGlite library store', () => {
  it('writes and reads bytea exactly, every byte value, as Buffers', async () => {
    const store = await openLibrary(join(mkdtempSync(join(tmpdir(), 'dlib-wasm-store-')), 'library'), { create: true });
    try {
      const every = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 256);
      const odd = new Uint8Array(every.buffer, 3, 101);
      const rows = await store.query<{ every: Uint8Array; odd: Uint8Array; empty: Uint8Array; hex: string }>(
        `SELECT $1::bytea AS every, $2::bytea AS odd, $3::bytea AS empty, encode($2::bytea, 'hex') AS hex`,
        [every, odd, new Uint8Array(0)],
      );
      expect(Buffer.isBuffer(rows[0].every)).toBe(true);
      expect([...rows[0].every]).toEqual([...every]);
      expect([...rows[0].odd]).toEqual([...odd]);
      expect(rows[0].hex).toBe(Buffer.from(odd).toString('hex'));
      expect(rows[0].empty.length).toBe(0);
      await expect(store.query('SELECT $1::bytea', [[1, 2, 3]])).rejects.toThrow('bytea parameters must be Uint8Arrays');
    } finally {
      await store.close();
    }
  }, 30_000);
});
