import type { InputRgbImagePyramid } from '../dlib/network-description.js';
import type { ParallelCall } from '../engine/parallel-call.js';
import { type BilinearResizeTables, bilinearResizeTables } from '../face/bilinear-resize.js';
import { pyramidUpSize, type Size } from '../face/image-pyramid.js';
import { rectHeight, rectWidth } from '../geometry/point-transforms.js';
import type { RgbImage } from '../image.js';
import { alignBuffer } from '../memory-layout.js';
import type { TiledPyramidLayout } from './tiled-image-pyramid.js';

/**
 * The tiled pyramid written by kernels where the net reads it: dlib builds
 * the pyramid in its input tensor, each level resized from the one before
 * it there, and so do these kernel calls, a level at a time, each split by
 * rows over the engine's threads. The same values as the rows made in
 * JavaScript (pyramid-level-rows.ts), bit for bit: the same tables and the
 * same f32 and f64 arithmetic.
 */

/** What a layout needs beside the image: each resize's tables and the stretches of the tensor no level covers. */
export interface TiledPyramidPlan {
  /** The image's `pyramid_up`s (8-bit, three planes), each from the size before to its size. */
  ups: { from: Size; to: Size; tables: BilinearResizeTables }[];
  tables: BilinearResizeTables[];
  /** The stretches of the tensor that hold zeros, as u8_zero_spans reads them: (byte offset, bytes) pairs. */
  zeros: Uint32Array;
  /**
   * Bytes of work memory: the image's bytes, the zeros' spans, the image's
   * planes and each pyramid_up's, then each resize's tables, each from a
   * buffer boundary on.
   */
  workBytes: number;
}

/** The tables and zero stretches of a layout, made once per image size, pixel stride aside (a detector sees many photos of one size). */
let lastPlan: { key: string; plan: TiledPyramidPlan } | undefined;

/** Bytes of an image's three planes, and the 16 past them its resize reads. */
const planesBytes = ({ width, height }: Size) => alignBuffer(3 * width * height + 16);

/** Bytes of a resize's tables, each placed from a buffer boundary on. */
const tablesBytes = (t: BilinearResizeTables) => alignBuffer(t.rows.length) + alignBuffer(t.groups.length) + alignBuffer(t.tail.length);

/** The plan of a layout of `image` up-sampled `upsample` times (dlib's `pyramid_up`). */
export function tiledPyramidPlan(image: RgbImage, upsample: number, layout: TiledPyramidLayout): TiledPyramidPlan {
  const key = `${image.data.length} ${image.width}x${image.height} up ${upsample} ${JSON.stringify(layout)}`;
  if (lastPlan?.key === key) return lastPlan.plan;
  const { levels, width: cols } = layout;
  const tables: BilinearResizeTables[] = [];
  let workBytes = alignBuffer(image.data.length);
  const ups: TiledPyramidPlan['ups'] = [];
  let size: Size = image;
  if (upsample > 0) workBytes += planesBytes(size);
  for (let i = 0; i < upsample; i++) {
    const to = pyramidUpSize(size);
    const t = bilinearResizeTables(size, to);
    ups.push({ from: size, to, tables: t });
    workBytes += planesBytes(to) + tablesBytes(t);
    size = to;
  }
  for (let l = 1; l < levels.length; l++) {
    const from = { width: rectWidth(levels[l - 1]), height: rectHeight(levels[l - 1]) };
    const t = bilinearResizeTables(from, { width: rectWidth(levels[l]), height: rectHeight(levels[l]) });
    tables.push(t);
    workBytes += tablesBytes(t);
  }
  // Each level row's bytes, in order: the stretches between them are the zeros.
  const covered: number[] = [];
  for (const r of levels) for (let y = r.top; y <= r.bottom; y++) covered.push(12 * (y * cols + r.left), 12 * (y * cols + r.right + 1));
  const starts = Array.from({ length: covered.length / 2 }, (_, i) => i).sort((a, b) => covered[2 * a] - covered[2 * b]);
  const zeros: number[] = [];
  let at = 0;
  for (const i of starts) {
    if (covered[2 * i] > at) zeros.push(at, covered[2 * i] - at);
    at = covered[2 * i + 1];
  }
  if (12 * layout.width * layout.height > at) zeros.push(at, 12 * layout.width * layout.height - at);
  workBytes += alignBuffer(4 * zeros.length);
  const plan = { ups, tables, zeros: Uint32Array.from(zeros), workBytes };
  lastPlan = { key, plan };
  return plan;
}

/**
 * Writes the tiled tensor of `image` up-sampled as `plan` says (NHWC f32,
 * `layout.width` pixels a row) at byte `at` of `memory`, using
 * `plan.workBytes` bytes at `work`; `run` runs each kernel call (on the
 * engine's threads).
 */
export function writeTiledPyramid(
  image: RgbImage,
  { mean }: InputRgbImagePyramid,
  layout: TiledPyramidLayout,
  plan: TiledPyramidPlan,
  memory: WebAssembly.Memory,
  at: number,
  work: number,
  run: (call: ParallelCall) => void,
): void {
  const { levels, width: cols } = layout;
  const rowBytes = 12 * cols;
  const bytes = new Uint8Array(memory.buffer);
  const place = (data: ArrayBufferView) => {
    const address = work;
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), address);
    work += alignBuffer(data.byteLength);
    return address;
  };
  run({
    kernel: 'u8_zero_spans',
    args: [at, place(plan.zeros)],
    split: { first: 0, items: plan.zeros.length / 2, macs: 0 },
    label: 'the tiled pyramid: padding',
  });
  const placeTables = (t: BilinearResizeTables) => [place(t.rows), place(t.groups), t.groupCount, place(t.tail), t.tailCount] as const;
  const interleaved = place(image.data);
  const { width, height } = levels.length > 0 ? { width: rectWidth(levels[0]), height: rectHeight(levels[0]) } : image;
  // Level 0: the image, or its last pyramid_up, in 8 bits; pixels `pixelStride` bytes apart, channels `channelBytes`.
  let source = { address: interleaved, pixelStride: image.data.length / (image.width * image.height), channelBytes: 1 };
  if (plan.ups.length > 0) {
    const planes = work;
    work += planesBytes(image);
    run({
      kernel: 'u8_rgb_to_planar__simd128',
      args: [interleaved, source.pixelStride, planes, image.width * image.height],
      split: { first: 0, items: image.width * image.height, macs: 0 },
      label: 'the tiled pyramid: the image in planes',
    });
    source = { address: planes, pixelStride: 1, channelBytes: image.width * image.height };
    for (const { from, to, tables } of plan.ups) {
      const upsampled = work;
      work += planesBytes(to);
      run({
        kernel: 'u8_planar_resize_bilinear__simd128',
        args: [source.address, from.width, from.width * from.height, upsampled, to.width, to.width * to.height, ...placeTables(tables)],
        split: { first: 0, items: to.height, macs: 12 * to.width * to.height },
        label: 'the tiled pyramid: pyramid_up',
      });
      source = { address: upsampled, pixelStride: 1, channelBytes: to.width * to.height };
    }
  }
  const levelAt = (l: number) => at + levels[l].top * rowBytes + 12 * levels[l].left;
  run({
    kernel: 'u8_rgb_to_f32_nhwc',
    args: [
      source.address,
      width * source.pixelStride,
      source.pixelStride,
      source.channelBytes,
      width,
      mean[0],
      mean[1],
      mean[2],
      levelAt(0),
      rowBytes,
    ],
    split: { first: 0, items: height, macs: 3 * width * height },
    label: 'the tiled pyramid: level 0',
  });
  plan.tables.forEach((t, i) => {
    const l = i + 1;
    const levelHeight = rectHeight(levels[l]);
    run({
      kernel: 'f32_rgb_resize_bilinear_nhwc__simd128',
      args: [levelAt(l - 1), rowBytes, levelAt(l), rowBytes, ...placeTables(t)],
      split: { first: 0, items: levelHeight, macs: 12 * rectWidth(levels[l]) * levelHeight },
      label: `the tiled pyramid: level ${l}`,
    });
  });
}
