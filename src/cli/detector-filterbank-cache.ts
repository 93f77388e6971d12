import { FHOG_PLANES } from '../dlib/hog-detector-reader.js';
import type { SeparableTerm } from '../face/fhog-filterbank.js';
import { CLI_BUILD, type CacheEntry, modelFileEntry, readEntryHeader, writeEntry } from './cache-entry.js';
import { readInto } from './direct-read.js';
import { cacheFolder as cliCacheFolder } from './cache-folder.js';

/** Names the entries' layout: a change to it must change this. */
const FORMAT = 'dlib-wasm hog filterbank 2';

/** An entry's header: each filter's terms' planes and the taps' counts; the taps follow it (f32, each term's row then column). */
interface EntryHeader {
  format: string;
  planes: number[][];
  rowTaps: number;
  columnTaps: number;
}

/** A HOG detector's filterbank in the CLI's cache: its terms if the cache has them, and the entry to keep them in if not. */
export interface FilterbankCache {
  terms?: SeparableTerm[][];
  entry?: CacheEntry;
}

/**
 * The cached filterbank (loadFrontalFaceDetector's `filterbank`) of the HOG
 * detector in `file`: splitting its 155 filter planes by their SVDs takes
 * 20-35 ms of every start. An entry is for this very file and build, as the
 * network's constants; a cache that cannot be read is passed by.
 */
export async function openFilterbankCache(
  file: string | URL,
  { cacheFolder = cliCacheFolder(), build = CLI_BUILD }: { cacheFolder?: string; build?: string } = {},
): Promise<FilterbankCache> {
  const entry = build === undefined ? undefined : await modelFileEntry(cacheFolder, file, FORMAT, '.filterbank', { build });
  if (!entry) return {};
  const found = await readEntryHeader<EntryHeader>(entry, FORMAT);
  if (!found) return { entry };
  const { planes, rowTaps, columnTaps } = found.header;
  const bytes = new Uint8Array(found.dataLength);
  const taps = new Float32Array(bytes.buffer, 0, bytes.length >> 2);
  // The detector checks the terms it is given: a header that does not parse as one is passed by here, not refused there.
  const isPlane = (plane: unknown) => Number.isInteger(plane) && (plane as number) >= 0 && (plane as number) < FHOG_PLANES;
  const wellFormed =
    Array.isArray(planes) &&
    planes.every((filter) => Array.isArray(filter) && filter.every(isPlane)) &&
    [rowTaps, columnTaps].every((n) => Number.isInteger(n) && n > 0);
  const termCount = wellFormed ? planes.reduce((sum, filter) => sum + filter.length, 0) : -1;
  if (termCount * (rowTaps + columnTaps) * 4 !== bytes.length || !(await readInto(entry.file, found.dataAt, bytes).catch(() => false))) {
    return { entry };
  }
  let at = 0;
  const take = (n: number) => {
    at += n;
    return taps.slice(at - n, at);
  };
  const terms = planes.map((filter) => filter.map((plane) => ({ plane, row: take(rowTaps), column: take(columnTaps) })));
  return { terms, entry };
}

/** Writes a loaded detector's filterbank (its `filterbank`) to its entry, for the next run. */
export async function keepFilterbank(entry: CacheEntry, filterbank: SeparableTerm[][]): Promise<void> {
  const terms = filterbank.flat();
  const rowTaps = terms[0]?.row.length ?? 0;
  const columnTaps = terms[0]?.column.length ?? 0;
  const taps = new Float32Array(terms.length * (rowTaps + columnTaps));
  terms.forEach(({ row, column }, i) => {
    taps.set(row, i * (rowTaps + columnTaps));
    taps.set(column, i * (rowTaps + columnTaps) + rowTaps);
  });
  const header: EntryHeader = { format: FORMAT, planes: filterbank.map((filter) => filter.map((t) => t.plane)), rowTaps, columnTaps };
  await writeEntry(entry, header, new Uint8Array(taps.buffer));
}
