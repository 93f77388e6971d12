import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Builder, Capabilities, type WebDriver } from 'selenium-webdriver';
import { runtimeBinary } from './runtime-binaries.js';

export interface WebKit {
  driver: WebDriver;
  /** WebKitGTK's version, as the driver reports it. */
  version: string;
  close(): Promise<void>;
}

/**
 * Debian's WebKitGTK (its MiniBrowser, WebKitWebDriver's default browser),
 * driven through WebKitWebDriver, its W3C WebDriver, by selenium-webdriver.
 * WebKitGTK has no headless mode: it draws on an Xvfb display of its own. As
 * root in a container it needs no flag (MiniBrowser runs its web processes
 * without the bubblewrap sandbox unless asked). `env` adds variables for the
 * browser's processes (JavaScriptCore reads its options from JSC_*).
 */
export async function launchWebKit({ env = {} }: { env?: Record<string, string> } = {}): Promise<WebKit> {
  const children: ChildProcess[] = [];
  const killAll = () => children.forEach((child) => child.kill());
  process.once('exit', killAll);
  const home = await mkdtemp(join(tmpdir(), 'dlib-wasm-webkit-'));
  const stop = async () => {
    process.off('exit', killAll);
    await Promise.all(
      children
        .filter((child) => child.exitCode === null && child.signalCode === null)
        .map((child) => {
          child.kill();
          return once(child, 'exit');
        }),
    );
    await rm(home, { recursive: true, force: true, maxRetries: 5 }); // a web process may still be writing its cache
  };
  try {
    const display = await startXvfb(children);
    const port = await freePort();
    const driverProcess = spawn(runtimeBinary('webkitWebDriver'), [`--port=${port}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        DISPLAY: display,
        // A fresh profile: the browser's caches (GStreamer's registry, Mesa's shaders) go here, not in ~.
        XDG_CACHE_HOME: join(home, 'cache'),
        XDG_CONFIG_HOME: join(home, 'config'),
        XDG_DATA_HOME: join(home, 'data'),
        ...env,
      },
    });
    children.push(driverProcess);
    const url = `http://127.0.0.1:${port}`;
    await untilReady(url, driverProcess);
    const driver = await new Builder()
      .usingServer(url)
      .withCapabilities(new Capabilities({ browserName: 'MiniBrowser' }))
      .build();
    const version = String((await driver.getCapabilities()).get('browserVersion'));
    return {
      driver,
      version,
      async close() {
        await driver.quit().catch(() => {});
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Starts Xvfb on the first free display (it writes the number it took to fd 3); resolves to ':N'. */
async function startXvfb(children: ChildProcess[]): Promise<string> {
  const xvfb = spawn(runtimeBinary('xvfb'), ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  children.push(xvfb);
  let stderr = '';
  xvfb.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    let number = '';
    xvfb.stdio[3]!.on('data', (chunk) => {
      number += chunk;
      if (number.includes('\n')) resolve(`:${number.trim()}`);
    });
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited with ${code} before it had a display: ${stderr}`)));
    xvfb.once('error', reject);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Waits until the driver answers /status with ready (it takes a moment to listen). */
async function untilReady(url: string, driverProcess: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (driverProcess.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${driverProcess.exitCode}`);
    const status = await fetch(`${url}/status`).then(
      (response) => response.json(),
      () => undefined,
    );
    if ((status as { value?: { ready?: boolean } } | undefined)?.value?.ready) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`WebKitWebDriver did not answer on ${url} within 15 s`);
}
