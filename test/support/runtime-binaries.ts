import { existsSync } from 'node:fs';
import { arch } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const INSTALL = 'scripts/install-test-runtimes.sh (npm test runs it first)';

/** The runtimes the cross-runtime tests start, where each comes from. */
const RUNTIMES = {
  deno: { path: `${root}node_modules/.bin/deno`, from: 'the deno npm package: run npm ci' },
  bun: { path: `${root}node_modules/.bin/bun`, from: 'the bun npm package: run npm ci' },
  workerd: { path: `${root}node_modules/.bin/workerd`, from: "the workerd npm package (Cloudflare's runtime): run npm ci" },
  node22: {
    path: `${root}node_modules/.cache/node22/node_modules/node-linux-${arch()}/bin/node`,
    from: `node-linux-${arch()}@22 from the npm registry: run ${INSTALL}`,
  },
  chromium: { path: '/usr/bin/chromium', from: `Debian's chromium package: run ${INSTALL}` },
  firefox: { path: '/usr/bin/firefox-esr', from: `Debian's firefox-esr package: run ${INSTALL}` },
  webkitWebDriver: { path: '/usr/bin/WebKitWebDriver', from: `Debian's webkit2gtk-driver package (WebKitGTK's WebDriver): run ${INSTALL}` },
  xvfb: { path: '/usr/bin/Xvfb', from: `Debian's xvfb package (WebKitGTK needs an X display): run ${INSTALL}` },
} as const;

/**
 * The binary of a runtime under test. Missing, it is an error that says how
 * to install it: these tests never skip.
 */
export function runtimeBinary(name: keyof typeof RUNTIMES): string {
  const { path, from } = RUNTIMES[name];
  if (!existsSync(path)) throw new Error(`${name} is not installed (expected at ${path}); it comes from ${from}`);
  return path;
}
