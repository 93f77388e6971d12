import { beforeAll, describe, expect, it } from 'vitest';
import { readShapePredictor, type ShapePredictorModel } from '../src/dlib/shape-predictor-reader.js';
import { MessageChannel } from 'node:worker_threads';
import {
  createShapePredictor,
  loadShapePredictorWrittenBy,
  loadSharedShapePredictor,
  shapePredictorSizes,
  shareShapePredictor,
  type SharedShapePredictor,
  writeShapePredictorTrees,
} from '../src/face/shape-predictor.js';
import { DatFormatError, InputError, loadShapePredictor, type Point, type RgbImage, type ShapePredictor } from '../src/index.js';
import { faceFixtures, landmarkModel5Bytes, landmarkModel68Bytes, photo, type FaceFixture } from './support/face-fixtures.js';
import { fixture } from './support/helpers.js';
import { RESERVED_BYTES } from '../src/memory-layout.js';
import { dlibColumn, dlibFloat, dlibInt, writeShapePredictor, type TestShapePredictor } from './support/shape-predictor-writer.js';

// dlib's landmarks are integer pixels: parity "within 0.01 px" means equal.
function maxPointError(actual: Point[], expected: Point[]): number {
  expect(actual).toHaveLength(expected.length);
  return actual.reduce((most, [x, y], i) => Math.max(most, Math.abs(x - expected[i][0]), Math.abs(y - expected[i][1])), 0);
}

/** The summary dlib's own deserialize() printed for a model (fixtures/shape_predictor_model_dumps.txt). */
function dlibSummary(file: string): {
  parts: number;
  levels: number;
  trees: number;
  leafCount: number;
  leafSum: number;
  thresholdSum: number;
  indexSum: number;
  anchorSum: number;
  deltaSum: number;
} {
  const lines = new TextDecoder()
    .decode(fixture('shape_predictor_model_dumps.txt'))
    .split('\n')
    .filter((l) => l.startsWith(`sp ${file}:`));
  const number = (pattern: RegExp) => Number(lines.join('\n').match(pattern)![1]);
  return {
    parts: number(/ parts (\d+)/),
    levels: number(/ cascades (\d+)/),
    trees: number(/ trees (\d+)/),
    leafCount: number(/leaf_values (\d+)/),
    leafSum: number(/leaf_values \d+ sum (\S+);/),
    thresholdSum: number(/thresh_sum (\S+);/),
    indexSum: number(/idx1\+2\*idx2 sum (\d+)/),
    anchorSum: number(/anchor_idx sum (\d+);/),
    deltaSum: number(/deltas sum (\S+)/),
  };
}

function summarize(model: ShapePredictorModel) {
  let leafCount = 0,
    leafSum = 0,
    thresholdSum = 0,
    indexSum = 0,
    anchorSum = 0,
    deltaSum = 0;
  for (const { trees, anchors, deltas } of model.levels) {
    for (const { idx1, idx2, thresholds, leaves } of trees) {
      leafCount += leaves.length;
      leaves.forEach((v) => {
        leafSum += v;
      });
      thresholds.forEach((v, i) => {
        thresholdSum += v;
        indexSum += idx1[i] + 2 * idx2[i];
      });
    }
    anchors.forEach((a) => {
      anchorSum += a;
    });
    deltas.forEach((d) => {
      deltaSum += d;
    });
  }
  return {
    parts: model.initialShape.length / 2,
    levels: model.levels.length,
    trees: model.levels[0].trees.length,
    leafCount,
    leafSum,
    thresholdSum,
    indexSum,
    anchorSum,
    deltaSum,
  };
}

function expectSummary(model: ShapePredictorModel, file: string): void {
  const actual = summarize(model);
  const expected = dlibSummary(file);
  for (const key of ['parts', 'levels', 'trees', 'leafCount', 'indexSum', 'anchorSum'] as const)
    expect(actual[key], key).toBe(expected[key]);
  // dlib printed the sums with 11 significant digits.
  for (const key of ['leafSum', 'thresholdSum', 'deltaSum'] as const) expect(actual[key], key).toBeCloseTo(expected[key], 6);
}

/** A model laid out once (writeShapePredictorTrees): its sizes and layout, and its trees as the CLI's cache keeps them. */
async function packShapePredictor(model: ShapePredictorModel) {
  const {
    memory,
    slots: _,
    ...layout
  } = (await shareShapePredictor(shapePredictorSizes(model), 1, async (trees) => writeShapePredictorTrees(model, trees)))!;
  return { ...layout, trees: new Uint8Array(memory.buffer, RESERVED_BYTES, layout.end - RESERVED_BYTES).slice() };
}

describe.each([
  {
    name: '68-point (dlib, libdlib-data)',
    set: 'faces' as const,
    file: 'shape_predictor_68_face_landmarks.dat',
    bytes: landmarkModel68Bytes,
  },
  { name: '5-point (bundled)', set: 'faces5' as const, file: 'shape_predictor_5_face_landmarks_lfw.dat', bytes: landmarkModel5Bytes },
])('$name shape predictor', ({ set, file, bytes }) => {
  let model: ShapePredictorModel;
  let predictor: ShapePredictor;
  const faces = faceFixtures(set);

  beforeAll(() => {
    // Parsed once per model: the 68-point file is 100 MB.
    model = readShapePredictor(bytes());
    predictor = createShapePredictor(model);
  });

  it("reads the file as dlib does (its deserialize()'s summary)", () => {
    expectSummary(model, file);
    expect(predictor.numParts).toBe(set === 'faces' ? 68 : 5);
  });

  it(`finds dlib's landmarks for all ${faces.length} faces, given dlib's detection rect`, async () => {
    let worst = 0;
    for (const face of faces) {
      const image = await photo(face.image);
      const error = maxPointError(predictor.predict(image, face.detection.rect), face.landmarks);
      expect(error, face.id).toBeLessThanOrEqual(0.01);
      worst = Math.max(worst, error);
    }
    expect(worst).toBe(0);
  });

  it("shared by threads (the CLI's workers): one memory posted to another thread, each thread with buffers of its own, the same landmarks", async () => {
    const packed = await packShapePredictor(model);
    const shared = await shareShapePredictor(packed, 2, async (trees) => {
      trees.set(packed.trees);
      return true;
    });
    expect(shared!.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<SharedShapePredictor>((resolve) => port2.once('message', resolve));
    port1.postMessage(shared);
    const posted = await received;
    port1.close();
    // One memory on both sides: a byte written through the original is seen through the posted one.
    const bytes = new Uint8Array(shared!.memory.buffer);
    const at = RESERVED_BYTES + packed.trees.length - 1;
    const kept = bytes[at];
    bytes[at] = kept ^ 0xff;
    expect(new Uint8Array(posted.memory.buffer)[at]).toBe(kept ^ 0xff);
    bytes[at] = kept;
    const first = await loadSharedShapePredictor(shared!, 0);
    const second = await loadSharedShapePredictor(posted, 1);
    expect(second.numParts).toBe(predictor.numParts);
    // The second slot's predictions leave the first's shape as it was.
    const shapeOfFirst = () => Array.from(new Float32Array(shared!.memory.buffer, shared!.buffers.shape, 2 * predictor.numParts));
    for (const [i, face] of faces.entries()) {
      const image = await photo(face.image);
      expect(first.predict(image, face.detection.rect), face.id).toEqual(face.landmarks);
      const before = shapeOfFirst();
      const other = faces[(i + 1) % faces.length];
      expect(second.predict(await photo(other.image), other.detection.rect), other.id).toEqual(other.landmarks);
      expect(shapeOfFirst()).toEqual(before);
    }
    await expect(loadSharedShapePredictor(shared!, 2)).rejects.toThrow(RangeError);
  });

  it("written straight into the predictor's memory (the CLI's cache read there), finds the same landmarks; trees not whole or damaged give none", async () => {
    const packed = await packShapePredictor(model);
    const written = await loadShapePredictorWrittenBy(packed, async (trees) => {
      expect(trees.length).toBe(packed.trees.length);
      trees.set(packed.trees);
      return true;
    });
    expect(written!.numParts).toBe(predictor.numParts);
    for (const face of faces) {
      const image = await photo(face.image);
      expect(written!.predict(image, face.detection.rect), face.id).toEqual(face.landmarks);
    }
    // Said to be cut short, though every byte is there: not taken.
    const cutShort = await loadShapePredictorWrittenBy(packed, async (trees) => {
      trees.set(packed.trees);
      return false;
    });
    expect(cutShort).toBeUndefined();
    // A split's feature pixel past its level's: not taken.
    const level = packed.levels[1];
    const damaged = await loadShapePredictorWrittenBy(packed, async (trees) => {
      trees.set(packed.trees);
      new DataView(trees.buffer, trees.byteOffset).setInt32(level.splitFeatureBytes - RESERVED_BYTES, 4 * level.anchors.length, true);
      return true;
    });
    expect(damaged).toBeUndefined();
    // Sizes that are no model's are refused before anything is written.
    let asked = false;
    const levels = packed.levels.map((l, i) => (i === 1 ? { ...l, leafCount: l.leafCount + 1 } : l));
    const noModel = await loadShapePredictorWrittenBy({ ...packed, levels }, async () => {
      asked = true;
      return true;
    });
    expect(noModel).toBeUndefined();
    expect(asked).toBe(false);
  });

  it('packed trees kept elsewhere (the CLI cache) are taken back only where every index keeps the forest kernel within them', async () => {
    const packed = await packShapePredictor(model);
    const share = (trees: Uint8Array, sizes = packed) =>
      shareShapePredictor(sizes, 1, async (into) => {
        if (into.length !== trees.length) return false;
        into.set(trees);
        return true;
      });
    const { memory, slots, ...layout } = (await share(packed.trees))!;
    const { trees: _, ...packedLayout } = packed;
    expect(layout).toEqual(packedLayout);
    expect(slots).toBe(1);
    expect(Buffer.from(memory.buffer, RESERVED_BYTES, packed.trees.length).equals(Buffer.from(packed.trees))).toBe(true);
    const level = packed.levels[1];
    const at = (address: number) => address - RESERVED_BYTES;
    const damaged = (offset: number, value: number) => {
      const copy = packed.trees.slice();
      new DataView(copy.buffer).setInt32(offset, value, true);
      return share(copy);
    };
    // A feature pixel past the level's, or between two; a tree's splits past the next tree's, or not a whole tree; its leaves elsewhere.
    expect(await damaged(at(level.splitFeatureBytes) + 8 * 3, 4 * level.anchors.length)).toBeUndefined();
    expect(await damaged(at(level.splitFeatureBytes) + 4, 2)).toBeUndefined();
    expect(await damaged(at(level.splitStarts) + 4 * 2, 10 ** 6)).toBeUndefined();
    const splitStart = new DataView(packed.trees.buffer).getInt32(at(level.splitStarts) + 4 * 2, true);
    expect(await damaged(at(level.splitStarts) + 4 * 2, splitStart + 1)).toBeUndefined();
    expect(await damaged(at(level.leafStarts) + 4, -1)).toBeUndefined();
    // Cut short, or sizes that place the trees elsewhere; a model laid out into bytes of another length.
    expect(await share(packed.trees.subarray(0, packed.trees.length - 4))).toBeUndefined();
    expect(writeShapePredictorTrees(model, new Uint8Array(packed.trees.length - 4))).toBe(false);
    const levels = packed.levels.map((l, i) => (i === 1 ? { ...l, treeCount: l.treeCount - 1, leafCount: l.leafCount - 1 } : l));
    expect(await share(packed.trees, { ...packed, levels })).toBeUndefined();
  });

  it('reads RGBA and RGB pixels alike', async () => {
    const face = faces.find((f: FaceFixture) => f.image === 'bald_guys.jpg')!;
    const rgba = await photo(face.image);
    const rgb: RgbImage = { width: rgba.width, height: rgba.height, data: new Uint8Array(rgba.width * rgba.height * 3) };
    for (let p = 0; p < rgba.width * rgba.height; p++) rgb.data.set(rgba.data.subarray(4 * p, 4 * p + 3), 3 * p);
    expect(predictor.predict(rgb, face.detection.rect)).toEqual(face.landmarks);
  });
});

describe('shape predictor semantics, on a one-split model', () => {
  // Two parts at (0.25, 0.5) and (0.75, 0.5) of the box, one feature pixel on each; a single
  // split sends "pixel 0 brighter than pixel 1 by more than 1.2" to the leaf moving both parts
  // 0.1 box widths right, anything else to the leaf moving them left.
  const model: TestShapePredictor = {
    initialShape: [0.25, 0.5, 0.75, 0.5],
    levels: [
      {
        trees: [
          {
            splits: [[0, 1, 1.2]],
            leaves: [
              [0.1, 0, 0.1, 0],
              [-0.1, 0, -0.1, 0],
            ],
          },
        ],
        anchors: [0, 1],
        deltas: [
          [0, 0],
          [0, 0],
        ],
      },
    ],
  };
  let predictor: ShapePredictor;
  beforeAll(async () => {
    predictor = await loadShapePredictor(writeShapePredictor(model));
  });
  const rect = { left: 0, top: 0, right: 100, bottom: 100 };
  const image = (pixel: [number, number, number]): RgbImage => {
    const data = new Uint8Array(101 * 101 * 3);
    data.set(pixel, (50 * 101 + 25) * 3);
    return { width: 101, height: 101, data };
  };

  it('reads any number of parts, levels and tree depths', () => {
    expect(predictor.numParts).toBe(2);
  });

  it('compares grey levels as dlib makes them from RGB: the integer mean of the channels', () => {
    // (2 + 2 + 1) / 3 is 1 in integers (not 1.67, which would pass the 1.2 threshold).
    expect(predictor.predict(image([2, 2, 1]), rect)).toEqual([
      [15, 50],
      [65, 50],
    ]);
    expect(predictor.predict(image([2, 2, 2]), rect)).toEqual([
      [35, 50],
      [85, 50],
    ]);
  });

  it('reads pixels outside the image as 0', () => {
    // A white image and a box reaching past its right edge: feature pixel 1 falls outside,
    // reads 0 (not the edge's 255), and pixel 0 is brighter.
    const white = { width: 101, height: 101, data: new Uint8Array(101 * 101 * 3).fill(255) };
    expect(predictor.predict(white, { left: 40, top: 0, right: 140, bottom: 100 })).toEqual([
      [75, 50],
      [125, 50],
    ]);
  });
});

describe('bad shape predictor files', () => {
  const small: TestShapePredictor = {
    initialShape: [0.25, 0.5, 0.75, 0.5],
    levels: [
      {
        trees: [
          {
            splits: [[0, 1, 1.5]],
            leaves: [
              [0.1, 0, 0.1, 0],
              [-0.1, 0, -0.1, 0],
            ],
          },
        ],
        anchors: [0, 1],
        deltas: [
          [0, 0],
          [0, 0],
        ],
      },
    ],
  };
  const withLevel = (change: Partial<TestShapePredictor['levels'][0]>): TestShapePredictor => ({
    ...small,
    levels: [{ ...small.levels[0], ...change }],
  });
  const error = (bytes: Uint8Array): DatFormatError => {
    try {
      readShapePredictor(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(DatFormatError);
      return e as DatFormatError;
    }
    throw new Error('the file was accepted');
  };
  /** Where `part` first occurs in `bytes`. */
  const offsetOf = (bytes: Uint8Array, part: number[]) => bytes.findIndex((_, i) => part.every((b, k) => bytes[i + k] === b));

  it("writes floats as dlib does (the test files are dlib's format)", () => {
    const real = landmarkModel5Bytes();
    const initialShape = Array.from(readShapePredictor(real).initialShape);
    expect([...dlibInt(1), ...dlibColumn(initialShape)]).toEqual([...real.subarray(0, 66)]);
  });

  it('rejects a NaN or infinite threshold, leaf value or delta with its byte offset', () => {
    const nan = [...dlibInt(0), ...dlibInt(32002)];
    const infinity = [...dlibInt(0), ...dlibInt(32000)];
    const bytes = writeShapePredictor(small);
    const threshold = offsetOf(bytes, [...dlibInt(0), ...dlibInt(1), ...dlibFloat(1.5)]) + 4;
    const withValue = (at: number, length: number, value: number[]) =>
      new Uint8Array([...bytes.subarray(0, at), ...value, ...bytes.subarray(at + length)]);
    const badThreshold = error(withValue(threshold, dlibFloat(1.5).length, nan));
    expect(badThreshold.message).toMatch(/level 0 tree 0 split threshold is NaN/);
    expect(badThreshold.offset).toBe(threshold);
    const leaf = offsetOf(bytes, dlibFloat(-0.1));
    const badLeaf = error(withValue(leaf, dlibFloat(-0.1).length, infinity));
    expect(badLeaf.message).toMatch(/level 0 tree 0 leaf is Infinity/);
    expect(badLeaf.offset).toBe(leaf);
  });

  it('rejects an empty file, another version and trailing bytes', () => {
    expect(error(new Uint8Array(0)).message).toMatch(/the file is empty \(at byte 0\)/);
    const version2 = writeShapePredictor(small);
    version2[1] = 2;
    expect(error(version2).message).toMatch(/unsupported shape_predictor version 2 \(expected 1\) \(at byte 0\)/);
    const bytes = writeShapePredictor(small);
    const trailing = new Uint8Array([...bytes, 0]);
    expect(error(trailing).offset).toBe(bytes.length);
    expect(error(trailing).message).toMatch(/1 unexpected bytes after the shape predictor/);
  });

  it('reports where a truncated file ends, in every section of the real model', () => {
    const real = landmarkModel5Bytes();
    // Sections (shape_predictor_model_dumps.txt): initial shape to 66, forests to 8896166, anchors to 8908213.
    for (const length of [1, 2, 40, 66, 70, 5000, 8896166 + 3, 8908213 + 10, real.length - 1]) {
      // Either an element runs past the end (it starts just before it) or a count claims more than is left.
      const e = error(real.subarray(0, length));
      expect(e.offset, `cut at ${length}`).toBeLessThanOrEqual(length);
      if (/unexpected end of data/.test(e.message)) expect(e.offset, `cut at ${length}`).toBeGreaterThanOrEqual(length - 12);
      else expect(e.message, `cut at ${length}`).toMatch(/claims \d+ elements, more than the \d+ bytes left/);
    }
  });

  it('rejects a size field claiming more than the file holds, before allocating', () => {
    const bytes = writeShapePredictor(small);
    const levels = 2 + dlibColumn(small.initialShape).length;
    const huge = new Uint8Array([...bytes.subarray(0, levels), ...dlibInt(2 ** 40), ...bytes.subarray(levels + 2)]);
    expect(error(huge).message).toMatch(/forests count is 1099511627776, more than the allowed/);
    const many = new Uint8Array([...bytes.subarray(0, levels), ...dlibInt(2 ** 29), ...bytes.subarray(levels + 2)]);
    expect(error(many)).toMatchObject({ offset: levels, message: expect.stringMatching(/forests claims 536870912 elements/) });
  });

  it('rejects shapes, trees and indices that prediction could not use', () => {
    expect(error(writeShapePredictor({ ...small, initialShape: [0.5, 0.5, 0.5] })).message).toMatch(/initial_shape has 3 values/);
    const incomplete = error(
      writeShapePredictor(
        withLevel({
          trees: [
            {
              splits: [[0, 1, 1.5]],
              leaves: [
                [0, 0, 0, 0],
                [0, 0, 0, 0],
                [0, 0, 0, 0],
              ],
            },
          ],
        }),
      ),
    );
    expect(incomplete.message).toMatch(/1 splits and 3 leaves/);
    const shortLeaf = error(
      writeShapePredictor(
        withLevel({
          trees: [
            {
              splits: [[0, 1, 1.5]],
              leaves: [
                [0, 0],
                [0, 0],
              ],
            },
          ],
        }),
      ),
    );
    expect(shortLeaf.message).toMatch(/leaf has 2 values, expected 4/);
    const farSplit = writeShapePredictor(withLevel({ trees: [{ splits: [[0, 7, 1.5]], leaves: small.levels[0].trees[0].leaves }] }));
    expect(error(farSplit)).toMatchObject({
      offset: offsetOf(farSplit, [...dlibInt(0), ...dlibInt(7), ...dlibFloat(1.5)]),
      message: expect.stringMatching(/a split of level 0 reads feature pixel 7, but the level has 2/),
    });
    expect(error(writeShapePredictor(withLevel({ anchors: [0, 2] }))).message).toMatch(/anchor_idx 2 is not one of the 2 parts/);
    expect(error(writeShapePredictor(withLevel({ deltas: [[0, 0]] }))).message).toMatch(/2 anchors but 1 deltas/);
  });

  it("rejects a matrix that is not a column and dlib's pre-2013 text floats", () => {
    const bytes = writeShapePredictor(small);
    const twoColumns = bytes.slice();
    twoColumns.set(dlibInt(-2), 4); // initial_shape cols: -1 -> -2
    expect(error(twoColumns).message).toMatch(/initial_shape is a 4x2 matrix, not a column vector \(at byte 2\)/);
    const text = bytes.slice();
    text[6] = 0x21;
    expect(error(text)).toMatchObject({ offset: 6, message: expect.stringMatching(/old ASCII float format/) });
  });
});

describe('bad images and rects', () => {
  let predictor: ShapePredictor;
  beforeAll(async () => {
    predictor = await loadShapePredictor(landmarkModel5Bytes());
  });
  const image: RgbImage = { width: 40, height: 30, data: new Uint8Array(40 * 30 * 3) };
  const rect = { left: 5, top: 5, right: 30, bottom: 25 };
  const inputError = (f: () => unknown, message: RegExp) => {
    expect(f).toThrow(InputError);
    expect(f).toThrow(message);
  };

  it('rejects empty, 1x1, mis-sized and float images', () => {
    inputError(
      () => predictor.predict({ width: 0, height: 0, data: new Uint8Array(0) }, rect),
      /^image is 0x0; it must be at least 2x2 pixels$/,
    );
    inputError(() => predictor.predict({ width: 1, height: 1, data: new Uint8Array(3) }, rect), /1x1; it must be at least 2x2/);
    inputError(() => predictor.predict({ width: 40, height: 30, data: new Uint8Array(100) }, rect), /holds 100 bytes/);
    inputError(
      () => predictor.predict({ width: 40, height: 30, data: new Float32Array(3600) } as never, rect),
      /^image data must be a Uint8Array or Uint8ClampedArray of RGB or RGBA bytes$/,
    );
    inputError(() => predictor.predict(null as never, rect), /not an image/);
  });

  it('rejects rects outside the image, empty, fractional or missing', () => {
    inputError(() => predictor.predict(image, { left: 40, top: 5, right: 60, bottom: 25 }), /lies outside the 40x30 image/);
    inputError(() => predictor.predict(image, { left: -30, top: -30, right: -1, bottom: 10 }), /lies outside/);
    inputError(() => predictor.predict(image, { left: 20, top: 5, right: 10, bottom: 25 }), /is empty/);
    inputError(() => predictor.predict(image, { left: 5.5, top: 5, right: 30, bottom: 25 }), /integer coordinates/);
    inputError(() => predictor.predict(image, undefined as never), /rect must be/);
  });
});
