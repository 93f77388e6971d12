// The README's picture of dlib's two face detectors on one photo: HOG's boxes in green, the CNN's
// in orange, each upsampled once (both detectors' defaults), written as docs/hog-vs-cnn.jpg.
// Usage: npm run build && node scripts/detector-comparison.mjs [photo] [out.jpg]
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import encodeJpeg, { init as initJpegEncoder } from '@jsquash/jpeg/encode.js';
import { loadCnnFaceDetector, loadFrontalFaceDetector } from '../dist/index.js';
import { decodeImage } from '../dist/cli/decode-image.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const photo = process.argv[2] ?? `${root}test/fixtures/photos/sample4.jpg`;
const out = process.argv[3] ?? `${root}docs/hog-vs-cnn.jpg`;

const image = await decodeImage(await readFile(photo));
const hog = await loadFrontalFaceDetector(await readFile(`${root}models/frontal_face_detector.dat`), { threads: 1 });
const cnn = await loadCnnFaceDetector(await readFile(`${root}models/mmod_human_face_detector.dat`), { threads: 2 });
const hogFaces = hog.detectFaces(image, { upsample: 1 });
const cnnFaces = await cnn.detectFaces(image, { upsample: 1 });
hog.dispose();
cnn.dispose();

const { width, height } = image;
const channels = image.data.length / (width * height);
const rgba = new Uint8ClampedArray(width * height * 4);
for (let p = 0; p < width * height; p++) {
  for (let c = 0; c < 3; c++) rgba[p * 4 + c] = image.data[p * channels + c];
  rgba[p * 4 + 3] = 255;
}
/** A rectangle's outline, `thickness` pixels inward from dlib's inclusive bounds, clipped to the photo. */
function outline({ left, top, right, bottom }, color, thickness) {
  for (let y = Math.max(0, top); y <= Math.min(height - 1, bottom); y++) {
    for (let x = Math.max(0, left); x <= Math.min(width - 1, right); x++) {
      const edge = x - left < thickness || right - x < thickness || y - top < thickness || bottom - y < thickness;
      if (edge) rgba.set(color, (y * width + x) * 4);
    }
  }
}
for (const { rect } of cnnFaces) outline(rect, [255, 140, 0, 255], 4);
for (const { rect } of hogFaces)
  outline({ left: rect.left + 4, top: rect.top + 4, right: rect.right - 4, bottom: rect.bottom - 4 }, [0, 220, 0, 255], 3);
// Node cannot fetch mozjpeg's wasm: it is given the package's file.
await initJpegEncoder({ wasmBinary: await readFile(new URL(import.meta.resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm'))) });
const jpeg = await encodeJpeg({ data: rgba, width, height, colorSpace: 'srgb' }, { quality: 82 });
await writeFile(out, new Uint8Array(jpeg));
console.log(`${photo}: HOG ${hogFaces.length} faces, CNN ${cnnFaces.length} faces -> ${out}`);
