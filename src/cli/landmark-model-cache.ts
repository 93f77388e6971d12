import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CascadeLevel, ShapePredictorModel } from '../dlib/shape-predictor-reader.js';
import { readShapePredictor } from '../dlib/shape-predictor-reader.js';
import { packShapePredictor, type PackedShapePredictor } from '../face/shape-predictor.js';
import { readRegularFile } from './regular-file.js';

/**
 * Landmark models at least this large are read from the cache once it holds
 * them: dlib's 68-point model (100 MB) takes about half a second to read,
 * its cache entry (65 MB of arrays) a tenth of that. The bundled 5-point
 * model (9 MB) reads about as fast as its entry would.
 */
const CACHED_FROM_BYTES = 32 * 2 ** 20;
/** Names the entries' layout: a change to it (or to ShapePredictorModel) must change this. */
const FORMAT = 'dlib-wasm shape predictor arrays 1';

/** Where the CLI keeps read landmark models: $XDG_CACHE_HOME/dlib-wasm (~/.cache/dlib-wasm), none with DLIB_WASM_CACHE=off. */
export function landmarkCacheFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.DLIB_WASM_CACHE === 'off') return undefined;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dlib-wasm');
}

type ArrayName = 'splitCounts' | 'idx1' | 'idx2' | 'thresholds' | 'leaves' | 'anchors' | 'deltas';
/** Where each of a level's arrays is in the entry: its byte offset in the data and its length in elements. */
type LevelIndex = Record<ArrayName, [offset: number, length: number]>;
interface EntryHeader {
  format: string;
  initialShape: number[];
  levels: LevelIndex[];
}
const FLOAT_ARRAYS = new Set<ArrayName>(['thresholds', 'leaves', 'deltas']);

/** A level's trees as seven arrays: their split counts, then every tree's splits and leaves one after another. */
function levelArrays({ trees, anchors, deltas }: CascadeLevel): Record<ArrayName, Uint32Array | Float32Array> {
  const concat = <T extends Uint32Array | Float32Array>(Type: new (length: number) => T, parts: T[]) => {
    const all = new Type(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      all.set(part, at);
      at += part.length;
    }
    return all;
  };
  return {
    splitCounts: Uint32Array.from(trees, (tree) => tree.thresholds.length),
    idx1: concat(
      Uint32Array,
      trees.map((tree) => tree.idx1),
    ),
    idx2: concat(
      Uint32Array,
      trees.map((tree) => tree.idx2),
    ),
    thresholds: concat(
      Float32Array,
      trees.map((tree) => tree.thresholds),
    ),
    leaves: concat(
      Float32Array,
      trees.map((tree) => tree.leaves),
    ),
    anchors,
    deltas,
  };
}

/** The entry of a model: a 4-byte header length, the header (JSON), the arrays from the next multiple of 8. */
function encodeEntry(model: ShapePredictorModel): Uint8Array {
  const arrays = model.levels.map(levelArrays);
  let offset = 0;
  const levels = arrays.map(
    (level) =>
      Object.fromEntries(
        Object.entries(level).map(([name, array]) => {
          const at = offset;
          offset += array.byteLength;
          return [name, [at, array.length]];
        }),
      ) as LevelIndex,
  );
  const header: EntryHeader = { format: FORMAT, initialShape: Array.from(model.initialShape), levels };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((4 + json.length) / 8) * 8;
  const entry = new Uint8Array(dataStart + offset);
  new DataView(entry.buffer).setUint32(0, json.length, true);
  entry.set(json, 4);
  arrays.forEach((level, l) => {
    for (const [name, array] of Object.entries(level)) {
      entry.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), dataStart + levels[l][name as ArrayName][0]);
    }
  });
  return entry;
}

/**
 * The model an entry holds, its arrays views of `entry`, or undefined if it
 * is not a whole entry of this format. Every array is checked to lie in the
 * entry, and the trees to be what readShapePredictor lets through (complete,
 * their feature pixels among the level's, the anchors among the parts): a
 * damaged entry is read again from the model, never walked out of bounds.
 */
function decodeEntry(entry: Uint8Array): ShapePredictorModel | undefined {
  try {
    if (entry.byteOffset % 8 !== 0) entry = entry.slice();
    const jsonLength = new DataView(entry.buffer, entry.byteOffset).getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(entry.subarray(4, 4 + jsonLength))) as EntryHeader;
    if (header.format !== FORMAT) return undefined;
    const dataStart = entry.byteOffset + Math.ceil((4 + jsonLength) / 8) * 8;
    const initialShape = Float32Array.from(header.initialShape);
    const shapeLength = initialShape.length;
    if (shapeLength === 0 || shapeLength % 2 !== 0) return undefined;
    const levels: CascadeLevel[] = [];
    for (const index of header.levels) {
      const view = (name: ArrayName) => {
        const [offset, length] = index[name];
        const Type = FLOAT_ARRAYS.has(name) ? Float32Array : Uint32Array;
        if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset % 4 !== 0) {
          throw new RangeError(`${name} is misplaced`);
        }
        return new Type(entry.buffer as ArrayBuffer, dataStart + offset, length);
      };
      const [splitCounts, idx1, idx2, thresholds, leaves, anchors, deltas] = (
        ['splitCounts', 'idx1', 'idx2', 'thresholds', 'leaves', 'anchors', 'deltas'] as const
      ).map(view);
      if (deltas.length !== 2 * anchors.length || anchors.some((part) => part >= shapeLength / 2)) return undefined;
      if (idx1.length !== thresholds.length || idx2.length !== thresholds.length) return undefined;
      const trees = [];
      let split = 0;
      let leaf = 0;
      for (const count of splitCounts) {
        const leafValues = (count + 1) * shapeLength;
        if (((count + 1) & count) !== 0 || split + count > thresholds.length || leaf + leafValues > leaves.length) return undefined;
        const tree = {
          idx1: idx1.subarray(split, split + count) as Uint32Array,
          idx2: idx2.subarray(split, split + count) as Uint32Array,
          thresholds: thresholds.subarray(split, split + count) as Float32Array,
          leaves: leaves.subarray(leaf, leaf + leafValues) as Float32Array,
        };
        if (tree.idx1.some((i) => i >= anchors.length) || tree.idx2.some((i) => i >= anchors.length)) return undefined;
        trees.push(tree);
        split += count;
        leaf += leafValues;
      }
      if (split !== thresholds.length || leaf !== leaves.length) return undefined;
      levels.push({ trees, anchors: anchors as Uint32Array, deltas: deltas as Float32Array });
    }
    return { initialShape, levels };
  } catch {
    return undefined;
  }
}

/**
 * The landmark model `file`, read and laid out for the locate workers
 * (packShapePredictor). A large one (dlib's 68-point model) is read from the
 * dlib-wasm cache folder when an entry for this very file (its path, size,
 * modification time and inode) is there, else read and its entry written for
 * the next run; a cache that cannot be read or written is passed by.
 */
export async function readLandmarkModel(file: string | URL, cacheFolder = landmarkCacheFolder()): Promise<PackedShapePredictor> {
  const path = resolve(typeof file === 'string' ? file : fileURLToPath(file));
  const stats = await stat(path).catch(() => undefined);
  if (cacheFolder === undefined || !stats?.isFile() || stats.size < CACHED_FROM_BYTES) {
    return packShapePredictor(readShapePredictor(await readRegularFile(file)));
  }
  const key = createHash('sha256')
    .update(JSON.stringify([FORMAT, path, stats.size, stats.mtimeMs, stats.ino, stats.dev]))
    .digest('hex');
  const entryFile = join(cacheFolder, `${key}.landmarks`);
  const cached = await readFile(entryFile).then(
    (entry) => decodeEntry(entry),
    () => undefined,
  );
  if (cached) return packShapePredictor(cached);
  const model = readShapePredictor(await readRegularFile(file));
  const temporary = `${entryFile}.${randomBytes(6).toString('hex')}.tmp`;
  await mkdir(cacheFolder, { recursive: true })
    .then(() => writeFile(temporary, encodeEntry(model)))
    // Whole or not at all: another run reading the entry meanwhile sees the old one or none.
    .then(() => rename(temporary, entryFile))
    .catch(() => rm(temporary, { force: true }));
  return packShapePredictor(model);
}
