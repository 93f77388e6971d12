// node bench/page-touch-cost.mjs [--mib 64]
//
// What a page of memory costs the first time a run touches it, on this machine: the figure behind every
// cold start here (the CLI touches ~300 MB once: models, the HOG detector's images, the decoder). Times,
// per 4 KB page, in fresh WebAssembly memory (as the kernels' memories are):
// - a write to a fresh page (a page fault: the kernel finds, zeroes and maps a page);
// - a pread of a model-sized file into fresh pages (the kernel faults them in one by one as it copies
//   from the page cache), then the first and second reads of one byte a page from JavaScript. On bare
//   metal the first read after the pread costs what the second does; on a host whose user-mode mappings
//   are filled in lazily (shadow paging, e.g. a paravirtualized guest), each page costs again;
// - a direct read (O_DIRECT) of the same file into fresh pages (the kernel maps them all in one go and
//   the device fills them: how the CLI reads its cache entries and large model files, src/cli/direct-read.ts), then the first
//   read from JavaScript;
// - the same first read when another thread (a worker) read the page first.
// And whether transparent huge pages could serve the memory (the kernel's setting: with `madvise`,
// only memory advised MADV_HUGEPAGE gets them, and neither V8 nor Node advises a wasm memory).
import { closeSync, constants, fsyncSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { formatHeader } from './report.mjs';
import { commandLine } from './support/command-line.mjs';
import { freshWasmMemory, PAGE_BYTES, writePages } from './support/fresh-page-cost.mjs';
import { describeMachine } from './support/machine.mjs';
import { describeSourceRevision } from './support/source-revision.mjs';
import { formatTable } from './support/table.mjs';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '64' } } });
const bytes = Number(values.mib) * 2 ** 20;
const pages = bytes / PAGE_BYTES;

const freshMemory = (shared = false) => freshWasmMemory(bytes, shared);
const timed = (step) => {
  const start = performance.now();
  step();
  return performance.now() - start;
};
/** One byte a page, read (returned so that the loop is not dropped). */
const readPages = (view) => {
  let sum = 0;
  for (let at = 0; at < view.length; at += PAGE_BYTES) sum += view[at];
  return sum;
};
const preadInto = (file, view, flags = constants.O_RDONLY) => {
  const fd = openSync(file, flags);
  try {
    for (let at = 0; at < view.length; ) at += readSync(fd, view, at, view.length - at, at);
  } finally {
    closeSync(fd);
  }
};

console.log(formatHeader({ machine: describeMachine(), command: commandLine(), source: describeSourceRevision() }));
const file = join(tmpdir(), `dlib-wasm-page-touch-${process.pid}.bin`);
// On disk before it is read: a direct read of pages still dirty in the page cache would first write them back.
const written0 = openSync(file, 'w');
writeSync(written0, new Uint8Array(bytes).fill(1));
fsyncSync(written0);
closeSync(written0);
try {
  const rows = [];
  const add = (what, step) => {
    const ms = timed(step);
    rows.push([what, ms.toFixed(1), ((ms * 1000) / pages).toFixed(2)]);
  };

  const written = new Uint8Array(freshMemory().buffer);
  add('write to fresh pages', () => writePages(written, 2));
  add('write again', () => writePages(written, 3));

  const read = new Uint8Array(freshMemory().buffer);
  add('pread into fresh pages', () => preadInto(file, read));
  add('first read from JavaScript after the pread', () => readPages(read));
  add('second read', () => readPages(read));

  if (constants.O_DIRECT !== undefined) {
    const direct = new Uint8Array(freshMemory().buffer);
    add('direct read (O_DIRECT) into fresh pages', () => preadInto(file, direct, constants.O_RDONLY | constants.O_DIRECT));
    add('first read from JavaScript after the direct read', () => readPages(direct));
  }

  const shared = freshMemory(true);
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const { openSync, readSync } = require('node:fs');
     const view = new Uint8Array(workerData.buffer);
     const fd = openSync(workerData.file, 'r');
     for (let at = 0; at < view.length; ) at += readSync(fd, view, at, view.length - at, at);
     let sum = 0;
     for (let at = 0; at < view.length; at += ${PAGE_BYTES}) sum += view[at];
     parentPort.postMessage(sum);`,
    { eval: true, workerData: { buffer: shared.buffer, file } },
  );
  await new Promise((done, fail) => worker.once('message', done).once('error', fail));
  await worker.terminate();
  add('first read after a worker read the pages', () => readPages(new Uint8Array(shared.buffer)));

  console.log(
    formatTable(`${values.mib} MiB (${pages} pages of 4 KB) each, in fresh WebAssembly memory`, ['step', 'ms', 'us a page'], rows),
  );
  const setting = (path) => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return 'unknown';
    }
  };
  console.log(`transparent huge pages: ${setting('/sys/kernel/mm/transparent_hugepage/enabled')}`);
} finally {
  rmSync(file, { force: true });
}
