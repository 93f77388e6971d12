import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DIRECT_READ_ALIGNMENT } from './direct-read.js';
import { filePath } from './regular-file.js';

/**
 * The build the CLI runs, set by scripts/bundle-cli.mjs (a hash of dist's
 * modules and kernels): any change to how a model is packed changes it.
 * Unbundled there is none, and what depends on it is not cached: nothing would tell two builds apart.
 */
declare const DLIB_WASM_BUILD: string | undefined;
export const CLI_BUILD = typeof DLIB_WASM_BUILD === 'string' ? DLIB_WASM_BUILD : undefined;

/**
 * An entry of the CLI's cache folder (cacheFolder): what the CLI made of a
 * model file (dlib's 68-point model laid out, the face network's constants
 * packed), kept for the next run. An entry is a 4-byte header length, the
 * header (JSON, its `format` first), then the data, from the next multiple of
 * DIRECT_READ_ALIGNMENT (entryDataStart).
 */
export interface CacheEntry {
  folder: string;
  /** The entry's file: named by the model file's path, then by everything the entry depends on. */
  file: string;
  /** The start of the entries of this model file (of every version), for removing stale ones. */
  ofModel: string;
  /** `.landmarks`, `.network`: what the entries of this kind end with. */
  extension: string;
}

/**
 * The entry for the model file `file` in the `format`, depending also on the
 * file's size, modification time and inode (a changed file has another), and
 * on `build` (the CLI's); a `variant` (what the runtime runs) has entries of
 * its own, beside the other variants'. Undefined where there is no cache
 * folder, or `file` is not a regular file of at least `minBytes`.
 */
export async function modelFileEntry(
  folder: string | undefined,
  file: string | URL,
  format: string,
  extension: string,
  { build, variant, minBytes = 0 }: { build?: string; variant?: string; minBytes?: number } = {},
): Promise<CacheEntry | undefined> {
  if (folder === undefined) return undefined;
  const path = resolve(filePath(file));
  const stats = await stat(path).catch(() => undefined);
  if (!stats?.isFile() || stats.size < minBytes) return undefined;
  // The time in whole milliseconds: Deno gives no fraction of one where Node and Bun do, and runtimes share the folder.
  const modified = Math.floor(stats.mtimeMs);
  const key = createHash('sha256')
    .update(JSON.stringify([format, path, stats.size, modified, stats.ino, stats.dev, ...(build === undefined ? [] : [build])]))
    .digest('hex');
  const ofModel = `${createHash('sha256').update(path).digest('hex').slice(0, 16)}-${variant === undefined ? '' : `${variant}-`}`;
  return { folder, file: join(folder, `${ofModel}${key}${extension}`), ofModel, extension };
}

/** Where an entry's data start: after the 4-byte length of its header and the header, at the next DIRECT_READ_ALIGNMENT. */
export const entryDataStart = (headerLength: number) => Math.ceil((4 + headerLength) / DIRECT_READ_ALIGNMENT) * DIRECT_READ_ALIGNMENT;

/**
 * An entry's header (parsed JSON of the `format`) and where its data are in
 * its file, or undefined if there is no such entry or it is not whole.
 */
export async function readEntryHeader<T extends { format: string }>(
  entry: CacheEntry,
  format: string,
): Promise<{ header: T; dataAt: number; dataLength: number } | undefined> {
  try {
    const handle = await open(entry.file);
    try {
      const { size } = await handle.stat();
      const length = new Uint8Array(4);
      if ((await handle.read(length, 0, 4, 0)).bytesRead !== 4) return undefined;
      const headerLength = new DataView(length.buffer).getUint32(0, true);
      if (entryDataStart(headerLength) > size) return undefined;
      const json = new Uint8Array(headerLength);
      if ((await handle.read(json, 0, headerLength, 4)).bytesRead !== headerLength) return undefined;
      const header = JSON.parse(new TextDecoder().decode(json)) as T;
      if (header?.format !== format) return undefined;
      return { header, dataAt: entryDataStart(headerLength), dataLength: size - entryDataStart(headerLength) };
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * Writes an entry, whole or not at all (another run reading it meanwhile sees
 * the old one or none), and removes the model file's stale entries of this
 * kind; a cache that cannot be written is passed by.
 */
export async function writeEntry(entry: CacheEntry, header: { format: string }, data: Uint8Array): Promise<void> {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(entryDataStart(json.length));
  new DataView(head.buffer).setUint32(0, json.length, true);
  head.set(json, 4);
  const temporary = `${entry.file}.${randomBytes(6).toString('hex')}.tmp`;
  await mkdir(entry.folder, { recursive: true })
    // The head, then the data as they are: tens of MB not copied once more.
    .then(() => writeFile(temporary, [head, data]))
    .then(() => rename(temporary, entry.file))
    .then(() => removeStaleEntries(entry))
    .catch(() => rm(temporary, { force: true }));
}

/**
 * How old a writer's temporary file must be to be taken as left behind by a
 * run that died before renaming it (killed, crashed, the power cut): another
 * run may be writing its own right now, and writing the largest entry (65 MB)
 * takes well under a minute.
 */
const LEFT_BEHIND_MS = 10 * 60_000;

/**
 * Entries of tens of MB would pile up otherwise: the same file's entries for
 * its earlier versions (another size, time, format or build), and those of
 * earlier releases, named by their key alone; and the temporary files of
 * writes of either that never finished, which nothing else would ever remove.
 */
async function removeStaleEntries({ folder, file, ofModel, extension }: CacheEntry): Promise<void> {
  const keyOnly = new RegExp(`^[0-9a-f]{64}\\${extension}(\\.[0-9a-f]{12}\\.tmp)?$`);
  const temporary = new RegExp(`\\${extension}\\.[0-9a-f]{12}\\.tmp$`);
  const stale = (name: string) => name.startsWith(ofModel) || keyOnly.test(name);
  const leftBehind = async (path: string) => {
    const stats = await stat(path).catch(() => undefined);
    return stats !== undefined && Date.now() - stats.mtimeMs > LEFT_BEHIND_MS;
  };
  for (const name of await readdir(folder)) {
    const other = join(folder, name);
    if (other === file || !stale(name)) continue;
    if (name.endsWith(extension) || (temporary.test(name) && (await leftBehind(other)))) await rm(other, { force: true });
  }
}
