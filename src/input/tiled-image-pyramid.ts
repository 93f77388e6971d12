import type { InputRgbImagePyramid } from '../dlib/network-description.js';
import type { Size } from '../face/image-pyramid.js';
import type { Rectangle } from '../geometry/point-transforms.js';
import type { FloatTensor, RgbImage } from '../image.js';
import { resizeFloatPlane } from './resize-image.js';

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

const rectWidth = (r: Rectangle) => (r.right < r.left ? 0 : r.right - r.left + 1);
const rectHeight = (r: Rectangle) => (r.bottom < r.top ? 0 : r.bottom - r.top + 1);

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
 * The net's input tensor for an image, as dlib's `to_tensor` makes it: zeros,
 * the image normalized (`(value - mean) / 256`, in f32) at level 0, and each
 * level resized in floats from the one before it (dlib builds the pyramid in
 * the tensor, not in pixels).
 */
export function tiledPyramidTensor(image: RgbImage, input: InputRgbImagePyramid): { tensor: FloatTensor; layout: TiledPyramidLayout } {
  const layout = tiledPyramidLayout(image, input);
  const { width: cols, height: rows, levels } = layout;
  // dlib tiles an image of a few pixels into a tensor that may not even hold it: no net's window fits there.
  const holds = levels.length > 0 && levels.every((r) => r.left >= 0 && r.top >= 0 && r.right < cols && r.bottom < rows);
  const data = new Float32Array(holds ? 3 * rows * cols : 0);
  const tensor: FloatTensor = { channels: 3, rows: holds ? rows : 0, cols: holds ? cols : 0, data };
  if (!holds) return { tensor, layout };
  const stride = image.data.length / (image.width * image.height);
  const plane = rows * cols;
  const { left, top } = levels[0];
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(input.mean[c]);
    for (let r = 0; r < image.height; r++) {
      const to = c * plane + (top + r) * cols + left;
      const from = r * image.width * stride + c;
      for (let x = 0; x < image.width; x++) data[to + x] = Math.fround(image.data[from + x * stride] - mean) / 256;
    }
  }
  for (let l = 1; l < levels.length; l++) {
    const [from, to] = [levels[l - 1], levels[l]];
    for (let c = 0; c < 3; c++) {
      const region = (r: Rectangle) => ({
        data,
        offset: c * plane + r.top * cols + r.left,
        stride: cols,
        width: rectWidth(r),
        height: rectHeight(r),
      });
      resizeFloatPlane(region(from), region(to));
    }
  }
  return { tensor, layout };
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
