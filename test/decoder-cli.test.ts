import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from './support/helpers.js';
import { runCli } from './support/cli.js';

// The CLI as built by `npm run build` (npm test builds first), on damaged JPEGs.
const run = (timeout: number, ...args: string[]) => runCli(args, { timeout });

/**
 * The files of the hang report: 2008_002506.jpg with 1-6 of its first 2 KB of
 * bytes replaced, from the reporter's LCG in double-precision arithmetic (as
 * JavaScript computes `seed * 1103515245 + 12345` without Math.imul: it
 * rounds, and so do these numbers).
 */
function hangReportFiles(dir: string): string[] {
  const photo = fixture('photos/2008_002506.jpg');
  let seed = 99;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 32;
    return seed / 2 ** 32;
  };
  return Array.from({ length: 300 }, (_, k) => {
    const bytes = photo.slice();
    const count = 1 + Math.floor(next() * 6);
    for (let j = 0; j < count; j++) bytes[Math.floor(next() * Math.min(bytes.length, 2048))] = Math.floor(next() * 256);
    const file = join(dir, `m${String(k + 1).padStart(3, '0')}.jpg`);
    writeFileSync(file, bytes);
    return file;
  });
}

describe('npx dlib-wasm on damaged JPEGs', () => {
  /** The descriptors command over the hang report's files: its stderr lines by file, after checking it ended and how. */
  async function describeHangReport(...flags: string[]): Promise<{ files: string[]; lines: string[]; byFile: Map<string, string[]> }> {
    const files = hangReportFiles(mkdtempSync(join(tmpdir(), 'dlib-wasm-hang-')));
    const { code, signal, stdout, stderr } = await run(50_000, 'descriptors', ...flags, ...files);
    expect(signal).toBeNull();
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    const byFile = new Map<string, string[]>();
    for (const line of lines) byFile.set(line.split(': ')[1], [...(byFile.get(line.split(': ')[1]) ?? []), line]);
    expect([...byFile.keys()]).toEqual(files);
    // libjpeg's own text only in parentheses, after ours.
    expect(lines.filter((l) => /Program terminated|Corrupt|Bogus|premature/.test(l.replace(/ \(libjpeg: "[^"]*"\)/, '')))).toEqual([]);
    expect(lines.filter((l) => l.includes('damaged JPEG (libjpeg'))).toEqual([]);
    expect(stderr).toMatch(/: cannot decode image: damaged JPEG: an invalid Huffman table \(libjpeg: "Bogus Huffman table definition"\)\n/);
    return { files, lines, byFile };
  }

  it('goes through the 300 files of the hang report, one line for each on stderr, with its name, in our words', async () => {
    // It used to spin forever on the 289th, after 59 libjpeg exit()s had left mozjpeg's instance unsound.
    const { files, byFile } = await describeHangReport();
    for (const told of byFile.values()) expect(told).toHaveLength(1);
    expect(byFile.get(files[288])).toEqual([
      `dlib-wasm: ${files[288]}: cannot decode image: damaged JPEG: 11678 stray bytes before marker 0xd9 in its image data ` +
        '(libjpeg: "Corrupt JPEG data: 11678 extraneous bytes before marker 0xd9"); to use what decodes anyway, accept damaged images (--accept-damaged-images)',
    ]);
  }, 60_000);

  it('goes through them with --accept-damaged-images too, a warning at most once for each file, before what became of it', async () => {
    // libjpeg's warnings no longer stop a decode; its errors still exit().
    const { files, byFile } = await describeHangReport('--accept-damaged-images');
    for (const told of byFile.values()) expect(told.filter((l) => l.includes(': warning: ')).length).toBeLessThanOrEqual(told.length - 1);
    expect(byFile.get(files[288])).toEqual([
      `dlib-wasm: ${files[288]}: warning: damaged JPEG: 11678 stray bytes before marker 0xd9 in its image data ` +
        '(libjpeg: "Corrupt JPEG data: 11678 extraneous bytes before marker 0xd9"); used as far as it decodes',
      `dlib-wasm: ${files[288]}: input 0 is 500x375 (width x height); this network takes 150x150 only`,
    ]);
  }, 60_000);

  it('rejects a truncated photo unless --accept-damaged-images, which warns once, naming the file', async () => {
    const photo = fixture('photos/2008_002506.jpg');
    const truncated = join(mkdtempSync(join(tmpdir(), 'dlib-wasm-damaged-')), 'truncated.jpg');
    writeFileSync(truncated, photo.subarray(0, Math.floor(photo.length * 0.3)));
    const reason = 'damaged JPEG: the file ends before its image data does (truncated) (libjpeg: "Premature end of JPEG file")';

    const strict = await run(50_000, 'faces', truncated);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toBe(
      `dlib-wasm: ${truncated}: cannot decode image: ${reason}; to use what decodes anyway, accept damaged images (--accept-damaged-images)\n`,
    );

    const accepting = await run(50_000, 'faces', '--accept-damaged-images', truncated);
    expect(accepting.code).toBe(0);
    expect(accepting.stderr).toBe(`dlib-wasm: ${truncated}: warning: ${reason}; used as far as it decodes\n`);
    expect(
      accepting.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).file),
    ).toEqual([truncated]);

    const descriptors = await run(50_000, 'descriptors', '--accept-damaged-images', truncated);
    expect(descriptors.stderr).toBe(
      `dlib-wasm: ${truncated}: warning: ${reason}; used as far as it decodes\n` +
        `dlib-wasm: ${truncated}: input 0 is 500x375 (width x height); this network takes 150x150 only\n`,
    );
  }, 60_000);
});
