import { chromium, type Browser } from 'playwright-core';
import { runtimeBinary } from './runtime-binaries.js';

/**
 * Debian's Chromium, headless, driven by playwright-core (which brings no
 * browser of its own). As root it needs --no-sandbox; the rest keep it off a
 * network this machine does not have. Playwright gives it a fresh profile.
 * `extraArgs` add switches, e.g. a fake camera.
 */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: runtimeBinary('chromium'),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
