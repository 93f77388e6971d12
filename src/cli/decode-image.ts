import { readFile } from 'node:fs/promises';
import decodeJpeg, { init as initJpegDecoder } from '@jsquash/jpeg/decode.js';
import { PNG } from 'pngjs';
import { InputError } from '../errors.js';
import { MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, type RgbImage } from '../image.js';

const isPng = (b: Uint8Array) => b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

let jpegDecoderReady: Promise<void> | undefined;

/** mozjpeg in wasm: the same pixels as dlib's libjpeg-turbo. Node cannot fetch its wasm, so it is read here. */
function readyJpegDecoder(): Promise<void> {
  jpegDecoderReady ??= (async () => {
    const wasm = await readFile(new URL(import.meta.resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm')));
    await initJpegDecoder(await WebAssembly.compile(wasm));
  })();
  return jpegDecoderReady;
}

/** Size fields of a JPEG's frame header, read before decoding so that an absurd claim costs nothing. */
function jpegSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  for (let i = 2; i + 9 < bytes.length;) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1];
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (bytes[i + 5] << 8) | bytes[i + 6], width: (bytes[i + 7] << 8) | bytes[i + 8] };
    }
    i += 2 + length;
  }
  return undefined;
}

function checkSize(width: number, height: number): void {
  if (width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    throw new InputError(`image size ${width}x${height} is empty or larger than supported (${MAX_IMAGE_SIDE}x${MAX_IMAGE_SIDE}, ${MAX_IMAGE_PIXELS} pixels)`);
  }
}

/**
 * Decodes a PNG (pngjs) or JPEG (@jsquash/jpeg) file's bytes to RGBA. Both
 * are pure JavaScript/wasm, so `npm ci` needs no native build.
 */
export async function decodeImage(bytes: Uint8Array): Promise<RgbImage> {
  try {
    if (isPng(bytes)) {
      // IHDR is the first chunk: width and height at bytes 16..23.
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      checkSize(view.getUint32(16), view.getUint32(20));
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    if (isJpeg(bytes)) {
      const size = jpegSize(bytes);
      if (!size) throw new InputError('no frame header');
      checkSize(size.width, size.height);
      await readyJpegDecoder();
      const image = await decodeJpeg(bytes.slice().buffer);
      return { width: image.width, height: image.height, data: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength) };
    }
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`cannot decode image: ${error.message}`);
    throw new InputError(`cannot decode image: ${(error as Error).message}`);
  }
  throw new InputError('not a PNG or JPEG file');
}
