// The face detector's net (plain input: the engine does not tile pyramids) over one synthetic RGB
// image of WIDTH x HEIGHT, run in bands; prints the run's time and the wasm memory. For the peak
// RSS of the whole process: npm run build:ts && /usr/bin/time -v node bench/banded-memory.mjs 4000 9200
import { readFileSync } from 'node:fs';
import { DlibNetwork, readDlibNetwork } from '../dist/index.js';

const [width, height] = process.argv.slice(2).map(Number);
if (!(width > 0 && height > 0)) throw new Error('usage: node bench/banded-memory.mjs WIDTH HEIGHT');
const read = readDlibNetwork(readFileSync(new URL('../test/fixtures/dlib-models/mmod_human_face_detector.dat', import.meta.url)));
const net = { ...read, input: { kind: 'input_rgb_image', index: read.input.index, mean: read.input.mean } };
const data = new Uint8Array(width * height * 3);
for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
const network = await DlibNetwork.create(net);
const start = performance.now();
const [scores] = await network.run([{ width, height, data }]);
const ms = Math.round(performance.now() - start);
console.log(
  JSON.stringify({ width, height, ms, scores: scores.length, wasmMiB: network.memoryBytes / 2 ** 20, threads: network.backend.threads }),
);
network.dispose();
