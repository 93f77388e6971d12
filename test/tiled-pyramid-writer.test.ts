import { describe, expect, it } from 'vitest';
import { createKernelMemory, instantiateKernels } from '../src/engine/kernels.js';
import { DlibNetwork } from '../src/engine/network.js';
import { type ParallelCall, runWhole } from '../src/engine/parallel-call.js';
import { loadKernelsForThreads, ThreadTeam } from '../src/engine/thread-team.js';
import type { RgbImage } from '../src/image.js';
import { readDlibNetwork } from '../src/index.js';
import { KEPT_LEVEL_BYTES, tiledPyramidRows } from '../src/input/tiled-image-pyramid.js';
import { WASM_PAGE_BYTES } from '../src/memory-layout.js';
import { layoutBands } from '../src/plan/bands.js';
import { expectSameValues, fixture } from './support/helpers.js';

// The tiled pyramid written by kernels in wasm memory (writeTensor) against
// the rows made in JavaScript (readRows): the same values, bit for bit, on one
// thread and split over two, wherever the memory held something before.

const net = readDlibNetwork(fixture('dlib-models/mmod_human_face_detector.dat'));
const input = (() => {
  if (net.input.kind !== 'input_rgb_image_pyramid') throw new Error('the face detector has a pyramid input');
  return net.input;
})();

/** A deterministic image (`stride` 3 or 4 bytes a pixel) with edges and texture everywhere. */
function texturedImage(width: number, height: number, stride: number): RgbImage {
  const data = new Uint8Array(width * height * stride);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    data.set([(x * 7 + y * 3) & 255, ((x ^ y) * 5) & 255, (x * y) % 251, 255].slice(0, stride), i * stride);
  }
  return { width, height, data };
}

/** The rows read whole in JavaScript, as the net reads them: pixel-major (NHWC). */
function rowsInNhwc(image: RgbImage, upsample: number): Float32Array {
  const { tensor } = tiledPyramidRows(image, input, KEPT_LEVEL_BYTES, upsample);
  const { data, rows, cols } = tensor.readRows(0, tensor.rows);
  const out = new Float32Array(data.length);
  for (let c = 0; c < 3; c++) for (let p = 0; p < rows * cols; p++) out[3 * p + c] = data[c * rows * cols + p];
  return out;
}

describe('the tiled pyramid written by kernels', () => {
  // 300x220: tail columns in most levels, the largest split over both threads; 241x97 RGB: other tails, every level on one;
  // up-sampled (dlib's pyramid_up in 8 bits, then the pyramid of it) once and twice.
  it.each([
    [300, 220, 4, 0, 3],
    [241, 97, 3, 0, 0],
    [150, 110, 4, 1, 3],
    [61, 47, 3, 2, 2],
  ])(
    '%ix%i (%i bytes a pixel) up-sampled %i times, on one thread and on two, is the rows made in JavaScript bit for bit',
    async (width, height, stride, upsample, shared) => {
      const image = texturedImage(width, height, stride);
      const expected = rowsInNhwc(image, upsample);
      const { tensor, layout } = tiledPyramidRows(image, input, KEPT_LEVEL_BYTES, upsample);
      const at = WASM_PAGE_BYTES;
      const work = at + expected.length * 4 + 64;
      const pages = Math.ceil((work + tensor.workBytes) / WASM_PAGE_BYTES) + 1;
      const { module, spawn } = await loadKernelsForThreads(2, {});
      const memory = createKernelMemory(pages, true);
      const kernels = await instantiateKernels(module, memory);
      const team = await ThreadTeam.create(spawn!, module, memory, 2);
      const calls: ParallelCall[] = [];
      try {
        const runs: [string, (call: ParallelCall) => void][] = [
          ['one thread', (call) => runWhole(kernels, call)],
          [
            'two threads',
            (call) => {
              calls.push(call);
              team.run(kernels, call);
            },
          ],
        ];
        for (const [what, run] of runs) {
          // Not zeros where the tensor goes: the writer writes every value, the padding's zeros too.
          new Float32Array(memory.buffer, at, expected.length).fill(Number.NaN);
          tensor.writeTensor(memory, at, work, run);
          expectSameValues(new Float32Array(memory.buffer, at, expected.length), expected, what);
        }
      } finally {
        team.dispose();
      }
      // Level 0 and each level's resize a call, the largest shared by both threads (team.split's rule: 200k multiply-adds).
      const resizes = calls.filter((c) => c.kernel === 'f32_rgb_resize_bilinear_nhwc__simd128');
      expect(resizes.length).toBe(layout.levels.length - 1);
      expect(calls.filter((c) => c.kernel === 'u8_planar_resize_bilinear__simd128').length).toBe(upsample);
      expect(resizes.filter((c) => c.split.macs >= 200_000).length).toBe(shared);
    },
  );
});

describe('a detector run on kernel-written rows', () => {
  const image = texturedImage(300, 220, 4);

  /** The detector's output for the tiled pyramid, and how many rows it asked JavaScript to make. */
  async function detectorOutput(maxArenaBytes?: number) {
    const network = await DlibNetwork.create(net, { maxArenaBytes, threads: 2 });
    const { tensor } = tiledPyramidRows(image, input);
    let rowsRead = 0;
    const counted = Object.assign(Object.create(tensor) as typeof tensor, {
      readRows(start: number, end: number) {
        rowsRead += end - start;
        return tensor.readRows(start, end);
      },
    });
    try {
      const [output] = await network.run([counted]);
      return { output, rowsRead };
    } finally {
      network.dispose();
    }
  }

  it('whole, or in bands copied from the tensor written once, makes no row in JavaScript and gives what rows made there give', async () => {
    const whole = await detectorOutput();
    // 4 MiB: bands, the 322x828 tiled tensor (3.2 MB) written whole past them; 1 byte: bands of rows made in JavaScript.
    const stored = await detectorOutput(4 * 2 ** 20);
    const javascriptRows = await detectorOutput(1);
    const { tensor } = tiledPyramidRows(image, input);
    expect(layoutBands(net, tensor.rows, tensor.cols, { batch: 1, maxArenaBytes: 4 * 2 ** 20 })!.bands.length).toBeGreaterThan(1);
    expect(whole.rowsRead).toBe(0);
    expect(stored.rowsRead).toBe(0);
    expect(javascriptRows.rowsRead).toBeGreaterThan(0);
    expectSameValues(stored.output, whole.output, 'bands of the stored tensor');
    expectSameValues(javascriptRows.output, whole.output, 'bands of JavaScript rows');
  });
});
