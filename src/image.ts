import type { ParallelCall } from './engine/parallel-call.js';
import { InputError } from './errors.js';

/**
 * An 8-bit RGB or RGBA image, row-major and interleaved: a browser's
 * `ImageData` works as it is. The alpha channel is ignored.
 */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** A float tensor already in the network's input form: planar channels, normalized as the input layer does. */
export interface FloatTensor {
  channels: number;
  rows: number;
  cols: number;
  data: Float32Array;
}

export type NetworkInput = RgbImage | FloatTensor;

/**
 * A float tensor whose rows are made as they are asked for (the tiled image
 * pyramid of a detector): a banded run asks for each band's rows, going down
 * (a band's first rows may be the last ones of the band before), so that the
 * whole tensor never exists at once. Internal, and the only input that may
 * pass MAX_IMAGE_SIDE and MAX_IMAGE_PIXELS: where bands bound the memory it
 * takes.
 */
export interface FloatTensorRows {
  channels: 3;
  rows: number;
  cols: number;
  /** Rows [start, end) as a tensor of their own, until the next rows asked for (which may take its array). */
  readRows(start: number, end: number): FloatTensor;
}

/**
 * A FloatTensorRows that kernel calls can also write whole, straight into the
 * engine's memory in the layout the net reads (NHWC f32), the same values
 * bit for bit: what the engine does where the whole tensor fits the memory
 * it allows itself, so that no value is made in JavaScript.
 */
export interface KernelWrittenRows extends FloatTensorRows {
  /** Bytes of memory writeTensor works in beside the tensor. */
  readonly workBytes: number;
  /**
   * Writes the whole tensor at byte `at` of `memory`, with `workBytes` bytes
   * free from `work` on; `run` runs a kernel call on the engine's threads.
   */
  writeTensor(memory: WebAssembly.Memory, at: number, work: number, run: (call: ParallelCall) => void): void;
}

/** What DlibNetwork.run takes. */
export type RunInput = NetworkInput | FloatTensorRows;

export function isFloatTensorRows(input: RunInput): input is FloatTensorRows {
  return typeof (input as Partial<FloatTensorRows>).readRows === 'function';
}

export function isKernelWrittenRows(input: object): input is KernelWrittenRows {
  return typeof (input as Partial<KernelWrittenRows>).writeTensor === 'function';
}

/** Largest side and pixel count accepted (see checkImageSize). */
export const MAX_IMAGE_SIDE = 16384;
export const MAX_IMAGE_PIXELS = 64 * 1024 * 1024;
/**
 * The least side of an image that landmarks or chips are sampled from:
 * bilinear sampling needs a pixel's right and lower neighbours, and a smaller
 * image holds no face.
 */
export const MIN_SAMPLED_SIDE = 2;

export function isFloatTensor(input: RunInput): input is FloatTensor {
  return (input as Partial<FloatTensor>).data instanceof Float32Array;
}

/** Rows [start, end) of an input, as an input of their own (an image's bytes are not copied). */
export function inputRows(input: RunInput, start: number, end: number): NetworkInput {
  if (isFloatTensorRows(input)) return input.readRows(start, end);
  if (isFloatTensor(input)) {
    const { rows, cols } = input;
    const data = new Float32Array(3 * (end - start) * cols);
    for (let c = 0; c < 3; c++) data.set(input.data.subarray((c * rows + start) * cols, (c * rows + end) * cols), c * (end - start) * cols);
    return { channels: 3, rows: end - start, cols, data };
  }
  const rowBytes = input.data.length / input.height;
  return { width: input.width, height: end - start, data: input.data.subarray(start * rowBytes, end * rowBytes) };
}

/**
 * The one check of an image size: whole pixels, at least `minSide` a side
 * (the detector takes empty images, landmarks and chips need 2x2), and
 * within MAX_IMAGE_SIDE and MAX_IMAGE_PIXELS, so that a bad size field never
 * drives an allocation.
 */
export function checkImageSize(width: unknown, height: unknown, what: string, minSide = 1): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || (width as number) < 0 || (height as number) < 0) {
    throw new InputError(`${what} size ${String(width)}x${String(height)} is not a size in whole pixels`);
  }
  const w = width as number;
  const h = height as number;
  if (w < minSide || h < minSide) throw new InputError(`${what} is ${w}x${h}; it must be at least ${minSide}x${minSide} pixels`);
  if (w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE) {
    throw new InputError(`${what} size ${w}x${h} is larger than the supported ${MAX_IMAGE_SIDE}x${MAX_IMAGE_SIDE}`);
  }
  if (w * h > MAX_IMAGE_PIXELS)
    throw new InputError(`${what} size ${w}x${h} is ${w * h} pixels, more than the ${MAX_IMAGE_PIXELS} supported`);
}

/**
 * Checks an RGB or RGBA image of at least `minSide` pixels a side and returns
 * its size and bytes per pixel (3 or 4; 3 for an empty image).
 */
export function describeRgbImage(image: RgbImage, what: string, minSide = 1): { width: number; height: number; pixelStride: number } {
  if (image === null || typeof image !== 'object' || !('data' in image))
    throw new InputError(`${what} is not an image { width, height, data }`);
  const { width, height, data } = image;
  checkImageSize(width, height, what, minSide);
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new InputError(`${what} data must be a Uint8Array or Uint8ClampedArray of RGB or RGBA bytes`);
  }
  const pixels = width * height;
  if (data.length !== pixels * 3 && data.length !== pixels * 4) {
    throw new InputError(
      `${what} holds ${data.length} bytes; a ${width}x${height} image needs ${pixels * 3} (RGB) or ${pixels * 4} (RGBA)`,
    );
  }
  return { width, height, pixelStride: pixels === 0 ? 3 : data.length / pixels };
}

/**
 * Checks a network input and returns its rows, cols and, for images, bytes
 * per pixel (3 or 4). The size of a FloatTensorRows is checked where it runs whole.
 */
export function describeInput(input: RunInput, what: string): { rows: number; cols: number; pixelStride: number } {
  if (input === null || typeof input !== 'object') throw new InputError(`${what} is not an image or tensor`);
  if (isFloatTensorRows(input)) {
    if (!Number.isInteger(input.rows) || !Number.isInteger(input.cols) || input.rows < 1 || input.cols < 1 || input.channels !== 3) {
      throw new InputError(
        `${what} is a tensor of ${String(input.channels)}x${String(input.rows)}x${String(input.cols)}, not of 3 channels and whole rows and columns`,
      );
    }
    return { rows: input.rows, cols: input.cols, pixelStride: 0 };
  }
  if (!('data' in input)) throw new InputError(`${what} is not an image or tensor`);
  if (isFloatTensor(input)) {
    if (!('channels' in input) && 'width' in input) {
      throw new InputError(
        `${what} is an image with Float32Array data; an image's data must be 8-bit RGB or RGBA bytes (a Uint8Array or Uint8ClampedArray), and a float tensor is { channels: 3, rows, cols, data }`,
      );
    }
    checkImageSize(input.cols, input.rows, what);
    if (input.channels !== 3) throw new InputError(`${what} has ${input.channels} channels; the input layer takes 3 (RGB)`);
    const expected = 3 * input.rows * input.cols;
    if (input.data.length !== expected) {
      throw new InputError(`${what} holds ${input.data.length} floats, expected 3x${input.rows}x${input.cols} = ${expected}`);
    }
    for (let i = 0; i < expected; i++) {
      if (!Number.isFinite(input.data[i])) throw new InputError(`${what} has a non-finite value (${input.data[i]}) at index ${i}`);
    }
    return { rows: input.rows, cols: input.cols, pixelStride: 0 };
  }
  const { width, height, pixelStride } = describeRgbImage(input, what);
  return { rows: height, cols: width, pixelStride };
}
