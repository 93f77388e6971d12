import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputError } from '../errors.js';
import { MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, type RgbImage } from '../image.js';

const isPng = (b: Uint8Array) => b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** Decodes a PNG or JPEG file's bytes to RGBA (pngjs and jpeg-js: pure JS, no native build). */
export function decodeImage(bytes: Uint8Array): RgbImage {
  try {
    if (isPng(bytes)) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    if (isJpeg(bytes)) {
      const image = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
        maxMemoryUsageInMB: 1024,
      });
      if (image.width > MAX_IMAGE_SIDE || image.height > MAX_IMAGE_SIDE) throw new Error(`${image.width}x${image.height} is too large`);
      return { width: image.width, height: image.height, data: image.data };
    }
  } catch (error) {
    throw new InputError(`cannot decode image: ${(error as Error).message}`);
  }
  throw new InputError('not a PNG or JPEG file');
}
