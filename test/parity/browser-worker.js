// The parity check in a module Web Worker: the model and the engine (and its
// own worker threads, where the page is cross-origin isolated) off the page's
// main thread. Takes the engine options as its one message; posts each stage
// as { stage }, then the result. The model goes in as bytes here (the page
// passes its Response), so that fetching it is a stage of its own.
import * as dlib from '/dist/index.js';
import { browserFeatures } from './browser-features.js';
import { runParityCheck } from './parity-check.js';

self.onmessage = async ({ data: options }) => {
  const onStage = (stage) => self.postMessage({ stage });
  try {
    onStage('fetching the payload');
    const payload = await (await fetch('/parity-payload.json')).json();
    onStage('fetching the model');
    const model = new Uint8Array(await (await fetch('/models/dlib_face_recognition_resnet_model_v1.dat')).arrayBuffer());
    const result = await runParityCheck(dlib, { model, payload, options, onStage });
    self.postMessage({ ...result, features: await browserFeatures() });
  } catch (error) {
    self.postMessage({ error: `${error.name}: ${error.message}` });
  }
};
