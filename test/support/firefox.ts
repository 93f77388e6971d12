import { launch, type Browser } from 'puppeteer-core';
import { runtimeBinary } from './runtime-binaries.js';

/**
 * Debian's Firefox ESR, headless, driven by puppeteer-core over WebDriver BiDi
 * (Playwright's Firefox is a patched build of its own; this is the stock one).
 * puppeteer gives it a fresh temporary profile whose preferences keep its
 * services quiet. As root in a container it needs no flag.
 */
export function launchFirefox(): Promise<Browser> {
  return launch({
    browser: 'firefox',
    executablePath: runtimeBinary('firefox'),
    headless: true,
    env: {
      ...process.env,
      // Firefox's test-harness switch: connections to anything but loopback are refused. A release build
      // ignores the profile's dummy Remote Settings server without it, and keeps looking up Mozilla's.
      MOZ_DISABLE_NONLOCAL_CONNECTIONS: '1',
    },
  });
}
