// dlib-wasm against face-api from the same run: time ratios at the same
// batch size and requested thread count, and how far apart their
// descriptors of the same chips are.
import { descriptorDistance } from '../dist/index.js';

function distances(ours, theirs) {
  const values = theirs.map((descriptor, chip) => descriptorDistance(ours[chip], descriptor));
  return {
    max: values.reduce((a, b) => Math.max(a, b)),
    mean: values.reduce((sum, value) => sum + value, 0) / values.length,
    chips: values.length,
  };
}

export function compareEngines({ dlibWasmMsPerFace, faceApiMsPerFace, coldStarts }) {
  const measured = dlibWasmMsPerFace.filter((row) => !row.skipped);
  const rows = faceApiMsPerFace.map((peer) => {
    const ours = measured.find((row) => row.batch === peer.batch && row.threadsRequested === peer.backend.threadsRequested);
    // Descriptors do not depend on the thread count: any run of the same batch has the same chips.
    const sameChips = measured.find((row) => row.batch === peer.batch);
    return {
      batch: peer.batch,
      threadsRequested: peer.backend.threadsRequested,
      dlibWasmThreads: ours?.backend.threads,
      faceApiThreads: peer.backend.threadsUsed,
      dlibWasmMsPerFace: ours?.msPerFace,
      faceApiMsPerFace: peer.msPerFace,
      oursOverPeer: ours ? ours.msPerFace / peer.msPerFace : undefined,
      descriptorDistance: sameChips ? distances(sameChips.descriptors, peer.descriptors) : undefined,
    };
  });
  const coldStart = (ours) => ({
    dlibWasmMs: ours.median.bytesToDescriptorMs,
    faceApiMs: coldStarts.faceApi.median.bytesToDescriptorMs,
    oursOverPeer: ours.median.bytesToDescriptorMs / coldStarts.faceApi.median.bytesToDescriptorMs,
  });
  return {
    rows,
    coldStart: { dlibWasmDefaults: coldStart(coldStarts.dlibWasmDefaults), dlibWasmOneThread: coldStart(coldStarts.dlibWasmOneThread) },
  };
}
