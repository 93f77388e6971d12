import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The CLI as `npm run build` builds it (npm test builds first): bundled by scripts/bundle-cli.mjs.
const cliFolder = fileURLToPath(new URL('../dist/cli/', import.meta.url));

/** The files a module of dist/cli imports before it runs (static imports), and theirs, and the packages among them. */
function staticImports(entries: string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const code = readFileSync(file, 'utf8');
    for (const [, from, bare] of code.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
      const specifier = from ?? bare;
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
      else packages.add(specifier);
    }
  };
  for (const entry of entries) visit(join(cliFolder, entry));
  return { files, packages };
}

describe('the built CLI', () => {
  it("starts the faces command from a few files (tsc's modules were 87), with no PNG or mozjpeg code until a photo needs it", () => {
    const main = readFileSync(join(cliFolder, 'main.js'), 'utf8');
    const facesModule = main.match(/faces: async \(\) => \(await import\(['"]\.\/([\w.-]+)['"]\)\)/)?.[1];
    expect(facesModule).toBeDefined();
    const { files, packages } = staticImports(['main.js', facesModule!]);
    expect(files.size).toBeLessThan(30);
    expect([...packages].filter((name) => name.includes('pngjs') || name.includes('@jsquash'))).toEqual([]);
  });
});
