import { describe, expect, it } from 'vitest';
import { readDlibNetwork } from '../src/index.js';
import { tiledPyramidLayout, tiledPyramidRows } from '../src/input/tiled-image-pyramid.js';
import { fixture } from './support/helpers.js';

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
});
