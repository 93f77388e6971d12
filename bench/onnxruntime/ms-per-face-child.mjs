// onnxruntime-node (CPU) on the face model as dlib-wasm exports it: ms per face at batch 1 and 8.
// Run after `npm run build`: node bench/onnxruntime-node.mjs [--threads N]
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { readDlibNetwork } from '../dist/index.js';
import { exportOnnx } from '../dist/onnx/index.js';

const root = new URL('..', import.meta.url);
const threadsArg = process.argv.indexOf('--threads');
const threads = threadsArg > 0 ? Number(process.argv[threadsArg + 1]) : 1;
const { model } = exportOnnx(readDlibNetwork(readFileSync(new URL('models/dlib_face_recognition_resnet_model_v1.dat', root))));
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 });
const runs = 10;
const results = {};
for (const batch of [1, 8]) {
  const input = new ort.Tensor(
    'float32',
    Float32Array.from({ length: batch * 3 * 150 * 150 }, (_, i) => (i * 37) % 256),
    [batch, 3, 150, 150],
  );
  await session.run({ input }); // warm-up
  const times = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    await session.run({ input });
    times.push((performance.now() - start) / batch);
  }
  times.sort((a, b) => a - b);
  results[`batch${batch}`] = Number(times[runs >> 1].toFixed(2));
}
console.log(JSON.stringify({ runtime: `onnxruntime-node ${ort.env.versions.common}`, threads, msPerFace: results }));
await session.release();
