// The parity check in a browser page, on its main thread or (?in=worker) in
// a module Web Worker; ?workerUrl=1 starts the engine's threads from
// dist/worker.js instead of a blob: URL. window.parityResult settles to the
// result (with what the browser offers there: browser-features.js), or to
// { error } with the message of what failed, or of the stage it stopped at
// when no result comes in time.
import * as dlib from '/dist/index.js';
import { browserFeatures } from './browser-features.js';
import { runParityCheck } from './parity-check.js';

const params = new URLSearchParams(location.search);
const options = params.has('workerUrl') ? { workerUrl: '/dist/worker.js' } : {};
/** Well within the test's own timeout, so that the test hears where the check stopped. */
const RESULT_TIMEOUT_MS = 40_000;
let lastStage = 'loading the page';
const onStage = (stage) => (lastStage = stage);

async function inPage() {
  const payload = await (await fetch('/parity-payload.json')).json();
  const result = await runParityCheck(dlib, {
    model: await fetch('/models/dlib_face_recognition_resnet_model_v1.dat'),
    payload,
    options,
    onStage,
  });
  return { ...result, features: await browserFeatures() };
}

function inWorker() {
  const worker = new Worker(new URL('./browser-worker.js', import.meta.url), { type: 'module' });
  onStage("starting the page's Web Worker");
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      if (data.stage) onStage(`in the page's Web Worker: ${data.stage}`);
      else if (data.error) reject(new Error(data.error));
      else resolve(data);
    };
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage(options);
  }).finally(() => worker.terminate());
}

function timeout() {
  return new Promise((resolve) =>
    setTimeout(() => resolve({ error: `no result after ${RESULT_TIMEOUT_MS / 1000} s; it stopped at: ${lastStage}` }), RESULT_TIMEOUT_MS),
  );
}

window.parityResult = Promise.race([
  (params.get('in') === 'worker' ? inWorker() : inPage()).catch((error) => ({ error: `${error.name}: ${error.message}` })),
  timeout(),
]);
