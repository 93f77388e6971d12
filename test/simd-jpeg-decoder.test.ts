import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeSimdJpeg } from '../src/cli/simd-jpeg-decoder.js';
import { decodeImage } from '../src/cli/decode-image.js';
import { decodeJpeg } from '../src/cli/jpeg-decoder.js';
import { InputError } from '../src/errors.js';
import type { RgbImage } from '../src/image.js';
import { concatBytes, fixture } from './support/helpers.js';
import { jpegMarkerAt } from './support/image-files.js';

const fixtures = fileURLToPath(new URL('fixtures/', import.meta.url));
const jpegsIn = (folder: string) =>
  readdirSync(`${fixtures}${folder}`, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => `${folder}/${f}`);
// Every JPEG the repository has: dlib's and face-api's photos, dlib's car photos, the LFW subset, and the sampling variants of jpeg/ (see fixtures/README.md).
const allJpegs = [...jpegsIn('photos'), ...jpegsIn('dlib-models/mmod'), ...jpegsIn('lfw/deepfunneled_250'), ...jpegsIn('jpeg')];

/**
 * The files the decoder leaves to mozjpeg: chroma too narrow for libjpeg's triangle filter, and a progressive
 * file whose Cr has no AC coefficients at all (libjpeg's block smoothing estimates them).
 */
const LEFT_TO_MOZJPEG = ['jpeg/h2v1-3x9.jpg', 'jpeg/h2v2-q75-scans-no-cr-ac.jpg'];

/** Progressive files jpegtran made from sequential ones (the same coefficients, so the same pixels): progressive, sequential. */
const TRANSCODED = [
  ['jpeg/h1v1-q90-progressive-restart2rows.jpg', 'jpeg/h1v1-q90-restart2rows.jpg'],
  ['jpeg/h2v1-q85-progressive.jpg', 'jpeg/h2v1-q85.jpg'],
  ['jpeg/grey-q90-progressive-restart3blocks.jpg', 'jpeg/grey-q90-restart3blocks.jpg'],
  ['jpeg/h2v2-5x3-progressive.jpg', 'jpeg/h2v2-5x3.jpg'],
  ['jpeg/h1v2-q90-progressive.jpg', 'jpeg/h1v2-q90.jpg'],
  ['jpeg/h2v2-q75-scans-restart5blocks.jpg', 'jpeg/h2v2-q75-restart7blocks.jpg'],
];

/**
 * The 4:4:0 (h1v2) files, with the md5 of their RGB from dlib's libjpeg-turbo 2.1.5: `djpeg -ppm FILE |
 * tail -c $((WIDTH * HEIGHT * 3)) | md5sum` (Debian 12's libjpeg-turbo-progs). mozjpeg (of 2017's
 * libjpeg-turbo) upsamples h1v2 otherwise than libjpeg-turbo 2 (6,411 of h1v2-q90.jpg's values differ
 * from djpeg's, by up to 2), so for these files it is not dlib's libjpeg: djpeg's pixels are the reference.
 */
const H1V2_DJPEG_RGB_MD5: Record<string, string> = {
  'jpeg/h1v2-q90.jpg': '79ebe5189c03014a6edfa11514c2e9dd',
  'jpeg/h1v2-q90-progressive.jpg': '79ebe5189c03014a6edfa11514c2e9dd',
  'jpeg/h1v2-61x45-restart3blocks.jpg': 'b907f4e7f25756a4739d80afcee1f7c5',
};

const rgbMd5 = ({ width, height, data }: RgbImage) => {
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(data.subarray(4 * i, 4 * i + 3), 3 * i);
  return createHash('md5').update(rgb).digest('hex');
};

const mozjpegPixels = async (bytes: Uint8Array) => (await decodeJpeg(bytes, true)).image;

describe('the SIMD JPEG decoder', () => {
  it(`decodes each JPEG of the fixtures (${allJpegs.length} files, sequential and progressive) but 4:4:0 to exactly mozjpeg's pixels, and leaves the others to it`, async () => {
    const declined: string[] = [];
    for (const file of allJpegs) {
      const bytes = fixture(file);
      const ours = await decodeSimdJpeg(bytes);
      if (!ours) {
        declined.push(file);
        continue;
      }
      if (file in H1V2_DJPEG_RGB_MD5) continue;
      const theirs = await mozjpegPixels(bytes);
      expect([ours.width, ours.height], file).toEqual([theirs.width, theirs.height]);
      expect(Buffer.from(ours.data).equals(Buffer.from(theirs.data)), file).toBe(true);
    }
    expect(declined).toEqual(LEFT_TO_MOZJPEG);
  });

  it.each(Object.entries(H1V2_DJPEG_RGB_MD5))(
    "decodes 4:4:0 %s to exactly the pixels of libjpeg-turbo 2.1.5 (dlib's)",
    async (file, md5) => {
      const ours = await decodeSimdJpeg(fixture(file));
      expect(ours && rgbMd5(ours)).toBe(md5);
    },
  );

  it.each(TRANSCODED)(
    'decodes progressive %s to exactly the pixels of %s, its coefficients in one scan',
    async (progressive, sequential) => {
      const ours = await decodeSimdJpeg(fixture(progressive));
      const reference = await decodeSimdJpeg(fixture(sequential));
      expect(ours && reference && Buffer.from(ours.data).equals(Buffer.from(reference.data))).toBe(true);
    },
  );

  it('refuses a progressive JPEG of more than 500 scans (each runs over every block), and decodes one of 500 as mozjpeg does', async () => {
    // An 8x8 grey image whose every scan codes nothing (one 1-bit code: a DC difference of 0, an EOB): its DC
    // at bits 13..0, then each AC coefficient alone at bits 13..0 (14 scans each, as libjpeg allows).
    const scans: number[][] = [[0, 0, 0, 13], ...Array.from({ length: 13 }, (_, i) => [0, 0, 13 - i, 12 - i])];
    for (let k = 1; k < 64; k++) for (let al = 13; al >= 0; al--) scans.push([k, k, al === 13 ? 0 : al + 1, al]);
    const segment = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
    const oneCode = (index: number) => [index, 1, ...new Array(15).fill(0), 0];
    const jpeg = (count: number) =>
      Uint8Array.from([
        0xff,
        0xd8,
        ...segment(0xdb, [0, ...new Array(64).fill(1)]),
        ...segment(0xc2, [8, 0, 8, 0, 8, 1, 1, 0x11, 0]),
        ...segment(0xc4, [...oneCode(0x00), ...oneCode(0x10)]),
        ...scans.slice(0, count).flatMap(([ss, se, ah, al]) => [...segment(0xda, [1, 1, 0, ss, se, (ah << 4) | al]), 0x7f]),
        0xff,
        0xd9,
      ]);
    expect(scans.length).toBeGreaterThan(500);
    await expect(decodeSimdJpeg(jpeg(501))).rejects.toThrow(/more than 500 scans/);
    await expect(decodeImage(jpeg(scans.length))).rejects.toThrow(InputError);
    const ours = await decodeSimdJpeg(jpeg(500));
    const theirs = await decodeJpeg(jpeg(500), true);
    expect(theirs.warnings).toEqual([]);
    expect(ours && Buffer.from(ours.data).equals(Buffer.from(theirs.image.data))).toBe(true);
  });

  it('gives each decode a memory of its own: an earlier image keeps its pixels', async () => {
    const first = await decodeSimdJpeg(fixture('jpeg/h2v1-q85.jpg'));
    const copy = Uint8Array.from(first?.data ?? []);
    await decodeSimdJpeg(fixture('jpeg/grey-q90-restart3blocks.jpg'));
    expect(first && Buffer.from(first.data).equals(copy)).toBe(true);
  });

  it.each(['jpeg/h2v2-q75-restart7blocks.jpg', 'jpeg/h2v2-q75-scans-restart5blocks.jpg'])(
    '%s with a bit flipped anywhere: decodes exactly what mozjpeg decodes without a warning, and leaves it the rest',
    async (file) => {
      const jpeg = fixture(file);
      const outcomes = { ours: 0, mozjpeg: 0 };
      for (let at = 2; at < jpeg.length - 2; at += 29) {
        const flipped = jpeg.slice();
        flipped[at] ^= 1 << (at % 8);
        const ours = await decodeSimdJpeg(flipped);
        const theirs = await decodeJpeg(flipped, true).catch(() => undefined);
        if (ours) {
          outcomes.ours++;
          expect(theirs?.warnings, `byte ${at}`).toEqual([]);
          expect(Buffer.from(ours.data).equals(Buffer.from(theirs?.image.data ?? [])), `byte ${at}`).toBe(true);
        } else {
          outcomes.mozjpeg++;
          // Declined only where libjpeg warns or fails, or for what this decoder does not take (the headers).
          if (at > jpegMarkerAt(jpeg, 0xda) + 14) expect(theirs?.warnings ?? ['failed'], `byte ${at}`).not.toEqual([]);
        }
      }
      expect(outcomes.ours).toBeGreaterThan(0);
      expect(outcomes.mozjpeg).toBeGreaterThan(0);
    },
  );

  it('leaves a Huffman table with more codes than fit their lengths to mozjpeg, which rejects it', async () => {
    const jpeg = fixture('jpeg/h2v1-q85.jpg');
    const dht = jpegMarkerAt(jpeg, 0xc4);
    const counts = jpeg.subarray(dht + 5, dht + 21);
    const bogus = jpeg.slice();
    // All of the first table's codes 1 bit long (its symbol count, so its segment's length, unchanged).
    bogus.set([counts.reduce((a, b) => a + b, 0), ...new Array(15).fill(0)], dht + 5);
    expect(await decodeSimdJpeg(bogus)).toBeUndefined();
    await expect(decodeImage(bogus)).rejects.toThrow(/an invalid Huffman table \(libjpeg: "Bogus Huffman table definition"\)/);
  });

  describe('leaves a file to mozjpeg when its data is not sound, and mozjpeg warns of it', () => {
    const jpeg = fixture('jpeg/h2v2-q75-restart7blocks.jpg');
    const sos = jpegMarkerAt(jpeg, 0xda);
    const data = sos + 2 + ((jpeg[sos + 2] << 8) | jpeg[sos + 3]);
    const eoi = jpeg.length - 2;
    expect([jpeg[eoi], jpeg[eoi + 1]]).toEqual([0xff, 0xd9]);
    const firstRestart = jpegMarkerAt(jpeg, 0xd0);
    expect(firstRestart).toBeGreaterThan(data);
    const outOfSequence = jpeg.slice();
    outOfSequence[firstRestart + 1] = 0xd1;
    const badCode = jpeg.slice();
    // Sixteen 1 bits and more (0xFF 0x00 is a data byte 0xFF): no Huffman code is all ones.
    badCode.set([0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0], data + 40);

    it.each([
      ['truncated', jpeg.subarray(0, Math.floor(jpeg.length * 0.6))],
      ['a restart marker out of sequence', outOfSequence],
      ['a bad Huffman code', badCode],
      ['bytes left over before EOI', concatBytes(jpeg.subarray(0, eoi), [0x12, 0x34], jpeg.subarray(eoi))],
      ['no EOI after the scan', jpeg.subarray(0, eoi)],
    ])('%s', async (_, bytes) => {
      expect(await decodeSimdJpeg(bytes)).toBeUndefined();
      const decoded = await decodeImage(bytes, { allowDamaged: true });
      const { image, warnings } = await decodeJpeg(bytes, true);
      expect(Buffer.from(decoded.data).equals(Buffer.from(image.data))).toBe(true);
      expect(decoded.warnings).toEqual(warnings);
    });
  });
});
