// `npm run demo`: serves the demo page, the built package and the bundled
// model on loopback, cross-origin isolated so that the engine gets threads.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CROSS_ORIGIN_ISOLATION, startStaticServer } from '../scripts/static-server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Starts the demo's server; resolves to { url, close }.
 * @param {{ port?: number, lifetimeMs?: number }} [options]
 */
export function startDemoServer({ port = 0, lifetimeMs } = {}) {
  const examples = readdirSync(`${root}examples/chips`)
    .filter((name) => name.endsWith('.png'))
    .sort();
  return startStaticServer({
    mounts: {
      '/demo/': `${root}demo`,
      '/dist/': `${root}dist`,
      '/models/': `${root}models`,
      '/examples/': `${root}examples`,
    },
    files: { '/examples/chips/index.json': { body: JSON.stringify(examples), type: 'application/json' } },
    redirects: { '/': '/demo/' },
    headers: CROSS_ORIGIN_ISOLATION,
    port,
    lifetimeMs,
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 8080);
  const { url } = await startDemoServer({ port });
  console.log(`dlib-wasm demo on ${url}/demo/ (loopback only; Ctrl-C stops it)`);
}
