// A small static file server on loopback, for the demo page and the browser
// tests: GET only, files under a few mounted folders, extra headers (COOP/COEP
// for cross-origin isolation, a Content-Security-Policy), and a lifetime after
// which it closes by itself.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
};

/** Headers that make a page cross-origin isolated, so that it has SharedArrayBuffer (and threads). */
export const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Serves `mounts` ({ '/dist/': '/abs/path/to/dist', ... }) and in-memory
 * `files` ({ '/payload.json': { body, type } }) on 127.0.0.1. `redirects`
 * maps a path to another. `headers` go on every response. Resolves to
 * { url, close } once listening; closes by itself after `lifetimeMs` if given.
 * @param {{ mounts?: Record<string, string>, files?: Record<string, { body: string | Uint8Array, type: string }>,
 *   redirects?: Record<string, string>, headers?: Record<string, string>, port?: number, lifetimeMs?: number }} options
 */
export async function startStaticServer({ mounts = {}, files = {}, redirects = {}, headers = {}, port = 0, lifetimeMs }) {
  const server = createServer(async (request, response) => {
    const send = (status, body, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { ...headers, 'Content-Type': type, 'Cache-Control': 'no-store' });
      response.end(body);
    };
    let path = '';
    try {
      path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    } catch {
      return send(400, 'malformed path');
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'GET only');
    if (redirects[path]) {
      response.writeHead(302, { Location: redirects[path] });
      return response.end();
    }
    if (files[path]) return send(200, files[path].body, files[path].type);
    const file = await mountedFile(mounts, path);
    if (!file) return send(404, `not found: ${path}`);
    response.writeHead(200, {
      ...headers,
      'Content-Type': CONTENT_TYPES[extname(file.path)] ?? 'application/octet-stream',
      'Content-Length': file.size,
      'Cache-Control': 'no-store',
    });
    if (request.method === 'HEAD') return response.end();
    // A file that goes away between stat and read (a rebuild) ends the response, rather than leave it short of its length.
    createReadStream(file.path)
      .on('error', () => response.destroy())
      .pipe(response);
  });
  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', done);
  });
  const close = () =>
    new Promise((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  if (lifetimeMs !== undefined) setTimeout(close, lifetimeMs).unref();
  return { url: `http://127.0.0.1:${server.address().port}`, close };
}

/**
 * The file a path names under one of the mounts (a folder's index.html), never outside it, even
 * through a symbolic link: the real paths of the file and the mount are compared. Undefined if none.
 */
async function mountedFile(mounts, path) {
  for (const [prefix, folder] of Object.entries(mounts)) {
    if (!path.startsWith(prefix)) continue;
    const root = await realpath(resolve(folder)).catch(() => undefined);
    if (root === undefined) continue;
    const relative = path.slice(prefix.length);
    const named = resolve(root, `.${sep}${relative === '' || relative.endsWith('/') ? `${relative}index.html` : relative}`);
    const candidate = await realpath(named).catch(() => undefined);
    if (candidate === undefined || !candidate.startsWith(root + sep)) continue;
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile()) return { path: candidate, size: info.size };
  }
  return undefined;
}
