// Empties dist/ before tsc writes it, so that no module of a renamed or
// deleted source is left to be packed. dist/wasm/ is build-wasm.mjs's, written
// just before, and stays.
import { readdirSync, rmSync } from 'node:fs';

for (const entry of readdirSync('dist', { withFileTypes: true })) {
  if (entry.name !== 'wasm') rmSync(`dist/${entry.name}`, { recursive: true, force: true });
}
