// Loads the model with 2 threads, runs it once and never calls dispose():
// whether the process still ends by itself is what this shows.
import { readFile } from 'node:fs/promises';
import { loadFaceRecognitionModel } from '../../dist/index.js';

const model = await loadFaceRecognitionModel(
  await readFile(new URL('../../models/dlib_face_recognition_resnet_model_v1.dat', import.meta.url)),
  { threads: 2 },
);
await model.computeFaceDescriptor({ width: 150, height: 150, data: new Uint8Array(150 * 150 * 3) });
console.log(JSON.stringify({ threads: model.backend.threads }));
