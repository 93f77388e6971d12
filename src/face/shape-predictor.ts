import { InputError } from '../errors.js';
import { findSimilarityTransform, type Point, type Rectangle } from '../geometry/point-transforms.js';
import { describeRgbImage, MIN_SAMPLED_SIDE, type RgbImage } from '../image.js';
import { readModelSource, type ModelSource } from '../model-source.js';
import { readShapePredictor, type ShapePredictorModel } from '../dlib/shape-predictor-reader.js';
import {
  createKernelMemory,
  growKernelMemory,
  instantiateKernels,
  type Kernels,
  loadKernelModule,
  loadKernelsOnOwnMemory,
  loadKernelsOnOwnMemoryNow,
  type WasmSource,
} from '../engine/kernels.js';
import { alignBuffer, BUFFER_SLACK, pagesFor, RESERVED_BYTES } from '../memory-layout.js';
import { optionsObject } from '../arguments.js';

/** dlib's `shape_predictor`: face landmarks from an image and the face's box. */
export interface ShapePredictor {
  /** Landmarks per face: 68 for dlib's iBUG model, 5 for the 5-point one. */
  readonly numParts: number;
  /**
   * The landmarks of the face in `rect` (dlib's inclusive pixel rectangle, in
   * whole pixels, as a detector gives it), as dlib's `sp(img, rect)` finds
   * them: integer pixel positions, `[x, y]` per part.
   */
  predict(image: RgbImage, rect: Rectangle): Point[];
}

const f = Math.fround;

/** The rect must be whole pixels (dlib's `rectangle` holds longs) and overlap the image. */
function checkRect(rect: Rectangle, width: number, height: number): void {
  if (rect === null || typeof rect !== 'object') throw new InputError('rect must be { left, top, right, bottom }');
  const { left, top, right, bottom } = rect;
  if (![left, top, right, bottom].every(Number.isSafeInteger)) {
    throw new InputError(`rect (${left}, ${top}, ${right}, ${bottom}) must have integer coordinates (dlib's rectangle is in whole pixels)`);
  }
  if (right < left || bottom < top) throw new InputError(`rect (${left}, ${top}, ${right}, ${bottom}) is empty`);
  if (right < 0 || bottom < 0 || left >= width || top >= height) {
    throw new InputError(`rect (${left}, ${top}, ${right}, ${bottom}) lies outside the ${width}x${height} image`);
  }
}

/**
 * Runs the cascade as dlib's `shape_predictor::operator()` does, with dlib's
 * float and double steps: the shape and its increments in float, the
 * similarity to the initial shape in double then cast to float, each feature
 * pixel's position in float in the box's coordinates, then in double in the
 * image's, rounded to the nearest pixel. The trees' walks and leaf sums run
 * in the forest kernel, on the shape in wasm memory.
 */
function predictShape(predictor: PlacedPredictor, image: RgbImage, rect: Rectangle): Point[] {
  const { width, height, pixelStride } = describeRgbImage(image, 'image', MIN_SAMPLED_SIDE);
  checkRect(rect, width, height);
  const { data } = image;
  const { initialShape, levels, shape, features, buffers, leafLength, kernels } = predictor;
  const shapeLength = initialShape.length;
  // unnormalizing_tform(rect): (0,0), (1,0), (1,1) to the rect's top-left, top-right and bottom-right corners.
  const boxWidth = rect.right - rect.left;
  const boxHeight = rect.bottom - rect.top;
  shape.set(initialShape);
  for (const level of levels) {
    const { anchors, deltas } = level;
    const { m } = findSimilarityTransform(initialShape, shape);
    const m00 = f(m[0][0]),
      m01 = f(m[0][1]),
      m10 = f(m[1][0]),
      m11 = f(m[1][1]);
    for (let j = 0; j < anchors.length; j++) {
      const dx = deltas[2 * j],
        dy = deltas[2 * j + 1];
      const qx = f(f(f(m00 * dx) + f(m01 * dy)) + shape[2 * anchors[j]]);
      const qy = f(f(f(m10 * dx) + f(m11 * dy)) + shape[2 * anchors[j] + 1]);
      const x = Math.floor(boxWidth * qx + rect.left + 0.5);
      const y = Math.floor(boxHeight * qy + rect.top + 0.5);
      let intensity = 0;
      if (x >= 0 && y >= 0 && x < width && y < height) {
        // get_pixel_intensity of an rgb_pixel: the integer mean of its channels.
        const o = (y * width + x) * pixelStride;
        intensity = Math.floor((data[o] + data[o + 1] + data[o + 2]) / 3);
      }
      features[j] = intensity;
    }
    kernels.f32_forest_leaf_sum__simd128(
      buffers.features,
      level.splitFeatureBytes,
      level.thresholds,
      level.splitStarts,
      level.leafStarts,
      level.leaves,
      leafLength,
      buffers.leafAddresses,
      buffers.shape,
      0,
      level.treeCount,
    );
  }
  const parts: Point[] = [];
  for (let k = 0; k < shapeLength; k += 2) {
    parts.push([Math.floor(boxWidth * shape[k] + rect.left + 0.5), Math.floor(boxHeight * shape[k + 1] + rect.top + 0.5)]);
  }
  return parts;
}

/**
 * Reads a dlib `shape_predictor` `.dat` (any number of parts, levels and
 * trees; dlib's 68-point `shape_predictor_68_face_landmarks.dat` and the
 * bundled 5-point model among them).
 */
export async function loadShapePredictor(source: ModelSource, options?: ShapePredictorOptions): Promise<ShapePredictor> {
  options = optionsObject(options, "loadShapePredictor's options");
  const model = readShapePredictor(await readModelSource(source));
  return createShapePredictor(model, await loadKernelsOnOwnMemory(options.wasm ?? {}));
}

export interface ShapePredictorOptions {
  /** The kernel module (the trees' walks and leaf sums run in WebAssembly), as the other loaders take it. */
  wasm?: WasmSource;
}

/** A level's sizes, which place its trees in memory (layOut): its trees, their splits and their leaves in all. */
interface LevelSizes {
  anchors: Uint32Array;
  deltas: Float32Array;
  treeCount: number;
  splitCount: number;
  leafCount: number;
}

/** A level's trees in wasm memory (addresses), as the forest kernel reads them, and what places its feature pixels. */
interface PlacedLevel extends LevelSizes {
  /** Per split, the byte offsets of its two feature pixels in the features buffer (i32). */
  splitFeatureBytes: number;
  /** Per split, the floor of its threshold (i32): the features are whole intensities, so `>` compares the same. */
  thresholds: number;
  /** Where each tree's splits start (i32, one more than the trees). */
  splitStarts: number;
  /** Where each tree's leaves start in `leaves`, in floats (i32). */
  leafStarts: number;
  /** Every tree's leaves, each padded to leafLength floats. */
  leaves: number;
}

interface PlacedPredictor {
  initialShape: Float32Array;
  levels: PlacedLevel[];
  leafLength: number;
  kernels: Kernels;
  /** The buffers a prediction writes: the features of the level at hand, its trees' leaf addresses, the shape. */
  buffers: { features: number; leafAddresses: number; shape: number };
  features: Int32Array;
  shape: Float32Array;
}

/** The floor of a threshold, held within the int32 range (an integer difference of intensities compares alike). */
const integerThreshold = (threshold: number) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.floor(threshold)));

/**
 * Where a predictor's trees and the buffers of a prediction go in kernel
 * memory (layOut): each level's arrays, then the buffers, up to `end`. The
 * trees are the bytes from RESERVED_BYTES to `end`, as the CLI's cache keeps them.
 */
export interface ShapePredictorLayout {
  initialShape: Float32Array;
  levels: PlacedLevel[];
  leafLength: number;
  buffers: PlacedPredictor['buffers'];
  mostFeatures: number;
  end: number;
}

/** What places a packed predictor's trees and buffers (layOut): its initial shape and each level's sizes. */
export interface ShapePredictorSizes {
  initialShape: Float32Array;
  levels: LevelSizes[];
}

/** Where each level's trees and each buffer of a prediction go in kernel memory, and where they end. */
function layOut({ initialShape, levels: sizes }: ShapePredictorSizes): ShapePredictorLayout {
  const shapeLength = initialShape.length;
  const leafLength = Math.ceil(shapeLength / 4) * 4;
  let end = RESERVED_BYTES;
  const place = (bytes: number) => {
    const at = end;
    end += alignBuffer(bytes) + BUFFER_SLACK;
    return at;
  };
  const levels = sizes.map(
    (level): PlacedLevel => ({
      ...level,
      splitFeatureBytes: place(8 * level.splitCount),
      thresholds: place(4 * level.splitCount),
      splitStarts: place(4 * (level.treeCount + 1)),
      leafStarts: place(4 * level.treeCount),
      leaves: place(4 * level.leafCount * leafLength),
    }),
  );
  const mostFeatures = sizes.reduce((most, level) => Math.max(most, level.anchors.length), 0);
  const buffers = {
    features: place(4 * mostFeatures),
    leafAddresses: place(4 * sizes.reduce((most, level) => Math.max(most, level.treeCount), 0)),
    shape: place(4 * leafLength),
  };
  return { initialShape, levels, leafLength, buffers, mostFeatures, end };
}

/** A read model's sizes, which place its trees (layOut). */
export function shapePredictorSizes({ initialShape, levels }: ShapePredictorModel): ShapePredictorSizes {
  const shapeLength = initialShape.length;
  return {
    initialShape,
    levels: levels.map(({ trees, anchors, deltas }) => ({
      anchors,
      deltas,
      treeCount: trees.length,
      splitCount: trees.reduce((sum, tree) => sum + tree.thresholds.length, 0),
      leafCount: trees.reduce((sum, tree) => sum + tree.leaves.length / shapeLength, 0),
    })),
  };
}

/** Writes the model's trees where `layout` puts them, into `memory`: bytes from RESERVED_BYTES on. */
function writeTrees(model: ShapePredictorModel, layout: ShapePredictorLayout, memory: Uint8Array): void {
  const shapeLength = model.initialShape.length;
  const { leafLength } = layout;
  const view = <T>(Type: new (buffer: ArrayBufferLike, at: number, length: number) => T, at: number, length: number) =>
    new Type(memory.buffer, memory.byteOffset + at - RESERVED_BYTES, length);
  model.levels.forEach(({ trees }, l) => {
    const level = layout.levels[l];
    const { splitCount } = level;
    const splitFeatureBytes = view(Int32Array, level.splitFeatureBytes, 2 * splitCount);
    const thresholds = view(Int32Array, level.thresholds, splitCount);
    const splitStarts = view(Int32Array, level.splitStarts, trees.length + 1);
    const leafStarts = view(Int32Array, level.leafStarts, trees.length);
    let split = 0;
    let leaf = 0;
    trees.forEach((tree, t) => {
      splitStarts[t] = split;
      leafStarts[t] = leaf * leafLength;
      tree.thresholds.forEach((threshold, i) => {
        splitFeatureBytes[2 * (split + i)] = 4 * tree.idx1[i];
        splitFeatureBytes[2 * (split + i) + 1] = 4 * tree.idx2[i];
        thresholds[split + i] = integerThreshold(threshold);
      });
      const leafCount = tree.leaves.length / shapeLength;
      const placedLeaves = view(Float32Array, level.leaves + 4 * leaf * leafLength, leafCount * leafLength);
      if (leafLength === shapeLength) placedLeaves.set(tree.leaves);
      else {
        for (let i = 0; i < leafCount; i++) placedLeaves.set(tree.leaves.subarray(i * shapeLength, (i + 1) * shapeLength), i * leafLength);
      }
      split += tree.thresholds.length;
      leaf += leafCount;
    });
    splitStarts[trees.length] = split;
  });
}

/** The predictor over kernels whose memory holds the trees as `layout` put them. */
function placedPredictor(layout: ShapePredictorLayout, memory: WebAssembly.Memory, kernels: Kernels): ShapePredictor {
  const { initialShape, levels, leafLength, buffers, mostFeatures } = layout;
  const predictor: PlacedPredictor = {
    initialShape,
    levels,
    leafLength,
    kernels,
    buffers,
    features: new Int32Array(memory.buffer, buffers.features, mostFeatures),
    shape: new Float32Array(memory.buffer, buffers.shape, initialShape.length),
  };
  return {
    numParts: initialShape.length / 2,
    predict: (image, rect) => predictShape(predictor, image, rect),
  };
}

/**
 * The predictor of an already read model: its trees placed in the memory of
 * `runtime`'s kernels, by default the embedded ones compiled on the spot
 * (loadShapePredictor compiles them without blocking, as a browser page
 * needs).
 */
export function createShapePredictor(
  model: ShapePredictorModel,
  { memory, kernels }: { memory: WebAssembly.Memory; kernels: Kernels } = loadKernelsOnOwnMemoryNow(),
): ShapePredictor {
  const layout = layOut(shapePredictorSizes(model));
  growKernelMemory(memory, layout.end, 'the shape predictor');
  writeTrees(model, layout, new Uint8Array(memory.buffer, RESERVED_BYTES, layout.end - RESERVED_BYTES));
  return placedPredictor(layout, memory, kernels);
}

/**
 * Writes a read model's trees as layOut places them into `trees`, the kernel
 * memory's bytes from RESERVED_BYTES to the layout's end (a writeTrees of
 * loadShapePredictorWrittenBy or shareShapePredictor); false where they take
 * another length.
 */
export function writeShapePredictorTrees(model: ShapePredictorModel, trees: Uint8Array): boolean {
  const layout = layOut(shapePredictorSizes(model));
  if (trees.length !== layout.end - RESERVED_BYTES) return false;
  writeTrees(model, layout, trees);
  return true;
}

/**
 * Where a packed predictor of these sizes places its trees and buffers, or
 * undefined where the sizes cannot be a model's (counts that are not whole, a
 * level's leaves not one more than its splits per tree, an anchor past the shape).
 */
function checkedLayout(sizes: ShapePredictorSizes): ShapePredictorLayout | undefined {
  const shapeLength = sizes.initialShape.length;
  if (shapeLength === 0 || shapeLength % 2 !== 0) return undefined;
  for (const { anchors, deltas, treeCount, splitCount, leafCount } of sizes.levels) {
    if (![treeCount, splitCount, leafCount].every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
    if (leafCount !== splitCount + treeCount || deltas.length !== 2 * anchors.length) return undefined;
    if (anchors.some((part) => part >= shapeLength / 2)) return undefined;
  }
  return layOut(sizes);
}

/**
 * Whether trees laid out as `layout` says keep the forest kernel within them:
 * no index in them leads it outside the level's features or leaves, and every
 * tree is whole. Only the leaves and thresholds are taken as they are: any value is safe there.
 */
function treesFit(layout: ShapePredictorLayout, trees: Uint8Array): boolean {
  if (trees.byteOffset % 4 !== 0 || trees.length !== layout.end - RESERVED_BYTES) return false;
  const view = (at: number, length: number) => new Int32Array(trees.buffer, trees.byteOffset + at - RESERVED_BYTES, length);
  for (const level of layout.levels) {
    const { treeCount, splitCount } = level;
    const featureBytes = 4 * level.anchors.length;
    const splitStarts = view(level.splitStarts, treeCount + 1);
    const leafStarts = view(level.leafStarts, treeCount);
    if (splitStarts[0] !== 0 || splitStarts[treeCount] !== splitCount) return false;
    for (let t = 0; t < treeCount; t++) {
      const splits = splitStarts[t + 1] - splitStarts[t];
      // A whole tree (2^depth - 1 splits) ends every walk on one of its splits + 1 leaves, which start here.
      if (splits < 0 || ((splits + 1) & splits) !== 0 || leafStarts[t] !== layout.leafLength * (splitStarts[t] + t)) return false;
    }
    const splitFeatureBytes = view(level.splitFeatureBytes, 2 * splitCount);
    for (let i = 0; i < splitFeatureBytes.length; i++) {
      const byte = splitFeatureBytes[i];
      if (byte < 0 || byte >= featureBytes || byte % 4 !== 0) return false;
    }
  }
  return true;
}

/**
 * Lets `writeTrees` put the trees (as layOut places them for `layout`) into
 * `memory`, given as the bytes they take, and says whether it wrote them
 * whole and they fit (treesFit).
 */
async function writeTreesInto(
  layout: ShapePredictorLayout,
  memory: WebAssembly.Memory,
  writeTrees: (trees: Uint8Array) => Promise<boolean>,
): Promise<boolean> {
  const trees = new Uint8Array(memory.buffer, RESERVED_BYTES, layout.end - RESERVED_BYTES);
  return (await writeTrees(trees)) && treesFit(layout, trees);
}

/**
 * A predictor on kernels of its own whose `writeTrees` puts the trees (as
 * layOut places them for `sizes`) straight into the kernels' memory, given as
 * the bytes they take: the CLI reads its cache's file there, or lays out a
 * model it read (writeShapePredictorTrees), and 65 MB of dlib's 68-point
 * model are not copied once more. writeTrees says whether it wrote them
 * whole. Undefined where it did not, or where they or the sizes do not fit
 * (checkedLayout, treesFit): the memory is dropped.
 */
export async function loadShapePredictorWrittenBy(
  sizes: ShapePredictorSizes,
  writeTrees: (trees: Uint8Array) => Promise<boolean>,
  options: ShapePredictorOptions = {},
): Promise<ShapePredictor | undefined> {
  const layout = checkedLayout(sizes);
  if (!layout) return undefined;
  const { memory, kernels } = await loadKernelsOnOwnMemory(options.wasm ?? {});
  growKernelMemory(memory, layout.end, 'the shape predictor');
  return (await writeTreesInto(layout, memory, writeTrees)) ? placedPredictor(layout, memory, kernels) : undefined;
}

/**
 * A predictor's trees in one shared kernel memory for several threads, each
 * predicting with a set of buffers of its own (`slots` of them): the CLI's
 * locate workers share dlib's 68-point model this way, its 65 MB of trees
 * in memory once, not copied into each worker's (every fresh page costs a
 * fault on first touch). A shared WebAssembly.Memory posts to a worker as itself.
 */
export interface SharedShapePredictor extends ShapePredictorLayout {
  memory: WebAssembly.Memory;
  slots: number;
}

/** Bytes of one set of a prediction's buffers: layOut places them last, after the trees. */
const bufferSetBytes = (layout: ShapePredictorLayout) => layout.end - layout.buffers.features;

/**
 * The trees `writeTrees` writes (see loadShapePredictorWrittenBy) in a new
 * shared kernel memory with room for `slots` threads' buffers; undefined where
 * they are not written whole, or they or the sizes do not fit.
 */
export async function shareShapePredictor(
  sizes: ShapePredictorSizes,
  slots: number,
  writeTrees: (trees: Uint8Array) => Promise<boolean>,
): Promise<SharedShapePredictor | undefined> {
  const layout = checkedLayout(sizes);
  if (!layout) return undefined;
  const memory = createKernelMemory(pagesFor(layout.end + (slots - 1) * bufferSetBytes(layout)), true);
  return (await writeTreesInto(layout, memory, writeTrees)) ? { ...layout, memory, slots } : undefined;
}

/** A predictor on a shared model's memory, with the buffers of `slot` (each thread its own). */
export async function loadSharedShapePredictor(
  { memory, slots, ...layout }: SharedShapePredictor,
  slot: number,
  options: ShapePredictorOptions = {},
): Promise<ShapePredictor> {
  if (!Number.isInteger(slot) || slot < 0 || slot >= slots) throw new RangeError(`slot ${slot} of a model shared by ${slots}`);
  const { module } = await loadKernelModule(options.wasm ?? {}, true);
  const shift = slot * bufferSetBytes(layout);
  const buffers = {
    features: layout.buffers.features + shift,
    leafAddresses: layout.buffers.leafAddresses + shift,
    shape: layout.buffers.shape + shift,
  };
  return placedPredictor({ ...layout, buffers }, memory, await instantiateKernels(module, memory));
}
