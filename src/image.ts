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

/** Largest side and pixel count accepted, so that a bad size field never drives an allocation. */
export const MAX_IMAGE_SIDE = 16384;
export const MAX_IMAGE_PIXELS = 64 * 1024 * 1024;

export function isFloatTensor(input: NetworkInput): input is FloatTensor {
  return input.data instanceof Float32Array;
}

function checkSize(width: unknown, height: unknown, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || (width as number) < 1 || (height as number) < 1) {
    throw new InputError(`${what} size ${String(width)}x${String(height)} is not a positive integer size`);
  }
  const w = width as number;
  const h = height as number;
  if (w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE || w * h > MAX_IMAGE_PIXELS) {
    throw new InputError(
      `${what} size ${w}x${h} is larger than the supported ${MAX_IMAGE_SIDE}x${MAX_IMAGE_SIDE} (${MAX_IMAGE_PIXELS} pixels)`,
    );
  }
}

/** Checks an input and returns its rows, cols and, for images, bytes per pixel (3 or 4). */
export function describeInput(input: NetworkInput, what: string): { rows: number; cols: number; pixelStride: number } {
  if (input === null || typeof input !== 'object' || !('data' in input)) throw new InputError(`${what} is not an image or tensor`);
  if (isFloatTensor(input)) {
    if (!('channels' in input) && 'width' in input) {
      throw new InputError(
        `${what} is an image with Float32Array data; an image's data must be 8-bit RGB or RGBA bytes (a Uint8Array or Uint8ClampedArray), and a float tensor is { channels: 3, rows, cols, data }`,
      );
    }
    checkSize(input.cols, input.rows, what);
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
  const { width, height, data } = input;
  checkSize(width, height, what);
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new InputError(`${what} data must be a Uint8Array or Uint8ClampedArray of RGB or RGBA bytes`);
  }
  const pixels = width * height;
  if (data.length !== pixels * 3 && data.length !== pixels * 4) {
    throw new InputError(
      `${what} holds ${data.length} bytes; a ${width}x${height} image needs ${pixels * 3} (RGB) or ${pixels * 4} (RGBA)`,
    );
  }
  return { rows: height, cols: width, pixelStride: data.length / pixels };
}
