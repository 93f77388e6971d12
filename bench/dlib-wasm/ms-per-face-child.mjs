// Child: dlib-wasm's ms/face for one thread count and batch size
// (`--threads T --batch B`), alone in its process so that its peak RSS is
// its own.
import { loadChips } from '../support/chips.mjs';
import { reportToParent } from '../support/child-process.mjs';
import { measureLatency } from '../support/latency.mjs';
import { peakRssMiB } from '../support/peak-rss.mjs';
import { loadModelAsAsked } from './model-as-asked.mjs';

/** Descriptors sent back for comparison with the peers' (of the first chips). */
const COMPARED_DESCRIPTORS = 8;

const loaded = await loadModelAsAsked();
if (loaded) {
  const { model, batch, asked } = loaded;
  const chips = loadChips(batch);
  let descriptors = [];
  const latency = await measureLatency(async () => {
    descriptors = await model.computeFaceDescriptors(chips);
  });
  reportToParent({
    ...asked,
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
