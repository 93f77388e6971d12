import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer } from '../demo/serve.mjs';
import { descriptorDistance } from '../src/index.js';
import { fixtureJson } from './support/helpers.js';
import { launchChromium } from './support/chromium.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Two people, two chips each (examples/chips/ are dlib's johns), and a photo that is no chip. */
const CHIPS = [
  'John_Salley_000179_02159509.png',
  'John_Savage_000264_01099001.png',
  'John_Salley_000183_02159543.png',
  'John_Savage_000274_01099061.png',
];
const NOT_A_CHIP = `${root}test/fixtures/photos/2008_001322.jpg`;
const SCREENSHOT = `${root}build/screenshots/demo-page.png`;

const person = (name: string) => name.split('_').slice(0, 2).join('_');
/** dlib's descriptor of an example chip (the same picture as its test fixture). */
function dlibDescriptor(name: string): number[] {
  const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
  const fixture = `chips/johns/${person(name)}/${name.slice(person(name).length + 1)}`;
  return items.find((item) => item.chip === fixture)!.descriptor;
}

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDemoServer({ lifetimeMs: 3 * 60_000 }), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the demo page (npm run demo)', () => {
  it('shows who matches whom for chips picked with the file input', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.textContent('#status'), { timeout: 30_000 }).toMatch(/^Model loaded: 2 threads, SIMD, relaxed SIMD\.$/);

    await page.setInputFiles('#files', [...CHIPS.map((name) => `${root}examples/chips/${name}`), NOT_A_CHIP]);
    await page.waitForSelector('#distances td[data-verdict]');
    const cells = await page.$$eval('#distances td[data-verdict]', (tds) => tds.map((td) => ({ ...(td as HTMLElement).dataset })));
    expect(cells).toHaveLength(CHIPS.length * (CHIPS.length - 1));
    for (const { a, b, distance, verdict } of cells) {
      expect(verdict, `${a} vs ${b}`).toBe(person(a!) === person(b!) ? 'same' : 'different');
      // The browser's PNG decoding gives the file's exact pixels: dlib's distances, to float32 rounding.
      expect(Math.abs(Number(distance) - descriptorDistance(dlibDescriptor(a!), dlibDescriptor(b!)))).toBeLessThan(1e-5);
    }
    expect(await page.$$eval('#people li', (items) => items.map((item) => item.textContent))).toEqual([
      'A John_Salley_000179_02159509.png, C John_Salley_000183_02159543.png',
      'B John_Savage_000264_01099001.png, D John_Savage_000274_01099061.png',
    ]);
    expect(await page.textContent('#problems')).toMatch(/^2008_001322\.jpg: is \d+x\d+; the model takes aligned 150x150 face chips$/);
    expect(await page.textContent('#status')).toMatch(/^4 chips, [\d.]+ ms per face on 2 threads, SIMD, relaxed SIMD\.$/);
    expect(errors).toEqual([]);

    mkdirSync(`${root}build/screenshots`, { recursive: true });
    const screenshot = await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(screenshot.length).toBeGreaterThan(20_000); // thumbnails and a coloured table, not a blank page
    await page.close();
  });
});
