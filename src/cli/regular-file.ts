import { constants, type Stats } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import { pageAlignedBytes, readFileInto } from './direct-read.js';

/** The path of a file named by a path or a file: URL (the bundled models are URLs). */
export function filePath(file: string | URL): string {
  return typeof file === 'string' ? file : fileURLToPath(file);
}

/** Files at least this large (a model's .dat: dlib's 68-point one is 100 MB) are read directly where they can be (direct-read.ts). */
const DIRECT_FILE_BYTES = 16 * 2 ** 20;

/**
 * The bytes of a regular file. Anything else (a FIFO, a device, a folder) is
 * an InputError rather than a read that blocks forever: the file is opened
 * without blocking and checked before it is read, so it cannot be swapped in
 * between a check and the read.
 */
export async function readRegularFile(path: string | URL): Promise<Buffer> {
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await file.stat();
    if (!info.isFile()) throw new InputError(`not a regular file (${fileKind(info)})`);
    const bytes = info.size >= DIRECT_FILE_BYTES ? pageAlignedBytes(info.size) : undefined;
    if (bytes && (await readFileInto(filePath(path), file.fd, 0, bytes))) return Buffer.from(bytes.buffer, 0, info.size);
    return await file.readFile();
  } finally {
    await file.close();
  }
}

function fileKind(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a file';
}

/**
 * Creates a folder and its missing parents, one level at a time. Node's
 * `mkdir(..., { recursive: true })` retries forever where the parent exists
 * but refuses children (`/proc/self/out`); here the second failure is the answer.
 */
export async function makeFolders(path: string): Promise<void> {
  try {
    await mkdir(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await stat(path)).isDirectory()) return;
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path) throw error;
    await makeFolders(parent);
    await mkdir(path);
  }
}
