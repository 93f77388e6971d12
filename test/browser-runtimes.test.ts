import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CROSS_ORIGIN_ISOLATION, startStaticServer } from '../scripts/static-server.mjs';
import { parityPayload, type ParityResult } from './parity/parity-payload.js';
import { launchChromium } from './support/chromium.js';
import { launchFirefox } from './support/firefox.js';
import { launchWebKit, type WebKit } from './support/webkit.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Scripts from this origin only: no blob: workers (and wasm compiled only as the CSP allows it). */
const STRICT_CSP = { 'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'" };

type Server = Awaited<ReturnType<typeof startStaticServer>>;
const servers: Record<'isolated' | 'plain' | 'strict', Server> = {} as never;

beforeAll(async () => {
  const payload = { body: JSON.stringify(parityPayload()), type: 'application/json' };
  const site = (headers: Record<string, string>) =>
    startStaticServer({
      mounts: { '/dist/': `${root}dist`, '/test/parity/': `${root}test/parity`, '/models/': `${root}models` },
      files: { '/parity-payload.json': payload },
      headers,
      lifetimeMs: 5 * 60_000,
    });
  [servers.isolated, servers.plain, servers.strict] = await Promise.all([
    site(CROSS_ORIGIN_ISOLATION),
    site({}),
    site({ ...CROSS_ORIGIN_ISOLATION, ...STRICT_CSP }),
  ]);
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

type PageResult = ParityResult & { error?: string };
interface Settled {
  result: PageResult;
  pageErrors: string[];
}

/**
 * In the page: browser-page.js's window.parityResult once settled, with the
 * page's uncaught errors (page-errors.js). A string, so that every driver
 * evaluates the same code; it polls because browser-page.js is a module,
 * which runs after the document is parsed, and a WebDriver navigation may
 * return before that.
 */
const SETTLED_PARITY = `new Promise((resolve) => {
  const poll = () => {
    if (window.parityResult) window.parityResult.then((result) => resolve({ result, pageErrors: window.pageErrors }));
    else if (document.readyState === 'complete') resolve({ result: { error: 'browser-page.js did not run' }, pageErrors: window.pageErrors });
    else setTimeout(poll, 20);
  };
  poll();
})`;

/** A browser as these tests drive it: SETTLED_PARITY in a page opened at a URL. */
interface BrowserUnderTest {
  version: string;
  settledParity(url: string): Promise<Settled>;
  close(): Promise<void>;
}

/** Playwright's browsers and puppeteer's have the same page API. */
interface PageApiBrowser {
  version(): string | Promise<string>;
  newPage(): Promise<{ goto(url: string): Promise<unknown>; evaluate(expression: string): Promise<unknown>; close(): Promise<void> }>;
  close(): Promise<void>;
}

async function pageApiBrowser(launching: Promise<PageApiBrowser>): Promise<BrowserUnderTest> {
  const browser = await launching;
  return {
    version: await browser.version(),
    async settledParity(url) {
      const page = await browser.newPage();
      try {
        await page.goto(url);
        return (await page.evaluate(SETTLED_PARITY)) as Settled;
      } finally {
        await page.close();
      }
    },
    close: () => browser.close(),
  };
}

/** A W3C WebDriver session: one window, navigated from test to test. */
async function webDriverBrowser(launching: Promise<WebKit>): Promise<BrowserUnderTest> {
  const { driver, version, close } = await launching;
  await driver.manage().setTimeouts({ script: 60_000 });
  return {
    version,
    async settledParity(url) {
      await driver.get(url);
      return (await driver.executeAsyncScript(`(${SETTLED_PARITY}).then(arguments[arguments.length - 1]);`)) as Settled;
    },
    close,
  };
}

/** Opens the parity page and waits for its result; any page error fails the test. */
async function parityInPage(name: string, browser: BrowserUnderTest, server: Server, query: string): Promise<PageResult> {
  const { result, pageErrors } = await browser.settledParity(`${server.url}/test/parity/browser-page.html${query}`);
  expect(pageErrors).toEqual([]);
  console.log(`${name} ${browser.version} ${query || '(main thread)'}: ${JSON.stringify(result)}`);
  // Threads default to the cores the browser reports (2 on the test machine; WebKit says 4): 2 at least, or threads prove nothing.
  if (!result.error) expect(result.cores).toBeGreaterThanOrEqual(2);
  return result;
}

/** dlib's descriptors, from the kernel build the browser validates, on `threads` threads (the caller and threads - 1 Web Workers). */
function expectParity(result: PageResult, { relaxedSimd, threads }: { relaxedSimd: boolean; threads: number }): void {
  expect(result.error).toBeUndefined();
  expect(result.maxAbsDiff).toBeLessThanOrEqual(1e-5);
  expect(result.backend).toEqual({ simd: true, relaxedSimd, threads });
  expect(result.workersStarted).toBe(threads - 1);
}

/**
 * Each browser with what it offers, as measured on the test machine (each
 * test checks it again: the page validates the relaxed-SIMD build and looks
 * for SharedArrayBuffer itself, apart from the engine).
 */
const browsers = [
  { name: 'Chromium', launch: () => pageApiBrowser(launchChromium()), relaxedSimd: true, sharedMemoryWhenIsolated: true },
  { name: 'Firefox', launch: () => pageApiBrowser(launchFirefox()), relaxedSimd: true, sharedMemoryWhenIsolated: true },
  // WebKitGTK 2.50: JavaScriptCore has relaxed SIMD behind an option (useWasmRelaxedSIMD), off by default; and WebKit's
  // GLib ports share no memory even with a cross-origin isolated page (crossOriginIsolated is true, but there is no
  // SharedArrayBuffer and posting a shared WebAssembly.Memory to a worker throws a DataCloneError; WebKit bug 317847,
  // open upstream), so everywhere the engine runs on the calling thread, as it does wherever memory cannot be shared.
  { name: 'WebKitGTK', launch: () => webDriverBrowser(launchWebKit()), relaxedSimd: false, sharedMemoryWhenIsolated: false },
];

describe.each(browsers)('$name', ({ name, launch, relaxedSimd, sharedMemoryWhenIsolated }) => {
  let browser: BrowserUnderTest;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  const parity = (server: Server, query: string) => parityInPage(name, browser, server, query);
  /** The threads on a cross-origin isolated page: the cores the browser reports, where it shares memory there. */
  const isolatedThreads = (result: PageResult) => (sharedMemoryWhenIsolated ? result.cores! : 1);
  const onIsolatedPage = sharedMemoryWhenIsolated ? 'on the cores the browser reports' : 'on 1 thread: no SharedArrayBuffer even there';

  it(`cross-origin isolated page: dlib's descriptors ${onIsolatedPage}${relaxedSimd ? ', relaxed SIMD' : ', plain SIMD'}`, async () => {
    const result = await parity(servers.isolated, '');
    expect(result.crossOriginIsolated).toBe(true);
    expect(result.features).toEqual({ relaxedSimd, sharedArrayBuffer: sharedMemoryWhenIsolated });
    expectParity(result, { relaxedSimd, threads: isolatedThreads(result) });
  });

  it('page without cross-origin isolation: no SharedArrayBuffer, so 1 thread, and backend says so', async () => {
    const result = await parity(servers.plain, '');
    expect(result.crossOriginIsolated).toBe(false);
    expect(result.features).toEqual({ relaxedSimd, sharedArrayBuffer: false });
    expectParity(result, { relaxedSimd, threads: 1 });
  });

  it(`a Web Worker of an isolated page runs the model off the main thread, ${onIsolatedPage}`, async () => {
    const result = await parity(servers.isolated, '?in=worker');
    expect(result.crossOriginIsolated).toBe(true);
    expect(result.features).toEqual({ relaxedSimd, sharedArrayBuffer: sharedMemoryWhenIsolated });
    expectParity(result, { relaxedSimd, threads: isolatedThreads(result) });
  });

  it('a Web Worker in a page without isolation runs on 1 thread and says so', async () => {
    const result = await parity(servers.plain, '?in=worker');
    expect(result.features).toEqual({ relaxedSimd, sharedArrayBuffer: false });
    expectParity(result, { relaxedSimd, threads: 1 });
  });

  it('a CSP without blob: workers: threads start from workerUrl (dist/worker.js)', async () => {
    const result = await parity(servers.strict, '?workerUrl=1');
    expectParity(result, { relaxedSimd, threads: isolatedThreads(result) });
  });

  it(
    sharedMemoryWhenIsolated
      ? 'a CSP without blob: workers and no workerUrl: a WorkerStartError that says what to do'
      : 'a CSP without blob: workers and no workerUrl: no worker to start, so it runs on 1 thread',
    async () => {
      const result = await parity(servers.strict, '');
      if (sharedMemoryWhenIsolated)
        expect(result.error).toMatch(/^WorkerStartError: could not start Web Workers from a blob: URL .*pass workerUrl/);
      else expectParity(result, { relaxedSimd, threads: 1 });
    },
  );
});

// WebKitGTK's JavaScriptCore has both, only switched off: with its switches on (SharedArrayBuffer, then for every page,
// isolated or not; relaxed SIMD), the engine's threads and its relaxed build run on Safari's engine too.
describe("WebKitGTK with JavaScriptCore's SharedArrayBuffer and relaxed SIMD switched on", () => {
  let browser: BrowserUnderTest;
  beforeAll(async () => {
    browser = await webDriverBrowser(launchWebKit({ env: { JSC_useSharedArrayBuffer: '1', JSC_useWasmRelaxedSIMD: '1' } }));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("gives dlib's descriptors with relaxed SIMD on the cores WebKit reports (4 or 8: it rounds them against fingerprinting)", async () => {
    const result = await parityInPage('WebKitGTK (JSC_useSharedArrayBuffer=1 JSC_useWasmRelaxedSIMD=1)', browser, servers.isolated, '');
    expect(result.features).toEqual({ relaxedSimd: true, sharedArrayBuffer: true });
    expect([4, 8]).toContain(result.cores);
    expectParity(result, { relaxedSimd: true, threads: result.cores! });
  });
});
