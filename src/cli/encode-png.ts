import { createRequire } from 'node:module';
import type { RgbImage } from '../image.js';

/** pngjs, required on the first chip written: importing it took 10 ms of every start, chips or not. */
const requirePackage = createRequire(import.meta.url);
let pngjs: typeof import('pngjs') | undefined;

/** Encodes an RGB or RGBA image as PNG bytes. */
export function encodePng(image: RgbImage): Buffer {
  pngjs ??= requirePackage('pngjs') as typeof import('pngjs');
  const { PNG } = pngjs;
  const png = new PNG({ width: image.width, height: image.height });
  const stride = image.data.length / (image.width * image.height);
  for (let p = 0; p < image.width * image.height; p++) {
    png.data[p * 4] = image.data[p * stride];
    png.data[p * 4 + 1] = image.data[p * stride + 1];
    png.data[p * 4 + 2] = image.data[p * stride + 2];
    png.data[p * 4 + 3] = 255;
  }
  return PNG.sync.write(png);
}
