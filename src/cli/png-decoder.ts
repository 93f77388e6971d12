import zlib from 'node:zlib';
import { dataToBitMap } from 'pngjs/lib/bitmapper.js';
import { process as unfilter } from 'pngjs/lib/filter-parse-sync.js';
import normaliseFormat from 'pngjs/lib/format-normaliser.js';
import Parser from 'pngjs/lib/parser.js';
import SyncReader from 'pngjs/lib/sync-reader.js';
import { InputError } from '../errors.js';
import type { RgbImage } from '../image.js';

/** Bit depths allowed for each colour type (PNG spec, table 11.1). */
const BIT_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Adam7's passes: first column and row, and steps. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

/** Bytes the filtered scanlines of an image (or one Adam7 pass) take: a filter byte and the packed pixels per row. */
function scanlineBytes(width: number, height: number, bitsPerPixel: number): number {
  return width === 0 || height === 0 ? 0 : height * (1 + Math.ceil((width * bitsPerPixel) / 8));
}

/** What the image data must inflate to, exactly: no more is ever inflated. */
export function inflatedSize({ width, height, bitDepth, colorType, interlaced }: PngHeader): number {
  const bits = bitDepth * CHANNELS[colorType];
  if (!interlaced) return scanlineBytes(width, height, bits);
  return ADAM7.reduce(
    (sum, [x0, y0, dx, dy]) =>
      sum + scanlineBytes(Math.max(0, Math.ceil((width - x0) / dx)), Math.max(0, Math.ceil((height - y0) / dy)), bits),
    0,
  );
}

const chunkName = (bytes: Uint8Array, at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);

/**
 * Walks the chunks of a PNG: checks the header (IHDR), that the file is
 * whole (up to IEND), and gathers the compressed image data (IDAT).
 * `checkSize` sees the header's size before anything is allocated for it.
 */
function readChunks(bytes: Uint8Array, checkSize: (width: number, height: number) => void): { header: PngHeader; compressed: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 33 || chunkName(bytes, 12) !== 'IHDR' || view.getUint32(8) !== 13) {
    throw new InputError('the PNG file does not start with a 13-byte header (IHDR) chunk');
  }
  const header: PngHeader = {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: bytes[24],
    colorType: bytes[25],
    interlaced: bytes[28] === 1,
  };
  checkSize(header.width, header.height);
  if (!BIT_DEPTHS[header.colorType]?.includes(header.bitDepth)) {
    throw new InputError(
      `the PNG header has colour type ${header.colorType} with bit depth ${header.bitDepth}, which the PNG format does not allow`,
    );
  }
  if (bytes[26] !== 0 || bytes[27] !== 0 || bytes[28] > 1) {
    throw new InputError(
      `the PNG header has compression method ${bytes[26]}, filter method ${bytes[27]} and interlace method ${bytes[28]}; only 0, 0 and 0 or 1 exist`,
    );
  }
  const idat: Uint8Array[] = [];
  for (let at = 8; ; ) {
    if (at + 8 > bytes.length) throw new InputError(`the PNG file is truncated: it ends at byte ${bytes.length} with no IEND chunk`);
    const length = view.getUint32(at);
    const name = chunkName(bytes, at + 4);
    if (at + 12 + length > bytes.length) throw new InputError(`the PNG file is truncated: it ends inside its ${name} chunk at byte ${at}`);
    if (name === 'IDAT') idat.push(bytes.subarray(at + 8, at + 8 + length));
    if (name === 'IEND') break;
    at += 12 + length;
  }
  if (idat.length === 0) throw new InputError('the PNG file has no image data (IDAT chunk)');
  return { header, compressed: idat.length === 1 ? idat[0] : Buffer.concat(idat) };
}

/**
 * pngjs's chunk parser over the whole file (its CRC and chunk checks), for
 * the header, palette and transparency; the image data it hands over is
 * dropped, as decodePng has it already.
 */
function readPngMetadata(bytes: Uint8Array): PngjsMetadata {
  let metadata: PngjsMetadata | undefined;
  let failure: Error | undefined;
  const reader = new SyncReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const ignore = () => {};
  new Parser(
    {},
    {
      read: reader.read.bind(reader),
      error: (error: Error) => {
        failure = error;
      },
      metadata: (m: PngjsMetadata) => {
        metadata = m;
      },
      gamma: ignore,
      palette: (palette: number[][]) => {
        metadata!.palette = palette;
      },
      transColor: (transColor: number[]) => {
        metadata!.transColor = transColor;
      },
      simpleTransparency: () => {
        metadata!.alpha = true;
      },
      inflateData: ignore,
    },
  ).start();
  try {
    reader.process();
  } catch (error) {
    // pngjs's reader throws plain Errors of its own (e.g. bytes past IEND): they are the file's fault.
    failure ??= error as Error;
  }
  if (failure || !metadata) throw new InputError(`the PNG file is damaged (pngjs: ${failure?.message ?? 'no header'})`);
  return metadata;
}

/**
 * Decodes a PNG to RGBA: the image data is inflated once, here, with a cap
 * of exactly what the header's size needs (pngjs caps only non-interlaced
 * images), then unfiltered, unpacked and normalised to RGBA by pngjs's
 * stages, as its own reader does after inflating.
 */
export function decodePng(bytes: Uint8Array, checkSize: (width: number, height: number) => void): RgbImage {
  const { header, compressed } = readChunks(bytes, checkSize);
  const needed = inflatedSize(header);
  let inflated: Buffer;
  try {
    inflated = zlib.inflateSync(compressed, { maxOutputLength: needed });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new InputError(
        `the PNG image data inflates to more than the ${needed} bytes its ${header.width}x${header.height} header needs`,
      );
    }
    throw new InputError(`the PNG image data is damaged (zlib: ${(error as Error).message})`);
  }
  if (inflated.length < needed)
    throw new InputError(
      `the PNG image data inflates to ${inflated.length} bytes; its ${header.width}x${header.height} header needs ${needed}`,
    );
  const metadata = readPngMetadata(bytes);
  let rgba: Buffer;
  try {
    rgba = normaliseFormat(dataToBitMap(unfilter(inflated, metadata), metadata), metadata);
  } catch (error) {
    throw new InputError(`the PNG file is damaged (pngjs: ${(error as Error).message})`);
  }
  return { width: metadata.width, height: metadata.height, data: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength) };
}
