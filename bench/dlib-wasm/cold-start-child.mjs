// Child: one cold start of dlib-wasm in a fresh process: importing the
// library, then model bytes -> loaded model (parsing the .dat, compiling the
// kernel module, starting the worker threads, packing the weights) -> first
// descriptor. `--threads T`, or the library's default options without it.
import { parseArgs } from 'node:util';
import { loadChips } from '../support/chips.mjs';
import { reportToParent } from '../support/child-process.mjs';
import { peakRssMiB } from '../support/peak-rss.mjs';
import { readModelBytes } from './model-bytes.mjs';

const { values } = parseArgs({ options: { threads: { type: 'string' } } });
const options = values.threads === undefined ? {} : { threads: Number(values.threads) };
// Reading the file and decoding the PNG are the caller's work, not the library's.
const bytes = readModelBytes();
const [chip] = loadChips(1);

const importStart = performance.now();
const { loadFaceRecognitionModel } = await import('../../dist/index.js');
const loadStart = performance.now();
const model = await loadFaceRecognitionModel(bytes, options);
const loaded = performance.now();
await model.computeFaceDescriptor(chip);
const done = performance.now();

reportToParent({
  options,
  importMs: loadStart - importStart,
  loadMs: loaded - loadStart,
  firstDescriptorMs: done - loaded,
  bytesToDescriptorMs: done - loadStart,
  // Node's performance clock starts with the process: this includes Node's own startup.
  processStartToDescriptorMs: done,
  peakRssMiB: peakRssMiB(),
  wasmMemoryMiB: model.network.memoryBytes / 2 ** 20,
  backend: model.backend,
});
