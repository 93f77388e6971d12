import { readShapePredictor, type ShapePredictorModel } from '../dlib/shape-predictor-reader.js';
import {
  loadShapePredictorWrittenBy,
  shapePredictorSizes,
  shareShapePredictor,
  type ShapePredictor,
  type ShapePredictorSizes,
  type SharedShapePredictor,
  writeShapePredictorTrees,
} from '../face/shape-predictor.js';
import { modelFileEntry, readEntryHeader, writeEntry } from './cache-entry.js';
import { readInto } from './direct-read.js';
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
const FORMAT = 'dlib-wasm packed shape predictor 3';

/** An entry's header: the model's sizes (ShapePredictorSizes), its arrays as JSON's numbers; the trees follow it. */
interface EntryHeader {
  format: string;
  initialShape: number[];
  levels: { anchors: number[]; deltas: number[]; treeCount: number; splitCount: number; leafCount: number }[];
}

/** The header of the entry of a model of these sizes. */
function entryHeader(sizes: ShapePredictorSizes): EntryHeader {
  return {
    format: FORMAT,
    initialShape: Array.from(sizes.initialShape),
    levels: sizes.levels.map(({ anchors, deltas, treeCount, splitCount, leafCount }) => ({
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
 * A landmark model as the CLI found it: read from its file, or a cache entry
 * whose trees are still in its file. Either way its trees are laid out (or
 * read) where they are used: into the one predictor's memory on the calling
 * thread (loadLandmarkModel), into a shared kernel memory for the locate
 * workers (sharedLandmarkModel).
 */
export type LandmarkModelSource = { read: ReadLandmarkModel } | { entry: CachedLandmarkModel };

/** A model read from its own file (no cache entry for it, or a damaged one). */
export interface ReadLandmarkModel {
  model: ShapePredictorModel;
  sizes: ShapePredictorSizes;
  /** Writes the model's cache entry from its trees as laid out (nothing where there is no cache). */
  keep(trees: Uint8Array): Promise<void>;
}

/** A cache entry whose header is read. */
export interface CachedLandmarkModel {
  sizes: ShapePredictorSizes;
  file: string;
  /** Where the trees start in the entry's file, and their bytes from there to its end. */
  treesAt: number;
  treesLength: number;
  /** The model read from its own file again (its entry is written anew from where it is laid out): for trees found damaged. */
  readModel(): Promise<ReadLandmarkModel>;
}

/**
 * The landmark model `file`, for the locate threads. A large one (dlib's
 * 68-point model) is taken from the dlib-wasm cache folder when an entry for
 * this very file (its path, size, modification time and inode) is there,
 * its trees left to read where they are used; else it is read, and its entry
 * written for the next run once its trees are laid out. A cache that cannot
 * be read or written is passed by.
 */
export async function openLandmarkModel(file: string | URL, cacheFolder = cliCacheFolder()): Promise<LandmarkModelSource> {
  const entry = await modelFileEntry(cacheFolder, file, FORMAT, '.landmarks', { minBytes: CACHED_FROM_BYTES });
  const readModel = async (): Promise<ReadLandmarkModel> => {
    const model = await readModelFile(file, readShapePredictor);
    const sizes = shapePredictorSizes(model);
    return { model, sizes, keep: (trees) => (entry ? writeEntry(entry, entryHeader(sizes), trees) : Promise.resolve()) };
  };
  if (!entry) return { read: await readModel() };
  const found = await readEntryHeader<EntryHeader>(entry, FORMAT);
  const sizes = found && headerSizes(found.header);
  return found && sizes
    ? { entry: { sizes, file: entry.file, treesAt: found.dataAt, treesLength: found.dataLength, readModel } }
    : { read: await readModel() };
}

/** A writeTrees of loadShapePredictorWrittenBy: an entry's file's bytes from where the trees start, whole or not at all. */
const readTrees =
  ({ file, treesAt, treesLength }: CachedLandmarkModel) =>
  (trees: Uint8Array): Promise<boolean> =>
    trees.length === treesLength ? readInto(file, treesAt, trees).catch(() => false) : Promise.resolve(false);

/** A writeTrees that lays out a read model's trees, then keeps them in the cache from there. */
const layOutTrees =
  ({ model, keep }: ReadLandmarkModel) =>
  async (trees: Uint8Array): Promise<boolean> => {
    if (!writeShapePredictorTrees(model, trees)) return false;
    await keep(trees);
    return true;
  };

/**
 * The model placed by `place` (the memory it makes, written by the writeTrees it is given): a cache
 * entry's trees read there, else, or where they are damaged, a read model's laid out there.
 */
async function placeLandmarkModel<T>(
  source: LandmarkModelSource,
  place: (sizes: ShapePredictorSizes, writeTrees: (trees: Uint8Array) => Promise<boolean>) => Promise<T | undefined>,
): Promise<T> {
  const ofRead = async (read: ReadLandmarkModel) => {
    const placed = await place(read.sizes, layOutTrees(read));
    if (placed === undefined) throw new Error('a landmark model read from its file does not fit its own layout');
    return placed;
  };
  if ('read' in source) return ofRead(source.read);
  return (await place(source.entry.sizes, readTrees(source.entry))) ?? ofRead(await source.entry.readModel());
}

/** The predictor of the model on this thread, its trees in the predictor's memory with no copy of them made first. */
export function loadLandmarkModel(source: LandmarkModelSource): Promise<ShapePredictor> {
  return placeLandmarkModel(source, loadShapePredictorWrittenBy);
}

/** The model in one shared kernel memory for `slots` locate workers (SharedShapePredictor). */
export function sharedLandmarkModel(source: LandmarkModelSource, slots: number): Promise<SharedShapePredictor> {
  return placeLandmarkModel(source, (sizes, writeTrees) => shareShapePredictor(sizes, slots, writeTrees));
}
