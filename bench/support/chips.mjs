import { readdirSync, readFileSync } from 'node:fs';
import { PNG } from 'pngjs';

const CHIPS_DIR = new URL('../../test/fixtures/chips/faces/', import.meta.url);

/**
 * The first `count` aligned 150x150 face chips of the test fixtures (by file
 * name, so every process and every engine gets the same ones), as RGBA.
 */
export function loadChips(count) {
  const files = readdirSync(CHIPS_DIR)
    .filter((name) => name.endsWith('.png'))
    .sort();
  if (count > files.length) throw new RangeError(`asked for ${count} chips, the fixtures have ${files.length}`);
  return files.slice(0, count).map((name) => {
    const png = PNG.sync.read(readFileSync(new URL(name, CHIPS_DIR)));
    return { width: png.width, height: png.height, data: png.data };
  });
}
