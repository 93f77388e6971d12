import { readShapePredictor } from '../dlib/shape-predictor-reader.js';
import {
  loadPackedShapePredictor,
  loadShapePredictorWrittenBy,
  type PackedShapePredictor,
  packShapePredictor,
  shareShapePredictor,
  type ShapePredictor,
  type ShapePredictorSizes,
  type SharedShapePredictor,
} from '../face/shape-predictor.js';
import { modelFileEntry, readEntryHeader, readInto, writeEntry } from './cache-entry.js';
import { cacheFolder as cliCacheFolder } from './cache-folder.js';
import { readModelFile } from './model-file.js';

/**
 * Landmark models at least this large are read from the cache once it holds
 * them: dlib's 68-point model (100 MB) takes about half a second to read and
 * lay out, its cache entry (its 65 MB of trees as laid out) a read. The
 * bundled 5-point model (9 MB) reads about as fast as its entry would.
 */
const CACHED_FROM_BYTES = 32 * 2 ** 20;
/** Names the entries' layout: a change to it (or to the packed trees' layout) must change this. */
const FORMAT = 'dlib-wasm packed shape predictor 2';

/** An entry's header: the model's sizes (ShapePredictorSizes), its arrays as JSON's numbers; the trees follow it. */
interface EntryHeader {
  format: string;
  initialShape: number[];
  levels: { anchors: number[]; deltas: number[]; treeCount: number; splitCount: number; leafCount: number }[];
}

/** The header of a packed model's entry. */
function entryHeader(packed: PackedShapePredictor): EntryHeader {
  return {
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
}

/** The model sizes an entry's header gives, or undefined if they are not numbers. */
function headerSizes(header: EntryHeader): ShapePredictorSizes | undefined {
  try {
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

/**
 * A landmark model as the CLI found it: read and laid out, or a cache entry
 * whose trees are still in its file, read where they are used: into the one
 * predictor's memory on the calling thread (loadLandmarkModel), into a shared
 * kernel memory for the locate workers (sharedLandmarkModel).
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
  const packModel = () => readModelFile(file, (bytes) => packShapePredictor(readShapePredictor(bytes)));
  const entry = await modelFileEntry(cacheFolder, file, FORMAT, '.landmarks', { minBytes: CACHED_FROM_BYTES });
  if (!entry) return { packed: await packModel() };
  const readModel = async () => {
    const packed = await packModel();
    await writeEntry(entry, entryHeader(packed), packed.trees);
    return packed;
  };
  const found = await readEntryHeader<EntryHeader>(entry, FORMAT);
  const sizes = found && headerSizes(found.header);
  return found && sizes
    ? { entry: { sizes, file: entry.file, treesAt: found.dataAt, treesLength: found.dataLength, readModel } }
    : { packed: await readModel() };
}

/** Writes an entry's trees (loadShapePredictorWrittenBy's writeTrees): its file's bytes from where they start, whole or not at all. */
const readTrees =
  ({ file, treesAt, treesLength }: CachedLandmarkModel) =>
  (trees: Uint8Array): Promise<boolean> =>
    trees.length === treesLength ? readInto(file, treesAt, trees).catch(() => false) : Promise.resolve(false);

/** The model in one shared kernel memory for `slots` locate workers (SharedShapePredictor): a cache entry's trees read there. */
export async function sharedLandmarkModel(source: LandmarkModelSource, slots: number): Promise<SharedShapePredictor> {
  const ofPacked = async (packed: PackedShapePredictor) => {
    const shared = await shareShapePredictor(packed, slots, async (trees) => {
      trees.set(packed.trees);
      return true;
    });
    if (!shared) throw new Error('a packed landmark model does not fit its own layout');
    return shared;
  };
  if ('packed' in source) return ofPacked(source.packed);
  return (await shareShapePredictor(source.entry.sizes, slots, readTrees(source.entry))) ?? ofPacked(await source.entry.readModel());
}

/**
 * The predictor of the model on this thread: a cache entry's trees read
 * straight into its kernels' memory (loadShapePredictorWrittenBy), with no
 * copy of them made first.
 */
export async function loadLandmarkModel(source: LandmarkModelSource): Promise<ShapePredictor> {
  if ('packed' in source) return loadPackedShapePredictor(source.packed);
  const predictor = await loadShapePredictorWrittenBy(source.entry.sizes, readTrees(source.entry));
  return predictor ?? loadPackedShapePredictor(await source.entry.readModel());
}
