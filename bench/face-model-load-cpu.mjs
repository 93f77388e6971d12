// CPU ms (process.cpuUsage: all threads) of loadFaceRecognitionModel(bytes, { threads: 1 }) and of its
// first computeFaceDescriptors, in this fresh process, for the dist directory given (default ../dist);
// a hash of the descriptor shows that two builds give the same values.
// Usage: node bench/face-model-load-cpu.mjs [dist dir]  (run it in turns with a base dist for an A/B)
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url);
const dist = resolve(process.argv[2] ?? new URL('dist', root).pathname);
const bytes = readFileSync(new URL('models/dlib_face_recognition_resnet_model_v1.dat', root));
const chip = { width: 150, height: 150, data: new Uint8Array(150 * 150 * 3).map((_, i) => (i * 37) % 251) };
const cpuMs = (usage) => (usage.user + usage.system) / 1000;
const start = process.cpuUsage();
const { loadFaceRecognitionModel } = await import(pathToFileURL(`${dist}/index.js`).href);
const imported = cpuMs(process.cpuUsage(start));
const model = await loadFaceRecognitionModel(bytes, { threads: 1 });
const loaded = cpuMs(process.cpuUsage(start));
const [descriptor] = await model.computeFaceDescriptors([chip]);
const described = cpuMs(process.cpuUsage(start));
let hash = 0;
for (const value of descriptor) hash = (hash * 31 + Math.round(value * 1e6)) | 0;
const round = (ms) => Math.round(ms * 10) / 10;
console.log(
  JSON.stringify({
    node: process.version,
    dist,
    importMs: round(imported),
    loadMs: round(loaded - imported),
    firstCallMs: round(described - loaded),
    hash,
    loadAverage: os.loadavg()[0],
  }),
);
model.dispose();
