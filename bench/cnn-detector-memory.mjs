// dlib's CNN face detector (loadCnnFaceDetector) on one photo, or on a synthetic photo of
// WIDTHxHEIGHT (the photo tiled over it, so that there are faces to find); prints the time, the
// detections, the engine's WebAssembly memory and the process's peak RSS, and, where dlib's
// reference has the photo at that upsample, whether the detections are dlib's.
//   npm run build:ts
//   /usr/bin/time -v node bench/cnn-detector-memory.mjs examples/photos/bald_guys.jpg --upsample 1
//   /usr/bin/time -v node bench/cnn-detector-memory.mjs examples/photos/bald_guys.jpg --size 8000x8000 --upsample 0
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { decodeImage } from '../dist/cli/decode-image.js';
import { loadCnnFaceDetector } from '../dist/index.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args.splice(i, 2)[1];
};
const upsample = Number(option('--upsample', '1'));
const threads = Number(option('--threads', '1'));
const size = option('--size', undefined);
const [file] = args;
if (!file) throw new Error('usage: node bench/cnn-detector-memory.mjs PHOTO [--upsample N] [--threads N] [--size WIDTHxHEIGHT]');

const photo = await decodeImage(readFileSync(file));
let image = photo;
if (size) {
  const [width, height] = size.split('x').map(Number);
  const data = new Uint8Array(width * height * 3);
  const stride = photo.data.length / (photo.width * photo.height);
  for (let y = 0; y < height; y++) {
    const from = (y % photo.height) * photo.width;
    for (let x = 0; x < width; x++) {
      const p = (from + (x % photo.width)) * stride;
      data.set(photo.data.subarray(p, p + 3), (y * width + x) * 3);
    }
  }
  image = { width, height, data };
}

const detector = await loadCnnFaceDetector(readFileSync(new URL('../models/mmod_human_face_detector.dat', import.meta.url)), {
  threads,
});
const start = performance.now();
const found = await detector.detectFaces(image, { upsample });
const ms = Math.round(performance.now() - start);

const report = {
  image: basename(file),
  width: image.width,
  height: image.height,
  upsample,
  threads: detector.threads,
  ms,
  detections: found.length,
  wasmMiB: detector.memoryBytes / 2 ** 20,
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
};
if (!size) {
  const reference = new URL('../../shared/reference/dlib-models/mmod_human_face_detector/detections.jsonl', import.meta.url);
  const dlib = readFileSync(reference, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .find((c) => c.image === basename(file) && c.upsample === upsample);
  if (dlib) {
    const same =
      dlib.detections.length === found.length &&
      dlib.detections.every(
        (d, i) =>
          JSON.stringify(d.rect) === JSON.stringify(found[i].rect) &&
          Math.abs(d.confidence - found[i].confidence) <= 1e-4 * Math.abs(d.confidence),
      );
    Object.assign(report, { dlibDetections: dlib.detections.length, sameAsDlib: same, dlibMs: Math.round(dlib.ms) });
  }
}
console.log(JSON.stringify(report));
detector.dispose();
