import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer } from '../demo/serve.mjs';
import { decodeImage } from '../src/cli/decode-image.js';
import { descriptorDistance } from '../src/index.js';
import { fixtureJson } from './support/helpers.js';
import { launchChromium } from './support/chromium.js';
import { LANDMARK_MODEL_68, landmarkModel68Bytes } from './support/face-fixtures.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const BALD_GUYS = `${root}examples/photos/bald_guys.jpg`;
/** Two people, two chips each (examples/chips/ are dlib's johns). */
const CHIPS = [
  'John_Salley_000179_02159509.png',
  'John_Savage_000264_01099001.png',
  'John_Salley_000183_02159543.png',
  'John_Savage_000274_01099061.png',
];
const SCREENSHOT = `${root}build/screenshots/demo-page.jpg`;
/** dlib's 68-point shape predictor where Debian's libdlib-data put it (too big to bundle). */
/** The webcam's fake clip: a 640x480 crop of bald_guys.jpg holding faces f15 (224 px wide) and f07 (155 px), two people. */
const CLIP = { left: 310, top: 640, width: 640, height: 480 };

interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}
/** dlib's 24 faces of bald_guys.jpg (upsample 1) and its chinese whispers labels for them, in the same order. */
function dlibBaldGuys(): { rects: string[]; labels: number[] } {
  const files = readdirSync(`${root}test/fixtures/faces`).filter((name) => /^bald_guys_f\d+\.json$/.test(name));
  const byId = new Map(files.map((name) => [name.slice(0, -5), fixtureJson<{ detection: { rect: Rect } }>(`faces/${name}`)]));
  const { ids, labels } = fixtureJson<{ ids: string[]; labels: number[] }>('jitter/chinese_whispers_bald_guys.json');
  const rects = ids.map((id) => {
    const { left, top, right, bottom } = byId.get(id)!.detection.rect;
    return [left, top, right, bottom].join(',');
  });
  return { rects, labels };
}

const person = (name: string) => name.split('_').slice(0, 2).join('_');
/** dlib's descriptor of an example chip (the same picture as its test fixture). */
function dlibDescriptor(name: string): number[] {
  const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
  const fixture = `chips/johns/${person(name)}/${name.slice(person(name).length + 1)}`;
  return items.find((item) => item.chip === fixture)!.descriptor;
}

/** A few identical frames of Y4M (4:2:0, full-range BT.601, as JPEG's YCbCr) cut from a photo: Chromium's fake camera plays it in a loop. */
async function writeClip(path: string, photo: string, { left, top, width, height }: typeof CLIP, frames = 3): Promise<void> {
  const image = await decodeImage(readFileSync(photo));
  const stride = image.data.length / (image.width * image.height);
  const y = new Uint8Array(width * height);
  const u = new Uint8Array((width / 2) * (height / 2));
  const v = new Uint8Array(u.length);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const at = ((top + row) * image.width + left + col) * stride;
      const [r, g, b] = [image.data[at], image.data[at + 1], image.data[at + 2]];
      y[row * width + col] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      if (row % 2 === 0 && col % 2 === 0) {
        const chroma = (row / 2) * (width / 2) + col / 2;
        u[chroma] = Math.max(0, Math.min(255, Math.round(128 - 0.168736 * r - 0.331264 * g + 0.5 * b)));
        v[chroma] = Math.max(0, Math.min(255, Math.round(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)));
      }
    }
  }
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, u, v]);
  writeFileSync(path, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
}

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Browser;

beforeAll(async () => {
  const clip = join(mkdtempSync(join(tmpdir(), 'dlib-wasm-demo-')), 'bald-guys.y4m');
  await writeClip(clip, BALD_GUYS, CLIP);
  const camera = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${clip}`];
  [server, browser] = await Promise.all([startDemoServer({ lifetimeMs: 3 * 60_000 }), launchChromium(camera)]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openDemo(errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.url}/`);
  await expect.poll(() => page.textContent('#status'), { timeout: 30_000 }).toMatch(/^Models loaded: 2 threads, SIMD, relaxed SIMD\.$/);
  return page;
}

/** The page's groups of people, as sets of face numbers. */
const peopleOnPage = (page: Page) =>
  page.$$eval('#people li', (items) => items.map((item) => [...item.querySelectorAll('canvas')].map((chip) => Number(chip.dataset.face))));

/** Pixels of the boxes' green (#2fdf6f) in a PNG. */
function boxPixels(png: Buffer): number {
  const { data } = PNG.sync.read(png);
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - 0x2f) < 24 && Math.abs(data[i + 1] - 0xdf) < 24 && Math.abs(data[i + 2] - 0x6f) < 24) count++;
  }
  return count;
}

describe('the demo page (npm run demo)', () => {
  it("boxes bald_guys.jpg's 24 faces where dlib finds them and groups them as dlib does: 4 people of 6", async () => {
    const errors: string[] = [];
    const page = await openDemo(errors);
    await page.setInputFiles('#files', BALD_GUYS);
    await expect
      .poll(() => page.textContent('#progress'), { timeout: 10_000 })
      .toMatch(/detecting faces in 1986×1545 pixels, upsampled 1 time…$/);
    // The page stays responsive while the worker detects: a task on its main thread runs at once (bound: a hang guard).
    const mainThreadTask = page.evaluate(() => new Promise((done) => setTimeout(() => done('ran'), 0)));
    const hangGuard = new Promise((done) => setTimeout(() => done('blocked for 3 s'), 3_000));
    expect(await Promise.race([mainThreadTask, hangGuard])).toBe('ran');
    expect(await page.textContent('#progress')).toMatch(/detecting faces/);
    await page.waitForSelector('#people canvas', { timeout: 30_000 });

    const rects = await page.$$eval('#photos g.face', (groups) => groups.map((group) => (group as SVGElement).dataset.rect!));
    const dlib = dlibBaldGuys();
    // Chromium decodes this JPEG to libjpeg's very pixels (the RGB md5 of dlib's fixtures): dlib's very boxes.
    expect([...rects].sort()).toEqual([...dlib.rects].sort());
    expect(await page.$$eval('#photos g.face circle', (dots) => dots.length)).toBe(24 * 5);
    // The same partition as dlib's labels, whatever the numbering.
    const people = await peopleOnPage(page);
    const dlibPeople = Array.from({ length: 4 }, (_, label) =>
      dlib.labels.flatMap((l, i) => (l === label ? [rects.indexOf(dlib.rects[i]) + 1] : [])).sort((a, b) => a - b),
    );
    expect(people.map((faces) => faces.sort((a, b) => a - b)).sort((a, b) => a[0] - b[0])).toEqual(dlibPeople.sort((a, b) => a[0] - b[0]));
    expect(people.map((faces) => faces.length)).toEqual([6, 6, 6, 6]);
    expect(await page.textContent('#timings')).toMatch(
      /^bald_guys\.jpg \(1986×1545, 24 faces\): decode [\d.]+ ms, detect [\d.]+ ms, landmarks [\d.]+ ms, chips [\d.]+ ms, descriptors [\d.]+ ms, on 2 threads, SIMD, relaxed SIMD\.$/,
    );
    expect(await page.textContent('#progress')).toBe('');

    // Hovering a chip lights its face up in the photo.
    await page.hover('#people canvas[data-face="7"]');
    expect(await page.$$eval('#photos g.highlight', (groups) => groups.map((group) => (group as SVGElement).dataset.face))).toEqual(['7']);
    await page.mouse.move(0, 0);

    mkdirSync(`${root}build/screenshots`, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true, type: 'jpeg', quality: 85 });
    // The photo as shown: 24 green boxes about 60 px wide.
    expect(boxPixels(await page.locator('#photos figure').screenshot())).toBeGreaterThan(24 * 200);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("draws dlib's 68 landmarks from a picked predictor file, and detects with the upsample chosen", async () => {
    landmarkModel68Bytes(); // missing, it fails saying how to install it
    const errors: string[] = [];
    const page = await openDemo(errors);
    await page.selectOption('#landmarks', 'file');
    await page.setInputFiles('#landmarks-file', LANDMARK_MODEL_68);
    // Read and parsed in the page first (100 MB): seconds on a loaded 2-core machine, not poll's default 1 s.
    await expect
      .poll(() => page.textContent('#landmarks option[value=file]'), { timeout: 20_000 })
      .toBe('shape_predictor_68_face_landmarks.dat');
    const photo = `${root}test/fixtures/photos/2008_001322.jpg`;
    await page.setInputFiles('#files', photo);
    await page.waitForSelector('#photos g.face', { timeout: 20_000 });
    const onPage = () =>
      page.$$eval('#photos figure:first-child g.face', (groups) =>
        groups.map((group) => ({
          rect: (group as SVGElement).dataset.rect,
          landmarks: [...group.querySelectorAll('circle')].map((dot) => [Number(dot.getAttribute('cx')), Number(dot.getAttribute('cy'))]),
        })),
      );
    const dlib = ['f00', 'f01', 'f02'].map((face) =>
      fixtureJson<{ detection: { rect: Rect }; landmarks_68: number[][] }>(`faces/2008_001322_${face}.json`),
    );
    const key = ({ left, top, right, bottom }: Rect) => [left, top, right, bottom].join(',');
    const byRect = (a: { rect?: string }, b: { rect?: string }) => a.rect!.localeCompare(b.rect!);
    expect((await onPage()).sort(byRect)).toEqual(
      dlib.map((f) => ({ rect: key(f.detection.rect), landmarks: f.landmarks_68 })).sort(byRect),
    );

    await page.selectOption('#upsample', '2');
    await page.setInputFiles('#files', photo);
    await expect.poll(() => page.$$eval('#photos figure', (figures) => figures.length), { timeout: 20_000 }).toBe(2);
    const { upsample_2 } = fixtureJson<{ upsample_2: Record<string, { rect: Rect }[]> }>('hog/dlib-detections.json');
    expect((await onPage()).map((face) => face.rect).sort()).toEqual(upsample_2['2008_001322.jpg'].map((d) => key(d.rect)).sort());
    expect(errors).toEqual([]);
    await page.close();
  });

  it('takes 150x150 images as aligned chips: dlib descriptors, two people; a file that is no image is named as such', async () => {
    const errors: string[] = [];
    const page = await openDemo(errors);
    const notAnImage = { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a JPEG at all') };
    const chips = CHIPS.map((name) => ({ name, mimeType: 'image/png', buffer: readFileSync(`${root}examples/chips/${name}`) }));
    await page.setInputFiles('#files', [...chips, notAnImage]);
    await expect.poll(() => page.$$eval('#people canvas', (chips) => chips.length), { timeout: 30_000 }).toBe(4);
    const descriptors = await page.$$eval('#people canvas', (chips) =>
      Object.fromEntries(chips.map((chip) => [chip.dataset.face, chip.dataset.descriptor!.split(',').map(Number)])),
    );
    for (let a = 0; a < 4; a++) {
      for (let b = a + 1; b < 4; b++) {
        // The browser's PNG decoding gives the file's exact pixels: dlib's distances, to float32 rounding.
        const distance = descriptorDistance(descriptors[a + 1], descriptors[b + 1]);
        expect(Math.abs(distance - descriptorDistance(dlibDescriptor(CHIPS[a]), dlibDescriptor(CHIPS[b])))).toBeLessThan(1e-5);
      }
    }
    expect((await peopleOnPage(page)).map((faces) => faces.sort())).toEqual([
      [1, 3],
      [2, 4],
    ]);
    await expect
      .poll(() => page.textContent('#problems'), { timeout: 10_000 })
      .toMatch(/^notes\.jpg: InvalidStateError: .*could not be decoded/);
    expect(await page.textContent('#progress')).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('webcam: live boxes on the fake camera, and a remembered face labelled by name', async () => {
    const errors: string[] = [];
    const page = await openDemo(errors);
    await page.click('#webcam');
    await page.waitForSelector('#live g.face', { timeout: 30_000 });
    expect(await page.textContent('#webcam')).toBe('stop the webcam');
    // Two faces in view (a third one cut by the frame's edge may come and go), nobody known yet.
    await expect.poll(() => page.$$eval('#live g.face', (groups) => groups.length), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await page.$$eval('#live text', (labels) => labels.map((label) => label.textContent).join(''))).toBe('');

    await page.fill('#name', 'Tall guy');
    await page.click('#remember');
    expect(await page.textContent('#known')).toBe('Known: Tall guy');
    // The largest face (f15) is named in the next frames; the other person (f07) is not.
    await expect
      .poll(() => page.$$eval('#live text', (labels) => labels.map((label) => label.textContent).filter(Boolean)), { timeout: 10_000 })
      .toEqual(['Tall guy']);
    const named = await page.$eval('#live g.face:has(text:not(:empty))', (group) =>
      (group as SVGElement).dataset.rect!.split(',').map(Number),
    );
    // In the 320-wide frame: f15 at (390 - 310, 811 - 640) / 2.
    expect(Math.abs(named[0] - (390 - CLIP.left) / 2)).toBeLessThan(8);
    expect(Math.abs(named[1] - (811 - CLIP.top) / 2)).toBeLessThan(8);

    await page.click('#webcam');
    await page.waitForSelector('#camera', { state: 'hidden' });
    expect(await page.textContent('#webcam')).toBe('the webcam');
    expect(errors).toEqual([]);
    await page.close();
  });
});
