import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readShapePredictor } from '../dlib/shape-predictor-reader.js';
import {
  loadPackedShapePredictor,
  loadShapePredictorWrittenBy,
  type PackedShapePredictor,
  packedShapePredictorOf,
  packShapePredictor,
  type ShapePredictor,
  type ShapePredictorSizes,
} from '../face/shape-predictor.js';
import { cacheFolder as cliCacheFolder } from './cache-folder.js';
import { readRegularFile } from './regular-file.js';

/**
 * Landmark models at least this large are read from the cache once it holds
 * them: dlib's 68-point model (100 MB) takes about half a second to read and
 * lay out, its cache entry (its 65 MB of trees as laid out) a read. The
 * bundled 5-point model (9 MB) reads about as fast as its entry would.
 */
const CACHED_FROM_BYTES = 32 * 2 ** 20;
/** Names the entries' layout: a change to it (or to the packed trees' layout) must change this. */
const FORMAT = 'dlib-wasm packed shape predictor 2';

/** An entry's header: the model's sizes (ShapePredictorSizes), its arrays as JSON's numbers. */
interface EntryHeader {
  format: string;
  initialShape: number[];
  levels: { anchors: number[]; deltas: number[]; treeCount: number; splitCount: number; leafCount: number }[];
}

/** Where an entry's trees start: after the 4-byte length of its header and the header, at the next multiple of 8. */
const treesStart = (headerLength: number) => Math.ceil((4 + headerLength) / 8) * 8;

/** The entry of a packed model: a 4-byte header length, the header (JSON), then the trees as they are laid out. */
function encodeEntry(packed: PackedShapePredictor): Uint8Array {
  const header: EntryHeader = {
    format: FORMAT,
    initialShape: Array.from(packed.initialShape),
    levels: packed.levels.map(({ anchors, deltas, treeCount, splitCount, leafCount }) => ({
      anchors: Array.from(anchors),
      deltas: Array.from(deltas),
      treeCount,
      splitCount,
      leafCount,
    })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const entry = new Uint8Array(treesStart(json.length) + packed.trees.length);
  new DataView(entry.buffer).setUint32(0, json.length, true);
  entry.set(json, 4);
  entry.set(packed.trees, treesStart(json.length));
  return entry;
}

/** The model sizes an entry's header gives, or undefined if it is not a header of this format. */
function decodeHeader(json: Uint8Array): ShapePredictorSizes | undefined {
  try {
    const header = JSON.parse(new TextDecoder().decode(json)) as EntryHeader;
    if (header.format !== FORMAT) return undefined;
    return {
      initialShape: Float32Array.from(header.initialShape),
      levels: header.levels.map(({ anchors, deltas, treeCount, splitCount, leafCount }) => ({
        anchors: Uint32Array.from(anchors),
        deltas: Float32Array.from(deltas),
        treeCount,
        splitCount,
        leafCount,
      })),
    };
  } catch {
    return undefined;
  }
}

/** Reads `file` from byte `at` into `into`; says whether it filled it. */
async function readInto(file: string, at: number, into: Uint8Array): Promise<boolean> {
  const handle = await open(file);
  try {
    let read = 0;
    for (let n = 1; read < into.length && n > 0; read += n)
      ({ bytesRead: n } = await handle.read(into, read, into.length - read, at + read));
    return read === into.length;
  } finally {
    await handle.close();
  }
}

/** An entry's model sizes, and where its trees are, or undefined if `file` is no whole header of this format. */
async function readEntryHeader(file: string): Promise<{ sizes: ShapePredictorSizes; treesAt: number; treesLength: number } | undefined> {
  const handle = await open(file);
  try {
    const { size } = await handle.stat();
    const length = new Uint8Array(4);
    if ((await handle.read(length, 0, 4, 0)).bytesRead !== 4) return undefined;
    const headerLength = new DataView(length.buffer).getUint32(0, true);
    if (treesStart(headerLength) > size) return undefined;
    const json = new Uint8Array(headerLength);
    if ((await handle.read(json, 0, headerLength, 4)).bytesRead !== headerLength) return undefined;
    const sizes = decodeHeader(json);
    return sizes && { sizes, treesAt: treesStart(headerLength), treesLength: size - treesStart(headerLength) };
  } finally {
    await handle.close();
  }
}

/**
 * A landmark model as the CLI found it: read and laid out, or a cache entry
 * whose trees are still in its file, read where they are used: into the one
 * predictor's memory on the calling thread (loadLandmarkModel), into shared
 * memory for the locate workers (packedLandmarkModel).
 */
export type LandmarkModelSource = { packed: PackedShapePredictor } | { entry: CachedLandmarkModel };

/** A cache entry whose header is read. */
export interface CachedLandmarkModel {
  sizes: ShapePredictorSizes;
  file: string;
  /** Where the trees start in the entry's file, and their bytes from there to its end. */
  treesAt: number;
  treesLength: number;
  /** The model read from its own file again and its entry written anew: for trees found damaged. */
  readModel(): Promise<PackedShapePredictor>;
}

/**
 * The landmark model `file`, for the locate threads. A large one (dlib's
 * 68-point model) is taken from the dlib-wasm cache folder when an entry for
 * this very file (its path, size, modification time and inode) is there,
 * its trees left to read where they are used; else it is read and laid out
 * (packShapePredictor) and its entry written for the next run. A cache that
 * cannot be read or written is passed by.
 */
export async function openLandmarkModel(file: string | URL, cacheFolder = cliCacheFolder()): Promise<LandmarkModelSource> {
  const path = resolve(typeof file === 'string' ? file : fileURLToPath(file));
  const stats = await stat(path).catch(() => undefined);
  if (cacheFolder === undefined || !stats?.isFile() || stats.size < CACHED_FROM_BYTES) {
    return { packed: packShapePredictor(readShapePredictor(await readRegularFile(file))) };
  }
  const key = createHash('sha256')
    .update(JSON.stringify([FORMAT, path, stats.size, stats.mtimeMs, stats.ino, stats.dev]))
    .digest('hex');
  const ofPath = createHash('sha256').update(path).digest('hex').slice(0, 16);
  const entryFile = join(cacheFolder, `${ofPath}-${key}.landmarks`);
  const readModel = async () => {
    const packed = packShapePredictor(readShapePredictor(await readRegularFile(file)));
    const temporary = `${entryFile}.${randomBytes(6).toString('hex')}.tmp`;
    await mkdir(cacheFolder, { recursive: true })
      .then(() => writeFile(temporary, encodeEntry(packed)))
      // Whole or not at all: another run reading the entry meanwhile sees the old one or none.
      .then(() => rename(temporary, entryFile))
      .then(() => removeStaleEntries(cacheFolder, ofPath, entryFile))
      .catch(() => rm(temporary, { force: true }));
    return packed;
  };
  const header = await readEntryHeader(entryFile).catch(() => undefined);
  return header ? { entry: { ...header, file: entryFile, readModel } } : { packed: await readModel() };
}

/** A file's bytes from `at` on in shared memory, whole or undefined: an entry's trees go to the locate workers without a copy. */
async function readShared(file: string, at: number, length: number): Promise<Uint8Array | undefined> {
  const bytes = new Uint8Array(new SharedArrayBuffer(length));
  return (await readInto(file, at, bytes).catch(() => false)) ? bytes : undefined;
}

/** The model laid out in shared memory (packShapePredictor's), for the locate workers: a cache entry's trees read there. */
export async function packedLandmarkModel(source: LandmarkModelSource): Promise<PackedShapePredictor> {
  if ('packed' in source) return source.packed;
  const { sizes, file, treesAt, treesLength, readModel } = source.entry;
  const trees = await readShared(file, treesAt, treesLength);
  return (trees && packedShapePredictorOf(sizes, trees)) ?? readModel();
}

/**
 * The predictor of the model on this thread: a cache entry's trees read
 * straight into its kernels' memory (loadShapePredictorWrittenBy), with no
 * copy of them made first.
 */
export async function loadLandmarkModel(source: LandmarkModelSource): Promise<ShapePredictor> {
  if ('packed' in source) return loadPackedShapePredictor(source.packed);
  const { sizes, file, treesAt, treesLength, readModel } = source.entry;
  const predictor = await loadShapePredictorWrittenBy(sizes, (trees) =>
    trees.length === treesLength ? readInto(file, treesAt, trees).catch(() => false) : Promise.resolve(false),
  );
  return predictor ?? loadPackedShapePredictor(await readModel());
}

/**
 * Entries of 65 MB would pile up otherwise: the same file's entries for its
 * earlier versions (another size, time or format), and those of earlier
 * releases, named by their key alone.
 */
async function removeStaleEntries(cacheFolder: string, ofPath: string, kept: string): Promise<void> {
  const stale = (name: string) => name.startsWith(`${ofPath}-`) || /^[0-9a-f]{64}\.landmarks$/.test(name);
  for (const name of await readdir(cacheFolder)) {
    const file = join(cacheFolder, name);
    if (file !== kept && name.endsWith('.landmarks') && stale(name)) await rm(file, { force: true });
  }
}
