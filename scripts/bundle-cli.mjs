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
import { rolldown } from 'rolldown';

const ENTRIES = { main: 'dist/cli/main.js', 'photo-locator-worker': 'dist/cli/photo-locator-worker.js' };

const build = await rolldown({
  input: ENTRIES,
  platform: 'node',
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
