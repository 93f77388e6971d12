import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import type { PixelBuffer } from '../src/cli/simd-jpeg-decoder.js';
import { decodeImage } from '../src/cli/decode-image.js';
import { InputError } from '../src/index.js';
import { fixture, fixtureJson, concatBytes } from './support/helpers.js';
import { encodePng, fakeFrameBehindFillByte, jpegMarkerAt, pngChunk, pngFile, withFrameSize } from './support/image-files.js';

const faces = readdirSync(fileURLToPath(new URL('fixtures/faces/', import.meta.url))).filter((f) => f.endsWith('.json'));
// One face per photo: each JSON names its photo and the md5 of dlib's decoded RGB pixels.
const photos = new Map<string, string>();
for (const f of faces) {
  const { image, image_rgb_md5: md5 } = fixtureJson(`faces/${f}`);
  if (image) photos.set(image, md5);
}

const rgbMd5 = (data: Uint8Array) => {
  const rgb = new Uint8Array((data.length / 4) * 3);
  for (let i = 0, j = 0; i < data.length; i += 4, j += 3) rgb.set(data.subarray(i, i + 3), j);
  return createHash('md5').update(rgb).digest('hex');
};

describe('image decoding', () => {
  it.each([...photos])("decodes %s to exactly dlib's pixels", async (photo, md5) => {
    const image = await decodeImage(fixture(`photos/${photo}`));
    expect(rgbMd5(image.data as Uint8Array)).toBe(md5);
  });

  it("decodes photo after photo into one pixel buffer, each to dlib's pixels in the buffer's memory, grown only for a larger one", async () => {
    const pixels: PixelBuffer = {};
    const buffers: ArrayBufferLike[] = [];
    for (const photo of ['bald_guys.jpg', '2008_001009.jpg', '2008_002470.jpg', 'bald_guys.jpg']) {
      const image = await decodeImage(fixture(`photos/${photo}`), { pixels });
      expect(image.data.length).toBe(image.width * image.height * 4);
      expect(rgbMd5(image.data as Uint8Array), photo).toBe(photos.get(photo));
      buffers.push(image.data.buffer);
    }
    expect(buffers.every((buffer) => buffer === buffers[0])).toBe(true);
    // The decoder's own memory (its planes come first), not an array of the image's size; without a buffer, a copy.
    expect(buffers[0].byteLength).toBeGreaterThan(1986 * 1545 * 4);
    const copy = await decodeImage(fixture('photos/2008_001009.jpg'));
    expect(copy.data.buffer.byteLength).toBe(copy.data.length);
  });

  it('rejects a truncated JPEG, a JPEG claiming 30000x30000, and what is not an image', async () => {
    const jpeg = fixture('photos/Tom_Cruise_avp_2014_4.jpg');
    await expect(decodeImage(jpeg.subarray(0, 400))).rejects.toThrow(InputError);
    const huge = jpeg.slice();
    const sof = huge.findIndex((b, i) => b === 0xff && (huge[i + 1] === 0xc0 || huge[i + 1] === 0xc2));
    expect(sof).toBeGreaterThan(0);
    huge.set([30000 >> 8, 30000 & 255, 30000 >> 8, 30000 & 255], sof + 5);
    await expect(decodeImage(huge)).rejects.toThrow(/the image size 30000x30000 is larger than the supported 16384x16384/);
    await expect(decodeImage(new TextEncoder().encode('{"not": "an image"}'))).rejects.toThrow(/not a PNG or JPEG/);
  });

  it('says which size limit an image exceeds', async () => {
    const jpeg = fixture('photos/Tom_Cruise_avp_2014_4.jpg');
    await expect(decodeImage(withFrameSize(jpeg, 16000, 16000))).rejects.toThrow(
      /the image size 16000x16000 is 256000000 pixels, more than the 67108864 supported/,
    );
    await expect(decodeImage(withFrameSize(jpeg, 20000, 100))).rejects.toThrow(
      /the image size 20000x100 is larger than the supported 16384x16384/,
    );
  });
});

describe('JPEG markers, read as libjpeg reads them', () => {
  const jpeg = fixture('photos/Tom_Cruise_avp_2014_4.jpg');
  const sof = jpegMarkerAt(jpeg, 0xc0) >= 0 ? jpegMarkerAt(jpeg, 0xc0) : jpegMarkerAt(jpeg, 0xc2);
  /** The JPEG with `inserted` before its frame header. */
  const beforeFrame = (bytes: Uint8Array, inserted: ArrayLike<number>) =>
    concatBytes(bytes.subarray(0, sof), inserted, bytes.subarray(sof));

  it('decodes a JPEG with fill bytes (0xFF) before its frame header, as libjpeg does', async () => {
    const expected = await decodeImage(jpeg);
    const filled = await decodeImage(beforeFrame(jpeg, [0xff, 0xff]));
    expect([filled.width, filled.height]).toEqual([expected.width, expected.height]);
    expect(Buffer.from(filled.data).equals(Buffer.from(expected.data))).toBe(true);
  });

  it('checks the real frame size, not a fake frame header inside a COM segment', async () => {
    await expect(decodeImage(fakeFrameBehindFillByte(jpeg, 16000, 16000))).rejects.toThrow(/16000x16000 is 256000000 pixels, more than/);
    const image = await decodeImage(fakeFrameBehindFillByte(jpeg, 400, 500), { allowDamaged: true });
    expect([image.width, image.height]).toEqual([400, 500]);
  });

  it('rejects a frame larger than its file could hold (a bit per 8x8 block) before decoding it', async () => {
    // 9000x7000 is 984375 blocks: 123047 bytes at the very least; the file has 66360.
    await expect(decodeImage(withFrameSize(jpeg, 9000, 7000), { allowDamaged: true })).rejects.toThrow(
      /^cannot decode image: the JPEG's 9000x7000 frame needs at least 123047 bytes \(a bit per 8x8 block\), and the file has 66360: it is cut short, or its size field is wrong$/,
    );
  });

  it('rejects image data before any frame header, and a second SOI', async () => {
    const sos = jpegMarkerAt(jpeg, 0xda);
    await expect(decodeImage(concatBytes(jpeg.subarray(0, sof), jpeg.subarray(sos)))).rejects.toThrow(
      /image data \(SOS marker at byte \d+\) comes before any frame header/,
    );
    await expect(decodeImage(beforeFrame(jpeg, [0xff, 0xd8]))).rejects.toThrow(/a second SOI marker/);
  });
});

describe('damaged JPEGs', () => {
  const jpeg = fixture('photos/2008_002506.jpg');
  const truncated = jpeg.subarray(0, Math.floor(jpeg.length * 0.3));

  it('rejects a truncated JPEG by default, saying so in our words and naming the option', async () => {
    const error = await decodeImage(truncated).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(
      /^cannot decode image: damaged JPEG: the file ends before its image data does \(truncated\) \(libjpeg: "Premature end of JPEG file"\); .*--accept-damaged-images/,
    );
  });

  it('decodes a truncated JPEG with allowDamaged, and returns its warning', async () => {
    const image = await decodeImage(truncated, { allowDamaged: true });
    expect([image.width, image.height]).toEqual([500, 375]);
    expect(image.warnings).toEqual([
      'damaged JPEG: the file ends before its image data does (truncated) (libjpeg: "Premature end of JPEG file")',
    ]);
    expect((await decodeImage(jpeg, { allowDamaged: true })).warnings).toEqual([]);
  });

  it('gives libjpeg\'s reason for a fatal error, not "exit(1)", and decodes the next file soundly', async () => {
    const dht = jpegMarkerAt(jpeg, 0xc4);
    const bogus = jpeg.slice();
    bogus.fill(0xff, dht + 5, dht + 21); // 16 code counts of 255: more codes than a Huffman table holds
    await expect(decodeImage(bogus)).rejects.toThrow(
      /^cannot decode image: damaged JPEG: an invalid Huffman table \(libjpeg: "Bogus Huffman table definition"\)$/,
    );
    expect(rgbMd5((await decodeImage(jpeg)).data as Uint8Array)).toBe(photos.get('2008_002506.jpg'));
  });
});

describe('PNG checks', () => {
  const pixels = Uint8Array.from({ length: 16 * 16 * 3 }, (_, i) => (i * 7) & 255);

  it('decodes interlaced, palette and grey PNGs to the same pixels as plain RGB', async () => {
    const plain = await decodeImage(encodePng(16, 16, pixels, 3, false));
    const interlaced = await decodeImage(encodePng(16, 16, pixels, 3, true));
    expect(Buffer.from(interlaced.data).equals(Buffer.from(plain.data))).toBe(true);
    expect(plain.data.subarray(0, 8)).toEqual(Uint8Array.from([0, 7, 14, 255, 21, 28, 35, 255]));
    const grey = await decodeImage(encodePng(3, 1, Uint8Array.from([0, 128, 255]), 1, true));
    expect(Array.from(grey.data)).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
    const indexed = await decodeImage(encodePng(2, 1, Uint8Array.from([1, 0]), 1, false, Uint8Array.from([10, 20, 30, 40, 50, 60])));
    expect(Array.from(indexed.data)).toEqual([40, 50, 60, 255, 10, 20, 30, 255]);
  });

  it('inflates the image data of a PNG once (plain and interlaced): with a cap, in zlib.inflateSync, and never again in pngjs', async () => {
    // pngjs's reader inflates with zlib.inflateSync (interlaced) or a zlib.Inflate stream of its own (plain).
    const inflateSync = vi.spyOn(zlib, 'inflateSync');
    const inflateStream = vi.spyOn(zlib, 'Inflate');
    try {
      for (const interlaced of [false, true]) {
        inflateSync.mockClear();
        inflateStream.mockClear();
        const image = await decodeImage(encodePng(16, 16, pixels, 3, interlaced));
        expect(image.data.subarray(0, 8)).toEqual(Uint8Array.from([0, 7, 14, 255, 21, 28, 35, 255]));
        const inflations = { inflateSync: inflateSync.mock.calls.length, inflateStreams: inflateStream.mock.calls.length };
        expect(inflations, interlaced ? 'interlaced' : 'plain').toEqual({ inflateSync: 1, inflateStreams: 0 });
        expect(inflateSync.mock.calls[0][1], 'the cap').toEqual({ maxOutputLength: interlaced ? 798 : 784 });
      }
    } finally {
      inflateSync.mockRestore();
      inflateStream.mockRestore();
    }
  });

  it("rejects an interlaced PNG whose data inflates to more than its header's size needs, before inflating it all", async () => {
    // 16x16 RGB in Adam7 passes needs 798 bytes; this holds 64 MB of zeros (64 KB deflated).
    const bomb = pngFile(16, 16, 8, 2, 1, new Uint8Array(64 << 20));
    await expect(decodeImage(bomb)).rejects.toThrow(
      /^cannot decode image: the PNG image data inflates to more than the 798 bytes its 16x16 header needs$/,
    );
  });

  it('rejects image data shorter than the header needs', async () => {
    await expect(decodeImage(pngFile(16, 16, 8, 2, 0, new Uint8Array(100)))).rejects.toThrow(
      /inflates to 100 bytes; its 16x16 header needs 784/,
    );
  });

  it('says a truncated PNG is truncated, and where', async () => {
    const png = encodePng(16, 16, pixels, 3, false);
    await expect(decodeImage(png.subarray(0, png.length - 20))).rejects.toThrow(
      /^cannot decode image: the PNG file is truncated: it ends inside its IDAT chunk at byte 33$/,
    );
    await expect(decodeImage(png.subarray(0, png.length - 12))).rejects.toThrow(
      /the PNG file is truncated: it ends at byte \d+ with no IEND chunk/,
    );
  });

  it('checks the header: colour type and bit depth, methods, size', async () => {
    const png = (depth: number, colorType: number, interlace: number) => pngFile(4, 4, depth, colorType, interlace, new Uint8Array(20));
    await expect(decodeImage(png(16, 3, 0))).rejects.toThrow(/colour type 3 with bit depth 16, which the PNG format does not allow/);
    await expect(decodeImage(png(8, 2, 2))).rejects.toThrow(/interlace method 2; only 0, 0 and 0 or 1 exist/);
    await expect(decodeImage(pngFile(0, 4, 8, 2, 0, new Uint8Array(4)))).rejects.toThrow(
      /the image is 0x4; it must be at least 1x1 pixels/,
    );
    const noData = concatBytes(pngFile(4, 4, 8, 2, 0, new Uint8Array(0)).subarray(0, 33), pngChunk('IEND', []));
    await expect(decodeImage(noData)).rejects.toThrow(/no image data \(IDAT chunk\)/);
  });
});
