// The source maps of dist/ carry their sources' text (inlineSources), so that
// a stack trace shows the TypeScript. For the generated files that text is the
// kernel builds in base64 (hundreds of KB a map, in the package, for nothing
// a reader needs): their entries are dropped, the mappings kept.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

for (const entry of readdirSync('dist', { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.map')) continue;
  const file = `${entry.parentPath}/${entry.name}`;
  const map = JSON.parse(readFileSync(file, 'utf8'));
  const generated = (map.sources ?? []).map((source) => /\.generated\.(ts|js)$/.test(source));
  if (!map.sourcesContent || !generated.includes(true)) continue;
  map.sourcesContent = map.sourcesContent.map((text, i) => (generated[i] ? null : text));
  writeFileSync(file, JSON.stringify(map));
}
