import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readShapePredictor } from '../dlib/shape-predictor-reader.js';
import { type PackedShapePredictor, packedShapePredictorOf, packShapePredictor } from '../face/shape-predictor.js';
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

/** Where the CLI keeps read landmark models: $XDG_CACHE_HOME/dlib-wasm (~/.cache/dlib-wasm), none with DLIB_WASM_CACHE=off. */
export function landmarkCacheFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.DLIB_WASM_CACHE === 'off') return undefined;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dlib-wasm');
}

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

/**
 * The packed model an entry holds, its trees a view of `entry`, or undefined
 * if it is not a whole entry of this format. The trees are checked as
 * packedShapePredictorOf checks them: a damaged entry is read again from the
 * model, never walked out of bounds.
 */
function decodeEntry(entry: Uint8Array): PackedShapePredictor | undefined {
  try {
    const headerLength = new DataView(entry.buffer, entry.byteOffset).getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(entry.subarray(4, 4 + headerLength))) as EntryHeader;
    if (header.format !== FORMAT) return undefined;
    const sizes = {
      initialShape: Float32Array.from(header.initialShape),
      levels: header.levels.map(({ anchors, deltas, treeCount, splitCount, leafCount }) => ({
        anchors: Uint32Array.from(anchors),
        deltas: Float32Array.from(deltas),
        treeCount,
        splitCount,
        leafCount,
      })),
    };
    return packedShapePredictorOf(sizes, entry.subarray(treesStart(headerLength)));
  } catch {
    return undefined;
  }
}

/** A file's bytes in shared memory: an entry's trees go to the locate workers without a copy. */
async function readShared(file: string): Promise<Uint8Array> {
  const handle = await open(file);
  try {
    const { size } = await handle.stat();
    const bytes = new Uint8Array(new SharedArrayBuffer(size));
    let read = 0;
    for (let n = 1; read < size && n > 0; read += n) ({ bytesRead: n } = await handle.read(bytes, read, size - read, read));
    return bytes.subarray(0, read);
  } finally {
    await handle.close();
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
  const ofPath = createHash('sha256').update(path).digest('hex').slice(0, 16);
  const entryFile = join(cacheFolder, `${ofPath}-${key}.landmarks`);
  const cached = await readShared(entryFile).then(
    (entry) => decodeEntry(entry),
    () => undefined,
  );
  if (cached) return cached;
  const packed = packShapePredictor(readShapePredictor(await readRegularFile(file)));
  const temporary = `${entryFile}.${randomBytes(6).toString('hex')}.tmp`;
  await mkdir(cacheFolder, { recursive: true })
    .then(() => writeFile(temporary, encodeEntry(packed)))
    // Whole or not at all: another run reading the entry meanwhile sees the old one or none.
    .then(() => rename(temporary, entryFile))
    .then(() => removeStaleEntries(cacheFolder, ofPath, entryFile))
    .catch(() => rm(temporary, { force: true }));
  return packed;
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
