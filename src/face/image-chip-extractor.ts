import { DisposedError, InputError } from '../errors.js';
import { growKernelMemory, type Kernels, loadKernelsOnOwnMemory, type WasmSource } from '../engine/kernels.js';
import { RESERVED_BYTES } from '../memory-layout.js';
import { affineThroughThreePoints, type AffineTransform, type Rectangle, rectArea as area } from '../geometry/point-transforms.js';
import { describeRgbImage, MAX_IMAGE_PIXELS, MIN_SAMPLED_SIDE, type RgbImage } from '../image.js';
import { rotatedCorners, type ChipDetails } from './face-chip.js';
import { describeValue, optionsObject } from '../arguments.js';

/** Cuts chips out of images as dlib's `extract_image_chip` does, in WebAssembly. */
export interface ImageChipExtractor {
  /**
   * dlib's `extract_image_chip(img, details, chip)` with bilinear
   * interpolation: a `details.cols` x `details.rows` RGB chip. A chip much
   * smaller than its rect is sampled from a `pyramid_down<2>` pyramid of the
   * region around it, as dlib does, so that it is not aliased. The chip's
   * pixels go into `into` if given (`rows * cols * 3` bytes, e.g. an earlier
   * chip's `data`), as dlib's `chip` argument is reused: a loop that gives its
   * chips back touches no fresh memory, which costs more than the warp (~17
   * fresh pages a 150x150 chip).
   */
  extractImageChip(image: RgbImage, details: ChipRegion, into?: Uint8Array): RgbImage;
  /** Frees the WebAssembly memory; any later call throws DisposedError. */
  dispose(): void;
}

/** What extraction reads of a chip's details (getFaceChipDetails' result, or one's own). */
export type ChipRegion = Pick<ChipDetails, 'rect' | 'angle' | 'rows' | 'cols'>;

export interface ImageChipExtractorOptions {
  wasm?: WasmSource;
}

/**
 * How dlib's `extract_image_chips` cuts one chip: from the rotated rect's
 * bounding box, grown for the pyramid filter's reach and clipped to the image
 * (`crop`), either directly (`level` -1) or from `level` of the
 * `pyramid_down<2>` pyramid of that crop; `chipToSource` maps chip pixels to
 * the sampled image's. `copy` is dlib's shortcut for an unrotated rect of
 * exactly the chip's size: the pixels are copied, not resampled.
 */
export interface ChipExtractionPlan {
  copy: boolean;
  crop: Rectangle;
  level: number;
  chipToSource: AffineTransform;
}

/** pyramid_down<2>::rect_down: each corner p -> p / 2 - (1.25, 0.75). */
function rectDown(r: Rectangle): Rectangle {
  return { left: r.left / 2 - 1.25, top: r.top / 2 - 0.75, right: r.right / 2 - 1.25, bottom: r.bottom / 2 - 0.75 };
}

/** The size pyramid_down<2> gives an image: floor((n - 3) / 2) per side, nothing when a side is 8 or less. */
function halvedSize(width: number, height: number): { width: number; height: number } {
  return width <= 8 || height <= 8 ? { width: 0, height: 0 } : { width: Math.floor((width - 3) / 2), height: Math.floor((height - 3) / 2) };
}

function checkDetails(details: ChipRegion): void {
  if (details === null || typeof details !== 'object' || details.rect === null || typeof details.rect !== 'object') {
    throw new InputError('chip details must be { rect, angle, rows, cols } as getFaceChipDetails gives them');
  }
  const {
    rect: { left, top, right, bottom },
    angle,
    rows,
    cols,
  } = details;
  if (![left, top, right, bottom, angle].every(Number.isFinite)) throw new InputError('chip details have a non-finite rect or angle');
  if (right < left || bottom < top) throw new InputError(`chip rect (${left}, ${top}, ${right}, ${bottom}) is empty`);
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 2 || cols < 2 || rows * cols > MAX_IMAGE_PIXELS) {
    throw new InputError(
      `chip size ${String(cols)}x${String(rows)} must be whole pixels, at least 2x2 and at most ${MAX_IMAGE_PIXELS} pixels`,
    );
  }
}

/** dlib's `extract_image_chips` for one chip, up to the pixels: which region, level and map it samples. */
export function planChipExtraction(width: number, height: number, details: ChipRegion): ChipExtractionPlan {
  checkDetails(details);
  const { rect, angle, rows, cols } = details;
  const chipPixels = rows * cols;
  const { tl, tr, bl, br } = rotatedCorners(rect, angle);
  const xs = [tl[0], tr[0], bl[0], br[0]];
  const ys = [tl[1], tr[1], bl[1], br[1]];
  // The crop's margin: 2 pixels, plus 2 more per pyramid level below the first, doubled at each.
  let grow = 2;
  for (let down = rectDown(rect); area(down) > chipPixels; down = rectDown(down)) grow = grow * 2 + 2;
  const [minX, maxX] = [Math.min(xs[0], xs[1], xs[2], xs[3]), Math.max(xs[0], xs[1], xs[2], xs[3])];
  const [minY, maxY] = [Math.min(ys[0], ys[1], ys[2], ys[3]), Math.max(ys[0], ys[1], ys[2], ys[3])];
  if (maxX < 0 || maxY < 0 || minX > width - 1 || minY > height - 1) {
    throw new InputError(
      `the chip's rect (${rect.left}, ${rect.top}, ${rect.right}, ${rect.bottom}) lies outside the ${width}x${height} image`,
    );
  }
  // The grown box clipped to the image, as a rectangle: each side rounded to the nearest pixel.
  const crop = {
    left: Math.floor(Math.max(minX - grow, 0) + 0.5),
    top: Math.floor(Math.max(minY - grow, 0) + 0.5),
    right: Math.floor(Math.min(maxX + grow, width - 1) + 0.5),
    bottom: Math.floor(Math.min(maxY + grow, height - 1) + 0.5),
  };
  let level = -1;
  let source = {
    left: rect.left - crop.left,
    top: rect.top - crop.top,
    right: rect.right - crop.left,
    bottom: rect.bottom - crop.top,
  };
  while (area(rectDown(source)) > chipPixels) {
    level++;
    source = rectDown(source);
  }
  const corners = rotatedCorners(source, angle);
  return {
    copy: angle === 0 && rows === rect.bottom - rect.top + 1 && cols === rect.right - rect.left + 1,
    crop,
    level,
    chipToSource: affineThroughThreePoints(
      [
        [0, 0],
        [cols - 1, 0],
        [0, rows - 1],
      ],
      [corners.tl, corners.tr, corners.bl],
    ),
  };
}

/** dlib's `basic_extract_image_chip`: the rect's pixels as they are, black outside the image. */
function copyChip(
  image: RgbImage,
  width: number,
  height: number,
  pixelStride: number,
  rect: Rectangle,
  rows: number,
  cols: number,
  data: Uint8Array,
): RgbImage {
  const left = Math.floor(rect.left + 0.5);
  const top = Math.floor(rect.top + 0.5);
  data.fill(0);
  for (let r = Math.max(0, -top); r < rows && top + r < height; r++) {
    for (let c = Math.max(0, -left); c < cols && left + c < width; c++) {
      const s = ((top + r) * width + left + c) * pixelStride;
      data.set(image.data.subarray(s, s + 3), (r * cols + c) * 3);
    }
  }
  return { width: cols, height: rows, data };
}

/** Where a chip's pixels go: `into`, checked, or a new array. */
function chipBytes(into: Uint8Array | undefined, image: RgbImage, rows: number, cols: number): Uint8Array {
  if (into === undefined) return new Uint8Array(rows * cols * 3);
  if (!(into instanceof Uint8Array) || into.length !== rows * cols * 3) {
    const given = into instanceof Uint8Array ? `${into.length} bytes` : describeValue(into);
    throw new InputError(`a ${cols}x${rows} chip goes into a Uint8Array of ${rows * cols * 3} bytes, not ${given}`);
  }
  // A chip written over the pixels it is cut from would read its own output.
  if (into.buffer === image.data.buffer) throw new InputError("a chip cannot go into its image's own memory");
  return into;
}

class WasmImageChipExtractor implements ImageChipExtractor {
  /** Dropped whole on dispose: the kernels' instance holds the memory too. */
  private runtime: { memory: WebAssembly.Memory; kernels: Kernels } | null;

  constructor(memory: WebAssembly.Memory, kernels: Kernels) {
    this.runtime = { memory, kernels };
  }

  extractImageChip(image: RgbImage, details: ChipRegion, into?: Uint8Array): RgbImage {
    if (!this.runtime) throw new DisposedError('the chip extractor has been disposed');
    const { kernels } = this.runtime;
    const { width, height, pixelStride } = describeRgbImage(image, 'image', MIN_SAMPLED_SIDE);
    const plan = planChipExtraction(width, height, details);
    const { rows, cols } = details;
    const data = chipBytes(into, image, rows, cols);
    if (plan.copy) return copyChip(image, width, height, pixelStride, details.rect, rows, cols, data);

    const {
      crop,
      level,
      chipToSource: { m, b },
    } = plan;
    // The crop as the image holds it, then each pyramid level (RGB), the filter's scratch row, the chip.
    const levels = [{ width: crop.right - crop.left + 1, height: crop.bottom - crop.top + 1, pixelStride, address: RESERVED_BYTES }];
    let end = RESERVED_BYTES + levels[0].width * levels[0].height * pixelStride;
    for (let i = 0; i <= level; i++) {
      const size = halvedSize(levels[i].width, levels[i].height);
      levels.push({ ...size, pixelStride: 3, address: end });
      end += size.width * size.height * 3;
    }
    const scratch = end;
    if (levels.length > 1) end += (2 * levels[1].width + 4) * 8;
    const chip = end;
    end += rows * cols * 3;
    const memory = this.ensureBytes(end);

    const bytes = new Uint8Array(memory.buffer);
    const cropRowBytes = levels[0].width * pixelStride;
    for (let r = 0; r < levels[0].height; r++) {
      const s = ((crop.top + r) * width + crop.left) * pixelStride;
      bytes.set(image.data.subarray(s, s + cropRowBytes), RESERVED_BYTES + r * cropRowBytes);
    }
    for (let i = 1; i < levels.length; i++) {
      const from = levels[i - 1];
      kernels.u8_rgb_pyramid_down_2__simd128(
        from.address,
        from.width * from.pixelStride,
        from.pixelStride,
        levels[i].address,
        levels[i].width,
        scratch,
        0,
        levels[i].height,
      );
    }
    const source = levels[levels.length - 1];
    kernels.u8_rgb_warp_affine_bilinear__simd128(
      source.address,
      source.width,
      source.height,
      source.width * source.pixelStride,
      source.pixelStride,
      chip,
      cols,
      m[0][0],
      m[0][1],
      m[1][0],
      m[1][1],
      b[0],
      b[1],
      0,
      rows,
    );
    data.set(new Uint8Array(memory.buffer, chip, rows * cols * 3));
    return { width: cols, height: rows, data };
  }

  dispose(): void {
    this.runtime = null;
  }

  private ensureBytes(bytes: number): WebAssembly.Memory {
    const { memory } = this.runtime!;
    growKernelMemory(memory, bytes, 'this chip');
    return memory;
  }
}

/** Compiles (once per process) and instantiates the kernels over a memory of the extractor's own. */
export async function loadImageChipExtractor(options?: ImageChipExtractorOptions): Promise<ImageChipExtractor> {
  options = optionsObject(options, "loadImageChipExtractor's options");
  const { memory, kernels } = await loadKernelsOnOwnMemory(options.wasm ?? {});
  return new WasmImageChipExtractor(memory, kernels);
}
