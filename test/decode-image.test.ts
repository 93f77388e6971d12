import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../src/cli/decode-image.js';
import { InputError } from '../src/index.js';
import { fixture, fixtureJson } from './helpers.js';

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
  it.each([...photos])('decodes %s to exactly dlib\'s pixels', async (photo, md5) => {
    const image = await decodeImage(fixture(`photos/${photo}`));
    expect(rgbMd5(image.data as Uint8Array)).toBe(md5);
  });

  it('rejects a truncated JPEG, a JPEG claiming 30000x30000, and what is not an image', async () => {
    const jpeg = fixture('photos/Tom_Cruise_avp_2014_4.jpg');
    await expect(decodeImage(jpeg.subarray(0, 400))).rejects.toThrow(InputError);
    const huge = jpeg.slice();
    const sof = huge.findIndex((b, i) => b === 0xff && (huge[i + 1] === 0xc0 || huge[i + 1] === 0xc2));
    expect(sof).toBeGreaterThan(0);
    huge.set([30000 >> 8, 30000 & 255, 30000 >> 8, 30000 & 255], sof + 5);
    await expect(decodeImage(huge)).rejects.toThrow(/30000x30000/);
    await expect(decodeImage(new TextEncoder().encode('{"not": "an image"}'))).rejects.toThrow(/not a PNG or JPEG/);
  });
});
