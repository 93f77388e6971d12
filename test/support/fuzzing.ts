// Seeded mutation fuzzing: each case has its own generator, derived from the
// run's seed and the case's index, so that one failing case reruns alone
// (`npm run fuzz -- --seed S --case I`).
import { inflateSync, deflateSync } from 'node:zlib';
import { DlibByteReader } from '../../src/dlib/serialization.js';
import { pngChunk } from './image-files.js';
import { QUICK } from './suite.js';
import { concatBytes } from './helpers.js';

/** Cases per stage and the seed: the suite's defaults, or `npm run fuzz`'s (scripts/fuzz.mjs). */
export const FUZZ = {
  seed: Number(process.env.DLIB_WASM_FUZZ_SEED ?? 1),
  /** Scales every stage's case count (npm run fuzz -- --count N sets it to N / 1000; the quick suite runs a tenth). */
  scale: Number(process.env.DLIB_WASM_FUZZ_SCALE ?? (QUICK ? 0.1 : 1)),
  /** Only this case of each stage, to reproduce a failure. */
  only: process.env.DLIB_WASM_FUZZ_CASE === undefined ? undefined : Number(process.env.DLIB_WASM_FUZZ_CASE),
  /** Load and run every model that reads, not one per distinct structure. */
  runEveryLoad: process.env.DLIB_WASM_FUZZ_RUN_EVERY_LOAD === '1',
};

/** mulberry32: a small, fast generator of uniform numbers in [0, 1). */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
}

const stageSalt = (stage: string) => [...stage].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0, 0x811c9dc5);

export interface FuzzReport {
  cases: number;
  /** Outcomes by name ("image", "InputError", ...). */
  outcomes: Map<string, number>;
  /** Largest RSS seen, sampled after cases, in bytes. */
  maxRss: number;
  startRss: number;
}

/**
 * Runs `count` cases of a stage (scaled by FUZZ.scale), each with its own
 * generator; each must settle within `caseLimitMs` of CPU time (a hang guard) and name
 * its outcome. A failure names the stage, case and seed to rerun it.
 */
export async function fuzz(
  stage: string,
  count: number,
  caseLimitMs: number,
  run: (rng: Rng, index: number) => Promise<string> | string,
): Promise<FuzzReport> {
  const total = Math.round(count * FUZZ.scale);
  const report: FuzzReport = { cases: 0, outcomes: new Map(), maxRss: 0, startRss: process.memoryUsage().rss };
  for (let i = 0; i < total; i++) {
    if (FUZZ.only !== undefined && i !== FUZZ.only) continue;
    const rng = new Rng(FUZZ.seed ^ stageSalt(stage) ^ Math.imul(i + 1, 0x9e3779b1));
    const start = process.cpuUsage();
    let outcome: string;
    try {
      outcome = await run(rng, i);
    } catch (error) {
      throw new Error(
        `fuzz ${stage} case ${i} (seed ${FUZZ.seed}) failed: ${(error as Error)?.stack ?? String(error)}\n` +
          `rerun it alone: npm run fuzz -- --seed ${FUZZ.seed} --case ${i}`,
      );
    }
    // CPU time, not wall time: on a shared machine the process may wait for a core a second or more.
    const { user, system } = process.cpuUsage(start);
    const ms = (user + system) / 1000;
    if (ms > caseLimitMs) {
      throw new Error(
        `fuzz ${stage} case ${i} (seed ${FUZZ.seed}) took ${ms.toFixed(0)} ms of CPU, more than ${caseLimitMs}; rerun it alone: npm run fuzz -- --seed ${FUZZ.seed} --case ${i}`,
      );
    }
    report.cases++;
    report.outcomes.set(outcome, (report.outcomes.get(outcome) ?? 0) + 1);
    if (i % 25 === 0) report.maxRss = Math.max(report.maxRss, process.memoryUsage().rss);
  }
  report.maxRss = Math.max(report.maxRss, process.memoryUsage().rss);
  return report;
}

/**
 * Replaces, inserts or deletes bytes (1 to `maxEdits` edits), or truncates;
 * `positions` are where 3 edits in 4 go.
 */
export function mutateBytes(bytes: Uint8Array, rng: Rng, positions?: ArrayLike<number>, maxEdits = 6): Uint8Array {
  let out = new Uint8Array(bytes); // a copy, even of a Node Buffer (whose slice() is a view)
  const where = () =>
    positions && positions.length > 0 && rng.next() < 0.75 ? positions[rng.below(positions.length)] : rng.below(out.length);
  const edits = 1 + rng.below(maxEdits);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = Math.min(where(), out.length - 1);
    const op = rng.next();
    if (op < 0.6) out[at] = rng.below(256);
    else if (op < 0.75) out[at] = rng.pick([0x00, 0x01, 0x7f, 0x80, 0x81, 0x84, 0x88, 0xff]);
    else if (op < 0.85)
      out = concatBytes(
        out.subarray(0, at),
        Array.from({ length: 1 + rng.below(4) }, () => rng.below(256)),
        out.subarray(at),
      );
    else if (op < 0.95) out = concatBytes(out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + rng.below(8))));
    else out = out.slice(0, at);
  }
  return out;
}

/** The offsets of a PNG's chunks: [start, data length, name]. */
function pngChunks(png: Uint8Array): { at: number; length: number; name: string }[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks = [];
  for (let at = 8; at + 12 <= png.length; ) {
    const length = view.getUint32(at);
    if (at + 12 + length > png.length) break;
    chunks.push({ at, length, name: String.fromCharCode(png[at + 4], png[at + 5], png[at + 6], png[at + 7]) });
    at += 12 + length;
  }
  return chunks;
}

/**
 * A mutated PNG: its bytes as they are (most then fail their CRC), its bytes
 * with every CRC made right again (so that the edit reaches the decoder), or
 * its scanlines (inflated, mutated, deflated again: filter bytes and pixels).
 */
export function mutatePng(png: Uint8Array, rng: Rng): Uint8Array {
  const mode = rng.next();
  if (mode < 0.3) return mutateBytes(png, rng);
  const chunks = pngChunks(png);
  if (mode < 0.7) {
    const mutated = mutateBytes(
      png,
      rng,
      chunks.flatMap(({ at, length }) => Array.from({ length: Math.min(length + 8, 64) }, (_, k) => at + k)),
    );
    return concatBytes(
      mutated.subarray(0, 8),
      ...pngChunks(mutated).map(({ at, length, name }) => pngChunk(name, mutated.subarray(at + 8, at + 8 + length))),
    );
  }
  const idat = concatBytes(...chunks.filter((c) => c.name === 'IDAT').map(({ at, length }) => png.subarray(at + 8, at + 8 + length)));
  const scanlines = mutateBytes(new Uint8Array(inflateSync(idat)), rng);
  const rebuilt = chunks
    .filter((c) => c.name !== 'IDAT' && c.name !== 'IEND')
    .map(({ at, length, name }) => pngChunk(name, png.subarray(at + 8, at + 8 + length)));
  return concatBytes(png.subarray(0, 8), ...rebuilt, pngChunk('IDAT', deflateSync(scanlines)), pngChunk('IEND', []));
}

const STRUCTURAL_READS = ['int', 'count', 'version', 'string', 'bool', 'alias'];

/**
 * The byte offsets a reader reads as integers, versions, strings and flags
 * (not as float values, though dlib writes those as two integers) while it
 * reads a file whole: the file's structure, where a mutation tests the reader
 * rather than only changing a weight.
 */
export function structuralOffsets(read: () => unknown): Uint32Array {
  const prototype = DlibByteReader.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const patched = [...STRUCTURAL_READS, 'real'];
  const originals = patched.map((name) => prototype[name]);
  const offsets = new Set<number>();
  let inValue = 0;
  patched.forEach((name, k) => {
    prototype[name] = function (this: DlibByteReader, ...args: unknown[]) {
      const start = this.offset;
      if (name === 'real') inValue++;
      try {
        return originals[k].apply(this, args);
      } finally {
        if (name === 'real') inValue--;
        else if (inValue === 0) for (let o = start; o < this.offset; o++) offsets.add(o);
      }
    };
  });
  try {
    read();
  } finally {
    patched.forEach((name, k) => {
      prototype[name] = originals[k];
    });
  }
  if (offsets.size === 0) throw new Error('no structural reads recorded: has DlibByteReader changed?');
  return Uint32Array.from([...offsets].sort((a, b) => a - b));
}

/** A description's structure: every typed array reduced to its length and whether all its values are finite. */
export function structureOf(description: unknown): string {
  return JSON.stringify(description, (_key, value: unknown) => {
    if (!ArrayBuffer.isView(value)) return value;
    const values = value as unknown as ArrayLike<number>;
    let finite = true;
    for (let i = 0; i < values.length && finite; i++) finite = Number.isFinite(values[i]);
    return `${value.constructor.name}(${values.length}${finite ? '' : ', not all finite'})`;
  });
}
