import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CROSS_ORIGIN_ISOLATION, startStaticServer } from '../scripts/static-server.mjs';
import { parityPayload, type ParityResult } from './parity/parity-payload.js';
import { launchChromium } from './support/chromium.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Scripts from this origin only: no blob: workers (and wasm compiled only as the CSP allows it). */
const STRICT_CSP = { 'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'" };

type Server = Awaited<ReturnType<typeof startStaticServer>>;
const servers: Record<'isolated' | 'plain' | 'strict', Server> = {} as never;
let browser: Browser;

beforeAll(async () => {
  const payload = { body: JSON.stringify(parityPayload()), type: 'application/json' };
  const site = (headers: Record<string, string>) => startStaticServer({
    mounts: { '/dist/': `${root}dist`, '/test/parity/': `${root}test/parity`, '/models/': `${root}models` },
    files: { '/parity-payload.json': payload },
    headers,
    lifetimeMs: 5 * 60_000,
  });
  [servers.isolated, servers.plain, servers.strict, browser] = await Promise.all([
    site(CROSS_ORIGIN_ISOLATION), site({}), site({ ...CROSS_ORIGIN_ISOLATION, ...STRICT_CSP }), launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

/** Opens the parity page and waits for its result; any page error fails the test. */
async function parityInPage(server: Server, query: string): Promise<ParityResult & { error?: string }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  try {
    await page.goto(`${server.url}/test/parity/browser-page.html${query}`);
    const result = await page.evaluate(() => (window as unknown as { parityResult: Promise<ParityResult> }).parityResult);
    expect(problems).toEqual([]);
    console.log(`Chromium ${query || '(main thread)'}: ${JSON.stringify(result)}`);
    // Threads default to the cores the browser reports (2 on the test machine): 2 at least, or threads prove nothing.
    if (!result.error) expect(result.cores).toBeGreaterThanOrEqual(2);
    return result;
  } finally {
    await page.close();
  }
}

describe('headless Chromium', () => {
  it('cross-origin isolated page: dlib\'s descriptors on 2 threads, relaxed SIMD', async () => {
    const result = await parityInPage(servers.isolated, '');
    expect(result.crossOriginIsolated).toBe(true);
    expect(result.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(result.backend).toEqual({ simd: true, relaxedSimd: true, threads: result.cores });
    expect(result.workersStarted).toBe(result.cores! - 1);
  });

  it('page without cross-origin isolation: no SharedArrayBuffer, so 1 thread, and backend says so', async () => {
    const result = await parityInPage(servers.plain, '');
    expect(result.crossOriginIsolated).toBe(false);
    expect(result.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(result.backend).toEqual({ simd: true, relaxedSimd: true, threads: 1 });
    expect(result.workersStarted).toBe(0);
  });

  it('a Web Worker runs the model and its own 2 threads off the main thread', async () => {
    const result = await parityInPage(servers.isolated, '?in=worker');
    expect(result.crossOriginIsolated).toBe(true);
    expect(result.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(result.backend).toEqual({ simd: true, relaxedSimd: true, threads: result.cores });
    expect(result.workersStarted).toBe(result.cores! - 1);
  });

  it('a Web Worker in a page without isolation runs on 1 thread and says so', async () => {
    const result = await parityInPage(servers.plain, '?in=worker');
    expect(result.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(result.backend).toEqual({ simd: true, relaxedSimd: true, threads: 1 });
  });

  it('a CSP without blob: workers: threads start from workerUrl (dist/worker.js)', async () => {
    const result = await parityInPage(servers.strict, '?workerUrl=1');
    expect(result.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(result.backend).toEqual({ simd: true, relaxedSimd: true, threads: result.cores });
    expect(result.workersStarted).toBe(result.cores! - 1);
  });

  it('a CSP without blob: workers and no workerUrl: a WorkerStartError that says what to do', async () => {
    const result = await parityInPage(servers.strict, '');
    expect(result.error).toMatch(/^WorkerStartError: could not start Web Workers from a blob: URL .*pass workerUrl/);
  });
});
