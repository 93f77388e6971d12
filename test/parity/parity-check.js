// The parity check that every runtime runs (Node, Deno, Bun, a browser page,
// a Web Worker): the package as built (dist/) on a few reference chips,
// against dlib's own descriptors. Plain JavaScript with no imports, so that
// each runtime loads it as it is.

/** `payload` is parity-payload.ts's: chips as base64 RGBA and dlib's descriptors. */
export async function runParityCheck(dlib, { model, payload, options = {} }) {
  const workerStarts = countWorkerStarts();
  const started = performance.now();
  const faceModel = await dlib.loadFaceRecognitionModel(model, options);
  try {
    const chips = payload.chips.map(({ width, height, rgbaBase64 }) => ({ width, height, data: decodeBase64(rgbaBase64) }));
    const descriptors = await faceModel.computeFaceDescriptors(chips);
    let maxAbsDiff = 0;
    descriptors.forEach((descriptor, i) => {
      payload.descriptors[i].forEach((expected, k) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(descriptor[k] - expected))));
    });
    return {
      backend: faceModel.backend,
      chips: chips.length,
      maxAbsDiff,
      workersStarted: workerStarts.count(),
      cores: globalThis.navigator?.hardwareConcurrency ?? null,
      crossOriginIsolated: globalThis.crossOriginIsolated,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    faceModel.dispose();
    workerStarts.stop();
  }
}

function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Counts the Web Workers started while the check runs (evidence that threads
 * were really used); null where workers are not Web Workers (Node).
 */
function countWorkerStarts() {
  const Original = globalThis.Worker;
  if (typeof Original !== 'function') return { count: () => null, stop() {} };
  let started = 0;
  globalThis.Worker = class extends Original {
    constructor(...args) {
      super(...args);
      started++;
    }
  };
  return { count: () => started, stop: () => (globalThis.Worker = Original) };
}
