import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planChipExtraction } from '../src/face/image-chip-extractor.js';
import {
  DisposedError,
  InputError,
  getFaceChipDetails,
  loadFaceRecognitionModel,
  loadImageChipExtractor,
  loadShapePredictor,
  type AffineTransform,
  type ChipRegion,
  type FaceRecognitionModel,
  type ImageChipExtractor,
  type Point,
  type RgbImage,
} from '../src/index.js';
import { faceFixtures, landmarkModel5Bytes, landmarkModel68Bytes, photo, type FaceFixture } from './support/face-fixtures.js';
import { faceModelBytes, fixturePng, maxAbsDiff } from './support/helpers.js';

const sets = [
  { set: 'faces' as const, points: 68, model: landmarkModel68Bytes },
  { set: 'faces5' as const, points: 5, model: landmarkModel5Bytes },
];

function affineError(actual: AffineTransform, expected: AffineTransform): number {
  return maxAbsDiff([...actual.m.flat(), ...actual.b], [...expected.m.flat(), ...expected.b]);
}

/** Largest channel difference and share of equal channel values, between an RGB chip and a PNG of dlib's (RGBA). */
function compareChip(chip: RgbImage, expected: RgbImage): { maxDiff: number; equal: number } {
  expect([chip.width, chip.height]).toEqual([expected.width, expected.height]);
  let maxDiff = 0,
    equal = 0;
  const pixels = chip.width * chip.height;
  for (let p = 0; p < pixels; p++) {
    for (let k = 0; k < 3; k++) {
      const diff = Math.abs(chip.data[3 * p + k] - expected.data[4 * p + k]);
      maxDiff = Math.max(maxDiff, diff);
      if (diff === 0) equal++;
    }
  }
  return { maxDiff, equal: equal / (3 * pixels) };
}

let extractor: ImageChipExtractor;
beforeAll(async () => {
  extractor = await loadImageChipExtractor();
});
afterAll(() => extractor.dispose());

describe.each(sets)("chips of $set ($points landmarks from dlib's run)", ({ set }) => {
  const faces = faceFixtures(set);

  it(`gives dlib's chip details for all ${faces.length} faces: the image-to-chip affine within 1e-6`, async () => {
    let worst = 0;
    for (const face of faces) {
      const details = getFaceChipDetails(face.landmarks, 150, 0.25);
      const expected = face.chip_details;
      const error = affineError(details.imageToChip, expected.image_to_chip_affine);
      expect(error, face.id).toBeLessThan(1e-6);
      worst = Math.max(worst, error);
      expect(maxAbsDiff(Object.values(details.rect), Object.values(expected.rect)), face.id).toBeLessThan(1e-6);
      expect(details.angle, face.id).toBeCloseTo(expected.angle, 12);
      expect([details.rows, details.cols]).toEqual([150, 150]);
      const image = await photo(face.image);
      expect(planChipExtraction(image.width, image.height, details).level, face.id).toBe(expected.pyramid_level);
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it("cuts dlib's chips from the photos: every channel within 1 grey level and >= 99.9% equal, per chip", async () => {
    let worstDiff = 0,
      worstEqual = 1;
    for (const face of faces) {
      const chip = extractor.extractImageChip(await photo(face.image), getFaceChipDetails(face.landmarks, 150, 0.25));
      const { maxDiff, equal } = compareChip(chip, fixturePng(face.chipPng));
      expect(maxDiff, face.id).toBeLessThanOrEqual(1);
      expect(equal, face.id).toBeGreaterThanOrEqual(0.999);
      worstDiff = Math.max(worstDiff, maxDiff);
      worstEqual = Math.min(worstEqual, equal);
    }
    // What this implementation reaches: dlib's pixels exactly.
    expect([worstDiff, worstEqual]).toEqual([0, 1]);
  });
});

describe('the whole pipeline: photo and detection -> landmarks -> chip -> descriptor', () => {
  let network: FaceRecognitionModel;
  beforeAll(async () => {
    network = await loadFaceRecognitionModel(faceModelBytes(), { threads: 1 });
  });
  afterAll(() => network.dispose());

  it.each(sets)("gives dlib's descriptors for every face of $set within 1e-4", async ({ set, model }) => {
    const predictor = await loadShapePredictor(model());
    const faces = faceFixtures(set);
    const chips: RgbImage[] = [];
    for (const face of faces) {
      const image = await photo(face.image);
      const landmarks = predictor.predict(image, face.detection.rect);
      chips.push(extractor.extractImageChip(image, getFaceChipDetails(landmarks, 150, 0.25)));
    }
    const descriptors = await network.computeFaceDescriptors(chips);
    const errors = faces.map((face: FaceFixture, i) => maxAbsDiff(descriptors[i], face.descriptor));
    faces.forEach((face, i) => expect(errors[i], face.id).toBeLessThan(1e-4));
    expect(errors.reduce((a, b) => Math.max(a, b))).toBeLessThan(1e-5);
  });
});

// A plain transcription of dlib's pyramid_down<2> (RGB) and bilinear transform_image, for
// pyramid levels the photos do not reach.
function pyramidDown(image: RgbImage, stride: number): RgbImage {
  if (image.width <= 8 || image.height <= 8) return { width: 0, height: 0, data: new Uint8Array(0) };
  const width = Math.floor((image.width - 3) / 2),
    height = Math.floor((image.height - 3) / 2);
  const rowSums = (r: number, c: number, k: number) =>
    [0, 1, 2, 3, 4].reduce((sum, i) => sum + [1, 4, 6, 4, 1][i] * image.data[(r * image.width + 2 * c + i) * stride + k], 0);
  const data = new Uint8Array(width * height * 3);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      for (let k = 0; k < 3; k++) {
        const sum = [0, 1, 2, 3, 4].reduce((s, i) => s + [1, 4, 6, 4, 1][i] * rowSums(2 * r + i, c, k), 0);
        data[(r * width + c) * 3 + k] = Math.floor(sum / 256);
      }
    }
  }
  return { width, height, data };
}

function warpBilinear(image: RgbImage, stride: number, { m, b }: AffineTransform, rows: number, cols: number): Uint8Array {
  const out = new Uint8Array(rows * cols * 3);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = m[0][0] * c + m[0][1] * r + b[0],
        y = m[1][0] * c + m[1][1] * r + b[1];
      const left = Math.floor(x),
        top = Math.floor(y);
      if (!(left >= 0 && top >= 0 && left + 1 < image.width && top + 1 < image.height)) continue;
      const fx = x - left,
        fy = y - top;
      const at = (yy: number, xx: number, k: number) => image.data[(yy * image.width + xx) * stride + k];
      for (let k = 0; k < 3; k++) {
        const v =
          (1 - fy) * ((1 - fx) * at(top, left, k) + fx * at(top, left + 1, k)) +
          fy * ((1 - fx) * at(top + 1, left, k) + fx * at(top + 1, left + 1, k));
        out[(r * cols + c) * 3 + k] = Math.trunc(v);
      }
    }
  }
  return out;
}

function noiseImage(width: number, height: number, channels: number): RgbImage {
  const data = new Uint8Array(width * height * channels);
  let seed = 12345;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[i] = (seed >>> 16) & 255;
  }
  return { width, height, data };
}

describe('chip extraction beyond the photos', () => {
  it.each([
    { size: 150, level: 1 },
    { size: 60, level: 2 },
  ])('samples level $level of the pyramid for an 800-pixel rect cut to $size pixels, as dlib', ({ size, level }) => {
    const image = noiseImage(1100, 900, 4);
    const details: ChipRegion = { rect: { left: 150, top: 60, right: 949, bottom: 859 }, angle: 0.3, rows: size, cols: size };
    const plan = planChipExtraction(image.width, image.height, details);
    expect(plan.level).toBe(level);
    const { crop } = plan;
    let source: RgbImage = { width: crop.right - crop.left + 1, height: crop.bottom - crop.top + 1, data: new Uint8Array(0) };
    source.data = new Uint8Array(source.width * source.height * 4);
    for (let r = 0; r < source.height; r++) {
      const s = ((crop.top + r) * image.width + crop.left) * 4;
      source.data.set(image.data.subarray(s, s + source.width * 4), r * source.width * 4);
    }
    let stride = 4;
    for (let i = 0; i <= level; i++, stride = 3) source = pyramidDown(source, stride);
    const expected = warpBilinear(source, 3, plan.chipToSource, size, size);
    expect(extractor.extractImageChip(image, details).data).toEqual(expected);
  });

  it("copies an unrotated rect of exactly the chip's size as it is, black outside the image", () => {
    const image = noiseImage(40, 30, 3);
    const chip = extractor.extractImageChip(image, { rect: { left: -2, top: 23, right: 7, bottom: 32 }, angle: 0, rows: 10, cols: 10 });
    for (let r = 0; r < 10; r++) {
      for (let c = 0; c < 10; c++) {
        const [x, y] = [c - 2, r + 23];
        const expected = x >= 0 && y < 30 ? [...image.data.subarray((y * 40 + x) * 3, (y * 40 + x) * 3 + 3)] : [0, 0, 0];
        expect([...chip.data.subarray((r * 10 + c) * 3, (r * 10 + c) * 3 + 3)], `(${c}, ${r})`).toEqual(expected);
      }
    }
  });

  it("writes into a caller's buffer exactly the chip it would allocate, copied or warped, over what the buffer held", () => {
    const image = noiseImage(300, 200, 3);
    const warped: ChipRegion = { rect: { left: 40, top: 30, right: 189, bottom: 179 }, angle: 0.2, rows: 150, cols: 150 };
    // Unrotated, exactly the chip's size, partly outside the image: copied, black outside.
    const copied: ChipRegion = { rect: { left: 250, top: -5, right: 399, bottom: 144 }, angle: 0, rows: 150, cols: 150 };
    const into = new Uint8Array(150 * 150 * 3);
    for (const details of [warped, copied]) {
      into.fill(77);
      const chip = extractor.extractImageChip(image, details, into);
      expect(chip.data).toBe(into);
      expect([chip.width, chip.height]).toEqual([150, 150]);
      expect(chip.data).toEqual(extractor.extractImageChip(image, details).data);
    }
    // The copied chip's first pixel lies above the image.
    expect(into.subarray(0, 3)).toEqual(new Uint8Array([0, 0, 0]));
  });

  it('reads RGB and RGBA images alike', async () => {
    const face = faceFixtures('faces').find((f) => f.id === 'Tom_Cruise_avp_2014_4_f00')!;
    const rgba = await photo(face.image);
    const rgb: RgbImage = { width: rgba.width, height: rgba.height, data: new Uint8Array(rgba.width * rgba.height * 3) };
    for (let p = 0; p < rgba.width * rgba.height; p++) rgb.data.set(rgba.data.subarray(4 * p, 4 * p + 3), 3 * p);
    const details = getFaceChipDetails(face.landmarks);
    expect(extractor.extractImageChip(rgb, details).data).toEqual(extractor.extractImageChip(rgba, details).data);
  });
});

describe('bad input', () => {
  const shape5: Point[] = [
    [120, 208],
    [115, 208],
    [102, 207],
    [107, 208],
    [109, 218],
  ];
  const image = noiseImage(300, 300, 3);
  const inputError = (f: () => unknown, message: RegExp) => {
    expect(f).toThrow(InputError);
    expect(f).toThrow(message);
  };

  it('rejects shapes that are not 5 or 68 finite points, and bad sizes and paddings', () => {
    inputError(() => getFaceChipDetails(shape5.slice(0, 4)), /5 or 68 points .* got 4 points/);
    inputError(() => getFaceChipDetails(Array.from({ length: 67 }, () => [1, 2] as Point)), /got 67 points/);
    inputError(() => getFaceChipDetails('face' as never), /not an array of points/);
    inputError(() => getFaceChipDetails([...shape5.slice(0, 4), [NaN, 3]]), /shape point 4 is not a finite/);
    inputError(() => getFaceChipDetails(shape5, 0), /chip size must be an integer/);
    inputError(() => getFaceChipDetails(shape5, 150.5), /chip size must be an integer/);
    inputError(() => getFaceChipDetails(shape5, 150, -0.1), /padding must be/);
  });

  it('rejects empty and 1x1 images, rects outside the image and unusable details', () => {
    const details = getFaceChipDetails(shape5);
    inputError(
      () => extractor.extractImageChip({ width: 0, height: 0, data: new Uint8Array(0) }, details),
      /^image is 0x0; it must be at least 2x2 pixels$/,
    );
    inputError(() => extractor.extractImageChip({ width: 1, height: 1, data: new Uint8Array(4) }, details), /at least 2x2/);
    inputError(
      () => extractor.extractImageChip(image, getFaceChipDetails(shape5.map(([x, y]) => [x + 1000, y] as Point))),
      /lies outside the 300x300 image/,
    );
    inputError(() => extractor.extractImageChip(image, { ...details, rows: 0 }), /chip size 150x0/);
    inputError(() => extractor.extractImageChip(image, { ...details, angle: NaN }), /non-finite/);
    inputError(() => extractor.extractImageChip(image, { ...details, rect: { left: 10, top: 10, right: 5, bottom: 20 } }), /is empty/);
    inputError(() => extractor.extractImageChip(image, undefined as never), /chip details must be/);
  });

  it("rejects a buffer of the wrong size or type, or the image's own memory, to cut a chip into", () => {
    const details = getFaceChipDetails(shape5);
    inputError(
      () => extractor.extractImageChip(image, details, new Uint8Array(150 * 150 * 3 - 1)),
      /150x150 chip goes into a Uint8Array of 67500 bytes, not 67499 bytes/,
    );
    inputError(() => extractor.extractImageChip(image, details, new Float32Array(67500) as never), /not a Float32Array/);
    inputError(() => extractor.extractImageChip(image, details, [] as never), /not an array of 0/);
    inputError(() => extractor.extractImageChip(image, details, image.data.subarray(0, 67500) as Uint8Array), /image's own memory/);
  });

  it('refuses work once disposed', async () => {
    const disposed = await loadImageChipExtractor();
    disposed.dispose();
    expect(() => disposed.extractImageChip(image, getFaceChipDetails(shape5))).toThrow(DisposedError);
  });
});
