// The parity check that every runtime runs (Node, Deno, Bun, a browser page,
// a Web Worker): the package as built (dist/) on a few reference chips,
// against dlib's own descriptors. Plain JavaScript with no imports, so that
// each runtime loads it as it is.

/**
 * `payload` is parity-payload.ts's: chips as base64 RGBA and dlib's
 * descriptors. `onStage` hears each stage as it begins (with the Web Workers
 * started and ready so far), so that a check that never ends says where it
 * stopped.
 */
export async function runParityCheck(dlib, { model, payload, options = {}, onStage = () => {} }) {
  const workerStarts = countWorkerStarts();
  const stage = (name) => onStage(`${name} (Web Workers started: ${workerStarts.count()}, ready: ${workerStarts.ready()})`);
  const started = performance.now();
  stage('loading the model');
  const faceModel = await dlib.loadFaceRecognitionModel(model, options);
  try {
    const chips = payload.chips.map(({ width, height, rgbaBase64 }) => ({ width, height, data: decodeBase64(rgbaBase64) }));
    stage('computing descriptors');
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
    stage('disposing');
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
 * were really used), and those that have said they are ready (their first
 * message); null where workers are not Web Workers (Node).
 */
function countWorkerStarts() {
  const Original = globalThis.Worker;
  if (typeof Original !== 'function') return { count: () => null, ready: () => null, stop() {} };
  let started = 0;
  let ready = 0;
  globalThis.Worker = class extends Original {
    constructor(...args) {
      super(...args);
      started++;
      this.addEventListener('message', () => ready++, { once: true });
    }
  };
  return { count: () => started, ready: () => ready, stop: () => (globalThis.Worker = Original) };
}
