import { InputError } from '../errors.js';

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

/** Markers that stand alone, without a length: RST0..RST7 and TEM. */
const isStandalone = (marker: number) => (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01;
/** SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share their range but do not. */
const isFrameHeader = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

/**
 * The frame size that libjpeg will decode, found the way its marker reader
 * finds it (jdmarker.c): bytes that are not 0xFF before a marker are skipped,
 * as are 0xFF fill bytes and 0xFF00 pairs; segments are skipped by their
 * length, so a "marker" inside a COM or APP segment is not one; the first
 * frame header wins (libjpeg refuses a second). Read before decoding, so that
 * a claimed size is checked before anything is allocated for it.
 */
export function jpegFrameSize(bytes: Uint8Array): { width: number; height: number } {
  if (bytes[0] !== 0xff || bytes[1] !== SOI) throw new InputError('not a JPEG file: it does not start with an SOI marker');
  let i = 2;
  for (;;) {
    let marker: number;
    do {
      while (i < bytes.length && bytes[i] !== 0xff) i++;
      while (i < bytes.length && bytes[i] === 0xff) i++;
      if (i >= bytes.length) throw new InputError('the JPEG file ends before its frame header (SOF marker)');
      marker = bytes[i++];
    } while (marker === 0);
    if (marker === SOS)
      throw new InputError(`the JPEG image data (SOS marker at byte ${i - 2}) comes before any frame header (SOF marker)`);
    if (marker === EOI) throw new InputError(`the JPEG file ends (EOI marker at byte ${i - 2}) before any frame header (SOF marker)`);
    if (marker === SOI) throw new InputError(`the JPEG file has a second SOI marker at byte ${i - 2}`);
    if (isStandalone(marker)) continue;
    if (i + 2 > bytes.length) throw new InputError('the JPEG file ends before its frame header (SOF marker)');
    const length = (bytes[i] << 8) | bytes[i + 1];
    if (length < 2) throw new InputError(`the JPEG segment at byte ${i - 2} has an invalid length (${length})`);
    if (isFrameHeader(marker)) {
      if (length < 8 || i + 7 > bytes.length) throw new InputError(`the JPEG frame header at byte ${i - 2} is cut short`);
      return { height: (bytes[i + 3] << 8) | bytes[i + 4], width: (bytes[i + 5] << 8) | bytes[i + 6] };
    }
    i += length;
  }
}

/**
 * The fewest bytes that can hold a frame's image data: Huffman coding spends
 * at least one bit on every 8x8 block (its DC code), and this libjpeg has no
 * arithmetic coding. A frame claiming more than its file can hold is not
 * decoded: libjpeg would fill all of it in, however large, from nothing.
 */
export function minimumJpegBytes(width: number, height: number): number {
  return Math.ceil((Math.ceil(width / 8) * Math.ceil(height / 8)) / 8);
}
