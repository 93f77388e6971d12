import type { InputRgbImagePyramid } from '../dlib/network-description.js';
import { pyramidUpSize, type Size } from '../face/image-pyramid.js';
import { type Rectangle, rectHeight, rectWidth } from '../geometry/point-transforms.js';
import type { ParallelCall } from '../engine/parallel-call.js';
import type { FloatTensor, KernelWrittenRows, RgbImage } from '../image.js';
import { ImageRows, type LevelRows, ResizedRows } from './pyramid-level-rows.js';
import { resizeRgbImage } from './resize-image.js';
import { tiledPyramidPlan, writeTiledPyramid } from './tiled-pyramid-writer.js';

/**
 * dlib's `input_rgb_image_pyramid<pyramid_down<N>>`: the image and its
 * `pyramid_down<N>` levels tiled into one image (dlib's
 * `compute_tiled_image_pyramid_details`), the net's input; and the maps
 * between that tiled image and the input image's coordinates.
 */

/** Where each level sits in the tiled image (level 0 is the input image), and the tiled image's size. */
export interface TiledPyramidLayout extends Size {
  levels: Rectangle[];
}

/** dlib stops the pyramid at the first level less than this many rows high. */
const MIN_LEVEL_HEIGHT = 5;

const U64 = 1n << 64n;
/** Wraps as C++'s unsigned long arithmetic does. */
const unsigned = (n: number | bigint) => ((BigInt(n) % U64) + U64) % U64;

function intersects(a: Rectangle, b: Rectangle): boolean {
  return Math.max(a.left, b.left) <= Math.min(a.right, b.right) && Math.max(a.top, b.top) <= Math.min(a.bottom, b.bottom);
}

/**
 * dlib's layout: levels shrink by `(N-1)/N` (floored) while at least 5 rows
 * high; they go down a first column (the input image at the top), then back
 * up a second column at the right edge, as long as they clear the input
 * image. A level that would not is dropped with all after it.
 */
export function tiledPyramidLayout(
  { width, height }: Size,
  { pyramidDownFactor: n, pyramidPadding: padding, pyramidOuterPadding: outer }: InputRgbImagePyramid,
): TiledPyramidLayout {
  if (width * height === 0) return { width: 0, height: 0, levels: [] };
  const rate = (n - 1.0) / n;
  const sizes: Size[] = [{ width, height }];
  for (let w = width, h = height; ; ) {
    w = Math.floor(rate * w);
    h = Math.floor(rate * h);
    if (w * h === 0 || h < MIN_LEVEL_HEIGHT) break;
    sizes.push({ width: w, height: h });
  }
  // The first column goes on while the next level would not fit beside the one above it,
  // or until it holds half the height; dlib compares in unsigned long, wrapping.
  let totalHeight = -2 * padding;
  for (const s of sizes) totalHeight += s.height + padding;
  const w0 = sizes[0].width;
  const h0 = sizes[0].height;
  let columnHeight = 0;
  let previousWidth = 0;
  for (const s of sizes) {
    const fitsBeside = unsigned(s.width) <= unsigned(BigInt(w0) - BigInt(previousWidth) - BigInt(padding));
    const halfDone = unsigned(unsigned(columnHeight - h0) * 2n) >= unsigned(totalHeight - h0);
    if (fitsBeside && halfDone) break;
    columnHeight += s.height + padding;
    previousWidth = s.width;
  }
  columnHeight -= padding;

  // Placed in dlib's order over the levels at the origin: the right column stops at the first
  // level that would overlap level 0 where it is by then.
  const levels: Rectangle[] = sizes.map((s) => ({ left: 0, top: 0, right: s.width - 1, bottom: s.height - 1 }));
  let y = outer;
  let i = 0;
  for (; y < columnHeight + outer && i < sizes.length; i++) {
    levels[i] = { left: outer, top: y, right: outer + sizes[i].width - 1, bottom: y + sizes[i].height - 1 };
    y += sizes[i].height + padding;
  }
  y -= padding;
  for (; i < sizes.length; i++) {
    const right = outer + w0 - 1;
    const bottom = y - 1;
    const rect = { left: right - (sizes[i].width - 1), top: bottom - (sizes[i].height - 1), right, bottom };
    if (intersects(levels[0], rect)) break;
    levels[i] = rect;
    y -= sizes[i].height + padding;
  }
  levels.length = i;
  return { width: w0 + 2 * outer, height: columnHeight + 2 * outer, levels };
}

/**
 * Bytes of the levels past the image's own (3 f32 a pixel) that a tiled
 * pyramid keeps whole, each level then made once (bald_guys up-sampled once
 * has 319 MiB of them). A pyramid whose levels take more keeps only the
 * second column's (those beside the first column's levels, about a quarter
 * of the bytes: 386 MiB of 1663 for an 8000x8000 photo) and makes each
 * first-column level again, down from the image, when the rows asked for
 * reach it: about three times the resizing, in memory bounded by the
 * image's size rather than by the tiled tensor's.
 */
export const KEPT_LEVEL_BYTES = 512 * 2 ** 20;

/**
 * The net's input for an image up-sampled `upsample` times (dlib's
 * `pyramid_up`: `resize_image` to pyramidUpSize), as dlib's `to_tensor`
 * makes it: zeros, the image normalized (`(value - mean) / 256`, in f32) at
 * level 0, and each level resized in floats from the one before it (dlib
 * builds the pyramid in the tensor, not in pixels). Kernels write it whole
 * where the engine holds it whole (see KernelWrittenRows); else its rows are
 * made as they are asked for (going down, as the bands of a banded run are),
 * so that the whole tiled tensor, which for a large photo is larger than a
 * tensor may be, never exists at once.
 */
export function tiledPyramidRows(
  image: RgbImage,
  input: InputRgbImagePyramid,
  keptLevelBytes = KEPT_LEVEL_BYTES,
  upsample = 0,
): { tensor: KernelWrittenRows; layout: TiledPyramidLayout } {
  let size: Size = image;
  for (let i = 0; i < upsample && size.width * size.height > 0; i++) size = pyramidUpSize(size);
  const layout = tiledPyramidLayout(size, input);
  const { width: cols, height: rows, levels } = layout;
  // dlib tiles an image of a few pixels into a tensor that may not even hold it: no net's window fits there.
  const holds = levels.length > 0 && levels.every((r) => r.left >= 0 && r.top >= 0 && r.right < cols && r.bottom < rows);
  if (!holds) return { tensor: new TiledPyramidRows(image, upsample, input, { width: 0, height: 0, levels: [] }, true), layout };
  let levelBytes = 0;
  for (let l = 1; l < levels.length; l++) levelBytes += 12 * rectWidth(levels[l]) * rectHeight(levels[l]);
  return { tensor: new TiledPyramidRows(image, upsample, input, layout, levelBytes <= keptLevelBytes), layout };
}

/** The whole tiled tensor of tiledPyramidRows at once. */
export function tiledPyramidTensor(image: RgbImage, input: InputRgbImagePyramid): { tensor: FloatTensor; layout: TiledPyramidLayout } {
  const { tensor, layout } = tiledPyramidRows(image, input);
  return { tensor: tensor.readRows(0, tensor.rows), layout };
}

class TiledPyramidRows implements KernelWrittenRows {
  readonly channels = 3;
  readonly rows: number;
  readonly cols: number;
  /** The levels made once and shared: all of them, or those of the second column. */
  private readonly kept: LevelRows[] = [];
  /** Each level's rows as the tiled rows asked for reach it. */
  private readonly shown: LevelRows[] = [];
  /** The rows last asked for (at the start of `buffer`): the next band's first rows are the last ones of these. */
  private previous: { start: number; rows: number; buffer: Float32Array } | undefined;

  /** The image up-sampled, for the rows made in JavaScript. */
  private upsampled: RgbImage | undefined;

  constructor(
    private readonly image: RgbImage,
    private readonly upsample: number,
    private readonly input: InputRgbImagePyramid,
    private readonly layout: TiledPyramidLayout,
    private readonly keepAll: boolean,
  ) {
    this.rows = layout.height;
    this.cols = layout.width;
  }

  get workBytes(): number {
    return tiledPyramidPlan(this.image, this.upsample, this.layout).workBytes;
  }

  writeTensor(memory: WebAssembly.Memory, at: number, work: number, run: (call: ParallelCall) => void): void {
    const plan = tiledPyramidPlan(this.image, this.upsample, this.layout);
    writeTiledPyramid(this.image, this.input, this.layout, plan, memory, at, work, run);
  }

  private upsampledImage(): RgbImage {
    if (!this.upsampled) {
      let scaled = this.image;
      for (let i = 0; i < this.upsample; i++) scaled = resizeRgbImage(scaled, pyramidUpSize(scaled));
      this.upsampled = scaled;
    }
    return this.upsampled;
  }

  /** Level `l`, the kept one, or a new one made down from the image. */
  private level(l: number): LevelRows {
    const { levels } = this.layout;
    const keep = this.keepAll || levels[l].left !== levels[0].left;
    const known = keep ? this.kept[l] : undefined;
    if (known) return known;
    const rows =
      l === 0
        ? new ImageRows(this.upsampledImage(), this.input.mean)
        : new ResizedRows(this.level(l - 1), { width: rectWidth(levels[l]), height: rectHeight(levels[l]) }, keep);
    if (keep) this.kept[l] = rows;
    return rows;
  }

  /**
   * Rows [start, end), in the array of the rows asked for before where it is
   * large enough (a band's array is megabytes: made anew each time, its pages
   * cost more than filling them): the tensor returned before is then no
   * longer its rows.
   */
  readRows(start: number, end: number): FloatTensor {
    const { cols } = this;
    const height = end - start;
    const size = 3 * height * cols;
    const previous = this.previous;
    const buffer = previous && previous.buffer.length >= size ? previous.buffer : new Float32Array(size);
    const data = buffer.subarray(0, size);
    let from = start;
    if (previous && start >= previous.start && start < previous.start + previous.rows) {
      from = Math.min(end, previous.start + previous.rows);
      // Each channel's rows move up (or stay), no further than the channels before them: none is written over before it moved.
      for (let c = 0; c < 3; c++) {
        const at = (c * previous.rows + start - previous.start) * cols;
        if (buffer === previous.buffer) buffer.copyWithin(c * height * cols, at, at + (from - start) * cols);
        else data.set(previous.buffer.subarray(at, at + (from - start) * cols), c * height * cols);
      }
    }
    // The rows made here: zeros where no level is, as in a new array.
    if (buffer === previous?.buffer) for (let c = 0; c < 3; c++) data.fill(0, (c * height + from - start) * cols, (c + 1) * height * cols);
    this.layout.levels.forEach((rect, l) => {
      const first = Math.max(from, rect.top);
      const last = Math.min(end - 1, rect.bottom);
      if (first > last) return;
      this.shown[l] ??= this.level(l);
      const level = this.shown[l];
      const width = level.width;
      for (let y = first; y <= last; y++) {
        const row = level.row(y - rect.top);
        for (let c = 0; c < 3; c++) data.set(row.subarray(c * width, (c + 1) * width), (c * height + y - start) * cols + rect.left);
      }
    });
    this.previous = { start, rows: height, buffer };
    return { channels: 3, rows: height, cols, data };
  }
}

/** dlib's `point` from a `dpoint`: each coordinate rounded half up. */
const roundHalfUp = (v: number) => Math.floor(v + 0.5);

/** dlib's `nearest_rect`: the first level holding the point, else the first nearest one. */
function nearestLevel(levels: Rectangle[], x: number, y: number): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let i = 0; i < levels.length; i++) {
    const r = levels[i];
    if (x >= r.left && x <= r.right && y >= r.top && y <= r.bottom) return i;
    const dx = Math.min(Math.max(x, r.left), r.right) - x;
    const dy = Math.min(Math.max(y, r.top), r.bottom) - y;
    const distance = Math.sqrt(dx * dx + dy * dy);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  }
  return best;
}

/**
 * dlib's `tensor_space_to_image_space` for a tiled pyramid
 * (`tiled_pyramid_to_image`): the level nearest the rect's center, then
 * `pyramid_down<N>::rect_up` by that many levels. Fractional, as dlib's drectangle.
 */
export function tiledPyramidToImage(
  layout: TiledPyramidLayout,
  { pyramidDownFactor: n }: InputRgbImagePyramid,
  rect: Rectangle,
): Rectangle {
  const level = nearestLevel(layout.levels, roundHalfUp((rect.left + rect.right) / 2), roundHalfUp((rect.top + rect.bottom) / 2));
  const { left: x0, top: y0 } = layout.levels[level];
  const ratio = n / (n - 1.0);
  const up = (v: number) => {
    for (let i = 0; i < level; i++) v = v * ratio + 0.3;
    return v;
  };
  return { left: up(rect.left - x0), top: up(rect.top - y0), right: up(rect.right - x0), bottom: up(rect.bottom - y0) };
}

/**
 * dlib's `image_space_to_tensor_space` for a tiled pyramid
 * (`image_to_tiled_pyramid`): a rect of the image, seen at `scale` (0 < scale
 * <= 1), in the level whose size is nearest that scale.
 */
export function imageToTiledPyramid(
  layout: TiledPyramidLayout,
  { pyramidDownFactor: n }: InputRgbImagePyramid,
  scale: number,
  rect: Rectangle,
): Rectangle {
  const rate = (n - 1.0) / n;
  const level = Math.min(Math.max(Math.trunc(Math.log(scale) / Math.log(rate) + 0.5), 0), layout.levels.length - 1);
  const { left: x0, top: y0 } = layout.levels[level];
  const down = (v: number) => {
    for (let i = 0; i < level; i++) v = (v - 0.3) * rate;
    return v;
  };
  return { left: x0 + down(rect.left), top: y0 + down(rect.top), right: x0 + down(rect.right), bottom: y0 + down(rect.bottom) };
}
