// @vladmandic/face-api's face recognition net on @tensorflow/tfjs-backend-wasm,
// everything from node_modules (no network). face-api's node-wasm build
// requires `@tensorflow/tfjs` and `@tensorflow/tfjs-backend-wasm` itself, so
// they are required here first and are the same instances it uses.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);
const MODEL_DIR = `${dirname(require.resolve('@vladmandic/face-api/package.json'))}/model`;

export function importFaceApi() {
  const tf = require('@tensorflow/tfjs');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  return { tf, wasm, faceapi };
}

/**
 * Makes tfjs-wasm the backend with `threads` threads asked for; returns what
 * it really runs on. In Node, tfjs 4.22 reports no multithread support
 * (WASM_HAS_MULTITHREAD_SUPPORT is false under Node), loads the
 * single-threaded SIMD binary and ignores the request: getThreadsCount() says so.
 */
export async function initWasmBackend({ tf, wasm }, threads) {
  // A folder, not a URL: Emscripten's Node loader reads the .wasm with fs (tfjs's fetch would need http).
  wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  wasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not initialize its wasm backend');
  await tf.ready();
  return {
    backend: tf.getBackend(),
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    multithreadSupported: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
    threadsRequested: threads,
    threadsUsed: wasm.getThreadsCount(),
  };
}

/** faceRecognitionNet with the (uint8-quantized) weights that ship in the face-api package. */
export async function loadRecognitionNet({ faceapi }) {
  await faceapi.nets.faceRecognitionNet.loadFromDisk(MODEL_DIR);
  return faceapi.nets.faceRecognitionNet;
}

/** An RGBA chip as the [150, 150, 3] int32 tensor face-api takes (what tf.node.decodeImage would give). */
export function chipTensor({ tf }, chip) {
  const pixels = chip.width * chip.height;
  const rgb = new Int32Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    rgb[3 * p] = chip.data[4 * p];
    rgb[3 * p + 1] = chip.data[4 * p + 1];
    rgb[3 * p + 2] = chip.data[4 * p + 2];
  }
  return tf.tensor3d(rgb, [chip.height, chip.width, 3], 'int32');
}

/** The tfjs-wasm module's heap (tensors, weights, XNNPACK's packed weights): the counterpart of dlib-wasm's memoryBytes. */
export function wasmHeapBytes({ tf }) {
  return tf.backend().wasm.HEAPU8.buffer.byteLength;
}

export function versions({ tf, wasm, faceapi }) {
  return { faceApi: faceapi.version, tfjsCore: tf.version_core, tfjsBackendWasm: wasm.version_wasm };
}
