// dlib's CNN face detector in headless Chromium (a cross-origin isolated page: threads) on a
// synthetic photo of WIDTHxHEIGHT (bald_guys.jpg tiled over it); prints the detection's time in
// the page, the detections and the detector's WebAssembly memory.
//   npm run build:ts && node bench/cnn-detector-browser.mjs 8000x8000 [--upsample N] [--threads N]
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CROSS_ORIGIN_ISOLATION, startStaticServer } from '../scripts/static-server.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args.splice(i, 2)[1];
};
const upsample = Number(option('--upsample', '0'));
const threads = Number(option('--threads', '2'));
const [width, height] = (args[0] ?? '8000x8000').split('x').map(Number);

const root = fileURLToPath(new URL('..', import.meta.url));
const server = await startStaticServer({
  mounts: { '/dist/': `${root}dist`, '/models/': `${root}models`, '/photos/': `${root}examples/photos` },
  files: { '/index.html': { body: '<!doctype html><title>detector</title>', type: 'text/html' } },
  headers: CROSS_ORIGIN_ISOLATION,
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.error('page:', m.text()));
  await page.goto(`${server.url}/index.html`);
  const result = await page.evaluate(
    async ({ width, height, upsample, threads }) => {
      const { loadCnnFaceDetector } = await import('/dist/index.js');
      const photo = await createImageBitmap(await (await fetch('/photos/bald_guys.jpg')).blob());
      const canvas = new OffscreenCanvas(width, height);
      const context = canvas.getContext('2d');
      for (let y = 0; y < height; y += photo.height) for (let x = 0; x < width; x += photo.width) context.drawImage(photo, x, y);
      const image = context.getImageData(0, 0, width, height);
      const detector = await loadCnnFaceDetector(await (await fetch('/models/mmod_human_face_detector.dat')).arrayBuffer(), { threads });
      const start = performance.now();
      const found = await detector.detectFaces(image, { upsample });
      const ms = Math.round(performance.now() - start);
      const result = {
        width,
        height,
        upsample,
        threads: detector.threads,
        ms,
        detections: found.length,
        wasmMiB: detector.memoryBytes / 2 ** 20,
      };
      detector.dispose();
      return result;
    },
    { width, height, upsample, threads },
  );
  console.log(JSON.stringify({ browser: browser.version(), ...result }));
} finally {
  await browser.close();
  await server.close();
}
