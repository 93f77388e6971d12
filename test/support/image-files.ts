// Small image files built in memory for the decoder tests: PNGs of any colour
// type, interlaced or not, and JPEG surgery (segments, fill bytes, sizes).
import { deflateSync } from 'node:zlib';
import { concatBytes } from './helpers.js';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function pngChunk(name: string, data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(
    Array.from(name, (c) => c.charCodeAt(0)),
    4,
  );
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export function pngHeader(width: number, height: number, bitDepth: number, colorType: number, interlace: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([bitDepth, colorType, 0, 0, interlace], 8);
  return pngChunk('IHDR', ihdr);
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** A PNG file whose image data is `raw` (filtered scanlines) as it is, deflated: for bombs and short data. */
export function pngFile(
  width: number,
  height: number,
  bitDepth: number,
  colorType: number,
  interlace: number,
  raw: Uint8Array,
  extra: Uint8Array[] = [],
  compressed: Uint8Array = deflateSync(raw),
): Uint8Array {
  return concatBytes(
    SIGNATURE,
    pngHeader(width, height, bitDepth, colorType, interlace),
    ...extra,
    pngChunk('IDAT', compressed),
    pngChunk('IEND', []),
  );
}

/**
 * A zlib stream of `length` zero bytes (1 + a multiple of 258), written by
 * hand (a literal 0, then copies of 258 bytes at distance 1, in one
 * fixed-Huffman block) so that the test never holds the bytes it inflates to.
 */
export function zerosDeflated(length: number): Uint8Array {
  const copies = (length - 1) / 258;
  if (!Number.isInteger(copies)) throw new Error('length must be 1 + a multiple of 258');
  const bits = new Uint8Array(Math.ceil((3 + 8 + 13 * copies + 7) / 8) + 1);
  let at = 0;
  const put = (value: number, count: number) => {
    for (let k = 0; k < count; k++, at++) bits[at >> 3] |= ((value >> k) & 1) << (at & 7);
  };
  // Huffman codes go most significant bit first: reversed here, as put() writes least significant first.
  const reversed = (value: number, count: number) => parseInt(value.toString(2).padStart(count, '0').split('').reverse().join(''), 2);
  put(1, 1); // final block
  put(1, 2); // fixed Huffman codes
  put(reversed(0x30, 8), 8); // literal 0
  const copy = reversed(0xc5, 8); // length 258 (code 285), then distance 1 (5 zero bits)
  for (let c = 0; c < copies; c++) put(copy, 13);
  put(0, 7); // end of block
  const adler = (((length % 65521) << 16) | 1) >>> 0; // a stays 1 over zeros; b sums it once per byte
  return concatBytes([0x78, 0x01], bits.subarray(0, Math.ceil(at / 8)), [
    adler >>> 24,
    (adler >>> 16) & 255,
    (adler >>> 8) & 255,
    adler & 255,
  ]);
}

/**
 * An 8-bit PNG of `channels`-channel pixels (1 grey, 3 RGB, 4 RGBA, or 1
 * with `palette` as indices), unfiltered, interlaced (Adam7) if asked.
 */
export function encodePng(
  width: number,
  height: number,
  pixels: Uint8Array,
  channels: number,
  interlaced: boolean,
  palette?: Uint8Array,
): Uint8Array {
  const colorType = palette ? 3 : { 1: 0, 3: 2, 4: 6 }[channels]!;
  const passes = interlaced ? ADAM7 : [[0, 0, 1, 1]];
  const rows: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    if (x0 >= width || y0 >= height) continue;
    for (let y = y0; y < height; y += dy) {
      rows.push(0);
      for (let x = x0; x < width; x += dx) {
        for (let c = 0; c < channels; c++) rows.push(pixels[(y * width + x) * channels + c]);
      }
    }
  }
  return pngFile(width, height, 8, colorType, interlaced ? 1 : 0, Uint8Array.from(rows), palette ? [pngChunk('PLTE', palette)] : []);
}

/** The offset of the first marker `marker` (0xFF then it) in a JPEG. */
export function jpegMarkerAt(jpeg: Uint8Array, marker: number): number {
  return jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === marker);
}

/** A JPEG's frame header (its first SOF0 or SOF2) rewritten to claim `width`x`height`. */
export function withFrameSize(jpeg: Uint8Array, width: number, height: number): Uint8Array {
  const out = jpeg.slice();
  const sof = out.findIndex((b, i) => b === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc2));
  out.set([height >> 8, height & 255, width >> 8, width & 255], sof + 5);
  return out;
}

/** A COM segment holding `content`. */
export const jpegComment = (content: ArrayLike<number>) =>
  concatBytes([0xff, 0xfe, (content.length + 2) >> 8, (content.length + 2) & 255], content);

/**
 * The hostile JPEG of the hardening report: its frame header claims
 * `width`x`height` and has a 0xFF fill byte before it, and a COM segment after
 * it holds a fake 16x16 frame header where a reader that takes the fill byte
 * for a marker (and the real marker's bytes for a length) lands.
 */
export function fakeFrameBehindFillByte(jpeg: Uint8Array, width: number, height: number): Uint8Array {
  const sized = withFrameSize(jpeg, width, height);
  const sof = sized.findIndex((b, i) => b === 0xff && (sized[i + 1] === 0xc0 || sized[i + 1] === 0xc2));
  const frameEnd = sof + 2 + ((sized[sof + 2] << 8) | sized[sof + 3]);
  // With the fill byte at `sof`, the misreading lands at sof + 2 + (marker << 8 | length's high byte).
  const landing = sof + 2 + ((sized[sof + 1] << 8) | sized[sof + 2]);
  const commentStart = frameEnd + 1; // after the fill byte and the real frame header
  const fake = [0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x10, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01];
  const content = new Uint8Array(landing - (commentStart + 4) + fake.length);
  content.set(fake, landing - (commentStart + 4));
  return concatBytes(sized.subarray(0, sof), [0xff], sized.subarray(sof, frameEnd), jpegComment(content), sized.subarray(frameEnd));
}
