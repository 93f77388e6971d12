// Child: face-api's ms/face on tfjs-wasm for one thread count and batch size
// (`--threads T --batch B`). tfjs's backend is global to a process, so each
// configuration gets a process of its own.
import { parseArgs } from 'node:util';
import { loadChips } from '../support/chips.mjs';
import { reportToParent } from '../support/child-process.mjs';
import { measureLatency } from '../support/latency.mjs';
import { peakRssMiB } from '../support/peak-rss.mjs';
import { chipTensor, importFaceApi, initWasmBackend, loadRecognitionNet, versions, wasmHeapBytes } from './face-api-wasm.mjs';

/** Descriptors sent back for comparison with dlib-wasm's (of the first chips). */
const COMPARED_DESCRIPTORS = 8;

const { values } = parseArgs({ options: { threads: { type: 'string' }, batch: { type: 'string' } } });
const threads = Number(values.threads);
const batch = Number(values.batch);

const library = importFaceApi();
const backend = await initWasmBackend(library, threads);
const net = await loadRecognitionNet(library);
const tensors = loadChips(batch).map((chip) => chipTensor(library, chip));
let descriptors = [];
// An array of chips is face-api's batch input: one forward pass over a [batch, 150, 150, 3] tensor.
const latency = await measureLatency(async () => {
  descriptors = await net.computeFaceDescriptor(tensors);
});
reportToParent({
  versions: versions(library),
  backend,
  batch,
  msPerFace: latency.medianMs / batch,
  madMsPerFace: latency.madMs / batch,
  samples: latency.samples,
  peakRssMiB: peakRssMiB(),
  wasmMemoryMiB: wasmHeapBytes(library) / 2 ** 20,
  descriptors: descriptors.slice(0, COMPARED_DESCRIPTORS).map((descriptor) => Array.from(descriptor)),
});
