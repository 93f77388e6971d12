import { InputError } from '../errors.js';
import { checkImageSize, type RgbImage } from '../image.js';
import { decodeSimdJpeg, type PixelBuffer } from './simd-jpeg-decoder.js';
import { jpegFrameSize, minimumJpegBytes } from './jpeg-frame.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const isPng = (b: Uint8Array) => b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v);
const isJpeg = (b: Uint8Array) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

export interface DecodeOptions {
  /** Accept a JPEG whose data libjpeg finds damaged (truncated, corrupt): its warning is returned instead of thrown. */
  allowDamaged?: boolean;
  /** Where the pixels of a JPEG our own decoder takes go (see PixelBuffer): the image returned is valid until the next decode into it. */
  pixels?: PixelBuffer;
}

/** A decoded image, and the warnings about it (a damaged JPEG accepted with `allowDamaged`). */
export interface DecodedImage extends RgbImage {
  warnings: string[];
}

/** A header's size, checked before anything is allocated for it. */
const checkSize = (width: number, height: number) => checkImageSize(width, height, 'the image');

/**
 * Decodes a PNG (pngjs) or JPEG file's bytes to RGBA. A sequential or
 * progressive Huffman JPEG goes to our own SIMD decoder (simd-jpeg-decoder.ts),
 * every other one (and any it declines) to mozjpeg
 * in wasm, with the same pixels either way: all pure JavaScript/wasm, so
 * `npm ci` needs no native build. Every failure is an InputError.
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  try {
    // The PNG decoder (pngjs) and mozjpeg are imported only for a photo that needs them: 10 ms of a start that does not.
    if (isPng(bytes)) return { ...(await import('./png-decoder.js')).decodePng(bytes, checkSize), warnings: [] };
    if (isJpeg(bytes)) {
      const { width, height } = jpegFrameSize(bytes);
      checkSize(width, height);
      if (bytes.length < minimumJpegBytes(width, height)) {
        throw new InputError(
          `the JPEG's ${width}x${height} frame needs at least ${minimumJpegBytes(width, height)} bytes (a bit per 8x8 block), and the file has ${bytes.length}: it is cut short, or its size field is wrong`,
        );
      }
      const ours = await decodeSimdJpeg(bytes, options.pixels);
      if (ours) return { ...ours, warnings: [] };
      const { decodeJpeg } = await import('./jpeg-decoder.js');
      const { image, warnings } = await decodeJpeg(bytes, options.allowDamaged ?? false);
      return { ...image, warnings };
    }
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(`cannot decode image: ${(error as Error).message}`);
  }
  throw new InputError('not a PNG or JPEG file');
}
