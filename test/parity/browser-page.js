// The parity check in a browser page, on its main thread or (?in=worker) in
// a module Web Worker; ?workerUrl=1 starts the engine's threads from
// dist/worker.js instead of a blob: URL. window.parityResult settles to the
// result (with what the browser offers there: browser-features.js), or to
// { error } with the message of what failed.
import * as dlib from '/dist/index.js';
import { browserFeatures } from './browser-features.js';
import { runParityCheck } from './parity-check.js';

const params = new URLSearchParams(location.search);
const options = params.has('workerUrl') ? { workerUrl: '/dist/worker.js' } : {};

async function inPage() {
  const payload = await (await fetch('/parity-payload.json')).json();
  const result = await runParityCheck(dlib, { model: await fetch('/models/dlib_face_recognition_resnet_model_v1.dat'), payload, options });
  return { ...result, features: await browserFeatures() };
}

function inWorker() {
  const worker = new Worker(new URL('./browser-worker.js', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event) => (event.data.error ? reject(new Error(event.data.error)) : resolve(event.data));
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage(options);
  }).finally(() => worker.terminate());
}

window.parityResult = (params.get('in') === 'worker' ? inWorker() : inPage())
  .catch((error) => ({ error: `${error.name}: ${error.message}` }));
