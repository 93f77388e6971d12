import { describe, expect, it } from 'vitest';
import { MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from '../src/image.js';
import { loadCnnFaceDetector, readDlibNetwork, type RgbImage } from '../src/index.js';
import { KEPT_LEVEL_BYTES, tiledPyramidLayout, tiledPyramidRows } from '../src/input/tiled-image-pyramid.js';
import { photo } from './support/face-fixtures.js';
import { fixture } from './support/helpers.js';
import { QUICK } from './support/suite.js';

const input = readDlibNetwork(fixture('dlib-models/mmod_human_face_detector.dat')).input;
if (input.kind !== 'input_rgb_image_pyramid') throw new Error('the face detector has a pyramid input');

/** A deterministic RGBA image with edges and texture everywhere. */
function texturedImage(width: number, height: number) {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    data.set([(x * 7 + y * 3) & 255, ((x ^ y) * 5) & 255, (x * y) % 251, 255], i * 4);
  }
  return { width, height, data };
}

/** The rows read in bands of `height` rows, each starting `overlap` rows above the end of the one before, stitched. */
function readInBands(tensor: ReturnType<typeof tiledPyramidRows>['tensor'], height: number, overlap: number): Float32Array {
  const { rows, cols } = tensor;
  const out = new Float32Array(3 * rows * cols);
  for (let start = 0; start < rows; start += height - overlap) {
    const end = Math.min(start + height, rows);
    const band = tensor.readRows(start, end);
    for (let c = 0; c < 3; c++)
      out.set(band.data.subarray(c * (end - start) * cols, (c + 1) * (end - start) * cols), (c * rows + start) * cols);
    if (end === rows) break;
  }
  return out;
}

describe('the tiled pyramid made by rows', () => {
  // 300x220: a first column of 5 levels, 14 levels up the second.
  const image = texturedImage(300, 220);
  const whole = tiledPyramidRows(image, input).tensor.readRows(0, tiledPyramidLayout(image, input).height).data;

  it('read whole, every level made once and kept, it is the normalized image at level 0 and resized levels below', () => {
    const layout = tiledPyramidLayout(image, input);
    const cols = layout.width;
    const [l0, l1] = layout.levels;
    expect(whole[l0.top * cols + l0.left]).toBe(Math.fround(image.data[0] - Math.fround(input.mean[0])) / 256);
    expect(whole[l1.top * cols + l1.left]).toBe(whole[l0.top * cols + l0.left]); // the resize's first pixel is the source's
    expect(whole[0]).toBe(0);
  });

  it.each([
    ['kept', undefined],
    ['made again from the image for each first-column level', 0],
  ])('read in overlapping bands, the levels %s, it is the whole tensor bit for bit', (_, keptLevelBytes) => {
    const { tensor } = tiledPyramidRows(image, input, keptLevelBytes);
    const banded = readInBands(tensor, 97, 40);
    expect(banded.length).toBe(whole.length);
    expect(Buffer.from(banded.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
  });

  it('read in bands in one array, whatever the rows asked before it held, it is the whole tensor bit for bit', () => {
    const { tensor } = tiledPyramidRows(image, input);
    // A tall read first: the bands after it take its array, holding its rows.
    tensor.readRows(0, tensor.rows);
    for (const overlap of [0, 40])
      expect(Buffer.from(readInBands(tensor, 97, overlap).buffer).equals(Buffer.from(whole.buffer))).toBe(true);
  });
});

/** `tile` repeated over a width x height RGB image from its top left corner. */
function tiled(tile: RgbImage, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  const stride = tile.data.length / (tile.width * tile.height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = ((y % tile.height) * tile.width + (x % tile.width)) * stride;
      data.set(tile.data.subarray(from, from + 3), (y * width + x) * 3);
    }
  }
  return { width, height, data };
}

describe('an 8000x8000 photo through the CNN face detector', () => {
  // ~75 s of CPU (~45 s on 2 idle cores): the whole suite only.
  it.skipIf(QUICK)(
    'finds faces in every whole copy of bald_guys tiled over it, in under 2 GiB of wasm memory',
    { timeout: 600_000 },
    async () => {
      const image = tiled(await photo('bald_guys.jpg'), 8000, 8000);
      const layout = tiledPyramidLayout(image, input);
      // Its tiled pyramid is past the size limits of an input, and its levels past those kept whole: made as bands ask.
      expect(layout.height).toBeGreaterThan(MAX_IMAGE_SIDE);
      expect(layout.width * layout.height).toBeGreaterThan(MAX_IMAGE_PIXELS);
      let levelBytes = 0;
      for (const r of layout.levels.slice(1)) levelBytes += 12 * (r.right - r.left + 1) * (r.bottom - r.top + 1);
      expect(levelBytes).toBeGreaterThan(KEPT_LEVEL_BYTES);
      const detector = await loadCnnFaceDetector(fixture('dlib-models/mmod_human_face_detector.dat'), { threads: 2 });
      try {
        const found = await detector.detectFaces(image, { upsample: 0 });
        expect(detector.memoryBytes).toBeLessThanOrEqual(2 * 2 ** 30);
        const { width: w, height: h } = await photo('bald_guys.jpg');
        const copies = new Map<string, number>();
        for (const { rect } of found) {
          const key = `${Math.floor((rect.left + rect.right) / 2 / w)},${Math.floor((rect.top + rect.bottom) / 2 / h)}`;
          copies.set(key, (copies.get(key) ?? 0) + 1);
        }
        for (let y = 0; y + h <= 8000; y += h)
          for (let x = 0; x + w <= 8000; x += w) expect(copies.get(`${x / w},${y / h}`)).toBeGreaterThan(0);
      } finally {
        detector.dispose();
      }
    },
  );
});
