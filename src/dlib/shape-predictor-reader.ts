import { DlibByteReader, matrixSize } from './serialization.js';

/** One regression tree: complete binary, splits breadth-first, then its leaves. */
export interface RegressionTree {
  /** Per split node: the two feature pixels compared and the threshold on their difference. */
  idx1: Uint32Array;
  idx2: Uint32Array;
  thresholds: Float32Array;
  /** splits + 1 leaves, each a shape increment of 2 * numParts floats, one after another. */
  leaves: Float32Array;
}

/** One level of the cascade: its trees and the feature pixels they read. */
export interface CascadeLevel {
  trees: RegressionTree[];
  /** Per feature pixel: the part it is anchored to... */
  anchors: Uint32Array;
  /** ...and its offset (x, y pairs) from that part, in the initial shape's box-normalised coordinates. */
  deltas: Float32Array;
}

/** A dlib `shape_predictor` as its file holds it. */
export interface ShapePredictorModel {
  /** The mean shape, x y per part, in box-normalised coordinates (the box's corners are 0 and 1). */
  initialShape: Float32Array;
  levels: CascadeLevel[];
}

/** Bytes that the smallest encoding of each element takes: counts are checked against them before allocating. */
const MIN_FLOAT_BYTES = 4;
const MIN_SPLIT_BYTES = 2 + 2 + MIN_FLOAT_BYTES;
const MIN_COLUMN_VECTOR_BYTES = 4;
const MIN_TREE_BYTES = 2 + 2 + MIN_COLUMN_VECTOR_BYTES;

function checkCount(r: DlibByteReader, count: number, elementBytes: number, what: string, start: number): void {
  if (count * elementBytes > r.remaining) {
    r.fail(`${what} claims ${count} elements, more than the ${r.remaining} bytes left can hold`, start);
  }
}

/** A `std::vector`'s element count, checked against the bytes left. */
function vectorLength(r: DlibByteReader, elementBytes: number, what: string): number {
  const start = r.offset;
  const count = r.count(`${what} count`);
  checkCount(r, count, elementBytes, what, start);
  return count;
}

/**
 * The size of a `matrix<float,0,1>`: rows and cols (negated in the current
 * format), checked; its values follow. `expectedRows` rejects a leaf of the
 * wrong size before reading it.
 */
function columnVectorRows(r: DlibByteReader, what: string, expectedRows?: number): number {
  const start = r.offset;
  const { rows, cols } = matrixSize(r, what);
  if (cols !== 1) r.fail(`${what} is a ${rows}x${cols} matrix, not a column vector`, start);
  if (expectedRows !== undefined && rows !== expectedRows) r.fail(`${what} has ${rows} values, expected ${expectedRows}`, start);
  checkCount(r, rows, MIN_FLOAT_BYTES, what, start);
  return rows;
}

function readTree(r: DlibByteReader, shapeLength: number, what: string): RegressionTree & { maxFeature: number; maxFeatureAt: number } {
  const splitCount = vectorLength(r, MIN_SPLIT_BYTES, `${what} splits`);
  const idx1 = new Uint32Array(splitCount);
  const idx2 = new Uint32Array(splitCount);
  const thresholds = new Float32Array(splitCount);
  let maxFeature = -1;
  let maxFeatureAt = r.offset;
  const [idx1What, idx2What, thresholdWhat] = ['idx1', 'idx2', 'threshold'].map((field) => `${what} split ${field}`);
  for (let i = 0; i < splitCount; i++) {
    const at = r.offset;
    idx1[i] = r.count(idx1What);
    idx2[i] = r.count(idx2What);
    thresholds[i] = r.finiteReal(thresholdWhat);
    if (Math.max(idx1[i], idx2[i]) > maxFeature) {
      maxFeature = Math.max(idx1[i], idx2[i]);
      maxFeatureAt = at;
    }
  }
  const leavesStart = r.offset;
  const leafCount = vectorLength(r, MIN_COLUMN_VECTOR_BYTES, `${what} leaves`);
  // Prediction walks 2i+1 / 2i+2 down to a leaf: only a complete tree keeps it in bounds.
  if (leafCount !== splitCount + 1 || (leafCount & (leafCount - 1)) !== 0) {
    r.fail(`${what} has ${splitCount} splits and ${leafCount} leaves; a complete tree has 2^d - 1 and 2^d`, leavesStart);
  }
  checkCount(r, leafCount * shapeLength, MIN_FLOAT_BYTES, `${what} leaves`, leavesStart);
  const leaves = new Float32Array(leafCount * shapeLength);
  for (let i = 0; i < leafCount; i++) {
    columnVectorRows(r, `${what} leaf`, shapeLength);
    r.finiteReals(leaves, i * shapeLength, shapeLength, `${what} leaf`);
  }
  return { idx1, idx2, thresholds, leaves, maxFeature, maxFeatureAt };
}

/**
 * Reads a dlib `shape_predictor` file (`serialize(sp, out)`; the layout is in
 * dlib's `shape_predictor.h`): version 1, the initial shape, the forests of
 * every cascade level, then every level's feature pixel anchors and deltas.
 * Every failure is a DatFormatError with the byte offset.
 */
export function readShapePredictor(bytes: Uint8Array | ArrayBuffer): ShapePredictorModel {
  const r = new DlibByteReader(bytes);
  if (r.remaining === 0) r.fail('the file is empty');
  r.version('shape_predictor', 1);
  const shapeStart = r.offset;
  const initialShape = new Float32Array(columnVectorRows(r, 'initial_shape'));
  r.finiteReals(initialShape, 0, initialShape.length, 'initial_shape');
  if (initialShape.length === 0 || initialShape.length % 2 !== 0) {
    r.fail(`initial_shape has ${initialShape.length} values; a shape is a positive number of x y pairs`, shapeStart);
  }
  const numParts = initialShape.length / 2;

  const levelCount = vectorLength(r, 2, 'forests');
  const forests: ReturnType<typeof readTree>[][] = [];
  for (let level = 0; level < levelCount; level++) {
    const treeCount = vectorLength(r, MIN_TREE_BYTES, `level ${level} trees`);
    const trees = [];
    for (let t = 0; t < treeCount; t++) trees.push(readTree(r, initialShape.length, `level ${level} tree ${t}`));
    forests.push(trees);
  }

  const anchorsStart = r.offset;
  if (r.count('anchor_idx count') !== levelCount)
    r.fail(`anchor_idx does not have one entry per cascade level (${levelCount})`, anchorsStart);
  const anchors: Uint32Array[] = [];
  for (let level = 0; level < levelCount; level++) {
    const count = vectorLength(r, 2, `level ${level} anchor_idx`);
    const values = new Uint32Array(count);
    for (let j = 0; j < count; j++) {
      const at = r.offset;
      values[j] = r.count(`level ${level} anchor_idx`);
      if (values[j] >= numParts) r.fail(`level ${level} anchor_idx ${values[j]} is not one of the ${numParts} parts`, at);
    }
    anchors.push(values);
  }

  const deltasStart = r.offset;
  if (r.count('deltas count') !== levelCount) r.fail(`deltas does not have one entry per cascade level (${levelCount})`, deltasStart);
  const levels: CascadeLevel[] = [];
  for (let level = 0; level < levelCount; level++) {
    const start = r.offset;
    const count = vectorLength(r, 2 * MIN_FLOAT_BYTES, `level ${level} deltas`);
    if (count !== anchors[level].length) {
      r.fail(`level ${level} has ${anchors[level].length} anchors but ${count} deltas`, start);
    }
    const deltas = new Float32Array(2 * count);
    r.finiteReals(deltas, 0, 2 * count, `level ${level} delta`);
    for (const tree of forests[level]) {
      if (tree.maxFeature >= count) {
        r.fail(`a split of level ${level} reads feature pixel ${tree.maxFeature}, but the level has ${count}`, tree.maxFeatureAt);
      }
    }
    levels.push({
      trees: forests[level].map(({ idx1, idx2, thresholds, leaves }) => ({ idx1, idx2, thresholds, leaves })),
      anchors: anchors[level],
      deltas,
    });
  }
  if (r.remaining !== 0) r.fail(`${r.remaining} unexpected bytes after the shape predictor`);
  return { initialShape, levels };
}
