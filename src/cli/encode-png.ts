import { PNG } from 'pngjs';
import type { RgbImage } from '../image.js';

/** Encodes an RGB or RGBA image as PNG bytes. */
export function encodePng(image: RgbImage): Buffer {
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
