// Child: one cold start of face-api in a fresh process: importing tfjs and
// face-api, then backend initialization (compiling tfjs's wasm) -> weights
// loaded -> first descriptor. The mirror of bench/dlib-wasm/cold-start-child.mjs.
import { loadChips } from '../support/chips.mjs';
import { reportToParent } from '../support/child-process.mjs';
import { peakRssMiB } from '../support/peak-rss.mjs';
import { chipTensor, importFaceApi, initWasmBackend, loadRecognitionNet, wasmHeapBytes } from './face-api-wasm.mjs';

const THREADS = 1;
const [chip] = loadChips(1);

const importStart = performance.now();
const library = importFaceApi();
const initStart = performance.now();
const backend = await initWasmBackend(library, THREADS);
const loadStart = performance.now();
const net = await loadRecognitionNet(library);
const loaded = performance.now();
await net.computeFaceDescriptor(chipTensor(library, chip));
const done = performance.now();

reportToParent({
  importMs: initStart - importStart,
  // Backend initialization plus reading and dequantizing the weights: what dlib-wasm's load does from bytes.
  loadMs: loaded - initStart,
  backendInitMs: loadStart - initStart,
  weightsMs: loaded - loadStart,
  firstDescriptorMs: done - loaded,
  bytesToDescriptorMs: done - initStart,
  // Node's performance clock starts with the process: this includes Node's own startup.
  processStartToDescriptorMs: done,
  peakRssMiB: peakRssMiB(),
  wasmMemoryMiB: wasmHeapBytes(library) / 2 ** 20,
  backend,
});
