import { closeSync, constants, fstatSync, openSync, read } from 'node:fs';
import { promisify } from 'node:util';

/**
 * Reading a file into fresh memory without the page cache's fault per page.
 * A read through the page cache faults the pages it fills in one by one as it
 * copies; a direct read (O_DIRECT, Linux) maps them in one go and the device
 * fills them. Where a fault is dear (~11 us on a paravirtualized host), 64 MB
 * took ~195 ms of CPU the first way and take ~40 ms the second, most of it
 * the device's (bench/page-touch-cost.mjs).
 */

/**
 * What direct reads need aligned: the file offset, the length and the memory
 * read into. A page: a multiple of every device's logical block.
 */
export const DIRECT_READ_ALIGNMENT = 4096;

/** Smaller reads go through the page cache: a few pages fault fast enough, and an array's memory may not be aligned. */
const DIRECT_READ_MIN_BYTES = 1 << 20;

/**
 * A direct read's first chunk, and the speed below which the rest is left to
 * the page cache: a spinning disk or a network file system (~100-150 MB/s)
 * reads slower than the copy of a file the page cache may hold, where a
 * local SSD or a VM's disk (1-3 GB/s) does not.
 */
const DIRECT_READ_PROBE_BYTES = 8 << 20;
const DIRECT_READ_MIN_BYTES_PER_MS = 256 * 1024;

const readAt = promisify(read);

/** Reads `fd` from `at` into `into` from `done` on, up to `length` or the file's end; returns where it stopped. */
async function readFrom(fd: number, at: number, into: Uint8Array, done: number, length: number): Promise<number> {
  for (let n = 1; done < length && n > 0; done += n) ({ bytesRead: n } = await readAt(fd, into, done, length - done, at + done));
  return done;
}

/**
 * Reads `fd` directly from `at` into `into` up to `length` (a multiple of
 * DIRECT_READ_ALIGNMENT); returns where it stopped, at a multiple of it: the
 * end, where the file ends, where a read was refused (EINVAL: a file system
 * that opens files for direct reads but cannot make them), or after the
 * first chunk where the device reads too slowly.
 */
async function readDirect(fd: number, at: number, into: Uint8Array, length: number): Promise<number> {
  const probe = Math.min(DIRECT_READ_PROBE_BYTES, length);
  const start = performance.now();
  let done = await readFrom(fd, at, into, 0, probe).catch(() => 0);
  if (done === probe && probe < length && (performance.now() - start) * DIRECT_READ_MIN_BYTES_PER_MS >= probe) {
    done = await readFrom(fd, at, into, done, length).catch(() => done);
  }
  return done - (done % DIRECT_READ_ALIGNMENT);
}

/**
 * `file` opened again for direct reads, where the platform and file system
 * have them and it is still the file open as `fd` (never blocking: a FIFO
 * swapped in meanwhile is not waited on).
 */
function openDirect(file: string, fd: number): number | undefined {
  if (constants.O_DIRECT === undefined) return undefined;
  let direct: number;
  try {
    direct = openSync(file, constants.O_RDONLY | constants.O_DIRECT | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  const [opened, checked] = [fstatSync(direct), fstatSync(fd)];
  if (opened.dev === checked.dev && opened.ino === checked.ino) return direct;
  closeSync(direct);
  return undefined;
}

/**
 * Reads `file` (open as `fd`) from byte `at` into `into`; says whether it
 * filled it. Where `at` and `into` are aligned (kernel memory, pageAlignedBytes)
 * and the read is large, its whole blocks are read directly; a file system
 * without direct reads, a slow device (see readDirect) and the last partial
 * block are read through the page cache, from `fd`.
 */
export async function readFileInto(file: string, fd: number, at: number, into: Uint8Array): Promise<boolean> {
  const directLength =
    into.length >= DIRECT_READ_MIN_BYTES && at % DIRECT_READ_ALIGNMENT === 0 && into.byteOffset % DIRECT_READ_ALIGNMENT === 0
      ? into.length - (into.length % DIRECT_READ_ALIGNMENT)
      : 0;
  const direct = directLength > 0 ? openDirect(file, fd) : undefined;
  try {
    const done = direct === undefined ? 0 : await readDirect(direct, at, into, directLength);
    return (await readFrom(fd, at, into, done, into.length)) === into.length;
  } finally {
    if (direct !== undefined) closeSync(direct);
  }
}

/**
 * readFileInto on a file opened at once, not in a callback: the read starts
 * before whatever this thread does next (a model's tables, tens of ms), and
 * runs beside it.
 */
export async function readInto(file: string, at: number, into: Uint8Array): Promise<boolean> {
  const fd = openSync(file, 'r');
  try {
    return await readFileInto(file, fd, at, into);
  } finally {
    closeSync(fd);
  }
}

/**
 * `bytes` of memory on a page boundary, as a direct read needs: a WebAssembly
 * memory's, freed with it. Undefined where the runtime will not make one (it
 * reserves more address space than its size, which `ulimit -v` may refuse).
 */
export function pageAlignedBytes(bytes: number): Uint8Array<ArrayBuffer> | undefined {
  try {
    return new Uint8Array(new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) }).buffer, 0, bytes);
  } catch {
    return undefined;
  }
}
