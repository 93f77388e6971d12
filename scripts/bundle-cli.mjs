// Bundles the CLI's two entry points, dist/cli/main.js and the locate
// workers' dist/cli/photo-locator-worker.js, over tsc's modules: each command
// then loads a few files instead of about 85, which took Node 50-70 ms of
// every start (resolving, reading, compiling and linking each module). The
// bundle replaces the two entry files; the modules they share or import lazily
// (each command's) go to dist/cli/bundle-*.js, beside them, so that
// `import.meta.url` paths (paths.ts's models, the worker's file) resolve as
// from tsc's dist/cli/. The other modules of dist/cli stay as tsc wrote them:
// the tests and benchmarks import them. Packages and Node's modules stay
// imports, resolved at run time as before.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { rolldown } from 'rolldown';

/**
 * The build, for the CLI's caches of what it packs (network-constants-cache.ts):
 * a hash of every module and kernel build in dist/ as tsc and build-wasm wrote them.
 */
function buildHash() {
  const hash = createHash('sha256');
  for (const file of readdirSync('dist', { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(js|wasm)$/.test(entry.name))
    .map((entry) => `${entry.parentPath}/${entry.name}`)
    .sort()) {
    hash.update(file).update(readFileSync(file));
  }
  return hash.digest('hex');
}

const ENTRIES = { main: 'dist/cli/main.js', 'photo-locator-worker': 'dist/cli/photo-locator-worker.js' };

const build = await rolldown({
  input: ENTRIES,
  platform: 'node',
  transform: { define: { DLIB_WASM_BUILD: JSON.stringify(buildHash()) } },
  // A bare specifier (node:fs, pngjs, pg...) is a package's: left to Node.
  external: (id, importer) => importer !== undefined && !id.startsWith('.') && !id.startsWith('/'),
  onLog(level, log) {
    throw new Error(`bundling the CLI: ${level}: ${log.message}`);
  },
});
await build.write({
  dir: 'dist/cli',
  format: 'esm',
  entryFileNames: '[name].js',
  chunkFileNames: 'bundle-[name]-[hash].js',
  sourcemap: true,
});
await build.close();
