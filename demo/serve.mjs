// `npm run demo`: serves the demo page, the built package, the bundled
// models and the example photos on loopback, cross-origin isolated so that the engine gets threads.
import { fileURLToPath } from 'node:url';
import { CROSS_ORIGIN_ISOLATION, startStaticServer } from '../scripts/static-server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Starts the demo's server; resolves to { url, close }.
 * @param {{ port?: number, lifetimeMs?: number }} [options]
 */
export function startDemoServer({ port = 0, lifetimeMs } = {}) {
  return startStaticServer({
    mounts: {
      '/demo/': `${root}demo`,
      '/dist/': `${root}dist`,
      '/models/': `${root}models`,
      '/examples/': `${root}examples`,
    },
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
