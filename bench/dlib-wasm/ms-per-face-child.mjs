// Child: dlib-wasm's ms/face for one thread count and batch size
// (`--threads T --batch B`), alone in its process so that its peak RSS is
// its own.
import { parseArgs } from 'node:util';
import { loadFaceRecognitionModel } from '../../dist/index.js';
import { loadChips } from '../support/chips.mjs';
import { reportToParent } from '../support/child-process.mjs';
import { measureLatency } from '../support/latency.mjs';
import { peakRssMiB } from '../support/peak-rss.mjs';
import { readModelBytes } from './model-bytes.mjs';

/** Descriptors sent back for comparison with the peers' (of the first chips). */
const COMPARED_DESCRIPTORS = 8;

const { values } = parseArgs({ options: { threads: { type: 'string' }, batch: { type: 'string' } } });
const threads = Number(values.threads);
const batch = Number(values.batch);

// `threads` is the engine's intended option; an engine without it ignores it,
// so backend.threads, not the request, says what runs.
const model = await loadFaceRecognitionModel(readModelBytes(), { batchSize: batch, threads });
const { backend } = model;
if (backend.threads !== threads) {
  reportToParent({ threadsRequested: threads, batch, backend, skipped: true });
} else {
  const chips = loadChips(batch);
  let descriptors = [];
  const latency = await measureLatency(async () => {
    descriptors = await model.computeFaceDescriptors(chips);
  });
  reportToParent({
    threadsRequested: threads,
    batch,
    backend,
    skipped: false,
    msPerFace: latency.medianMs / batch,
    madMsPerFace: latency.madMs / batch,
    samples: latency.samples,
    multiplyAddsPerFace: model.network.multiplyAdds(),
    peakRssMiB: peakRssMiB(),
    wasmMemoryMiB: model.network.memoryBytes / 2 ** 20,
    descriptors: descriptors.slice(0, COMPARED_DESCRIPTORS).map((descriptor) => Array.from(descriptor)),
  });
}
