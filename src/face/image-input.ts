import { InputError } from '../errors.js';
import { describeInput, isFloatTensor, type RgbImage } from '../image.js';

/**
 * Checks an image that landmarks or chips are taken from and returns its size
 * and bytes per pixel (3 or 4). At least 2x2: bilinear sampling needs a pixel's
 * right and lower neighbours, and a smaller image holds no face.
 */
export function describeRgbImage(image: RgbImage, what: string): { width: number; height: number; pixelStride: number } {
  if (image !== null && typeof image === 'object' && isFloatTensor(image as never)) {
    throw new InputError(`${what} must be 8-bit RGB or RGBA pixels, not a float tensor`);
  }
  const { rows, cols, pixelStride } = describeInput(image, what);
  if (rows < 2 || cols < 2) throw new InputError(`${what} is ${cols}x${rows}; it must be at least 2x2 pixels`);
  return { width: cols, height: rows, pixelStride };
}
