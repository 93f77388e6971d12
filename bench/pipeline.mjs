// npm run bench:native [-- --threads N] [--runs R] [--rounds K] [--json out.json]
// The face pipeline stage by stage on the bench photos and the face network at
// batch 1 and 16, dlib-wasm next to dlib native measured in the same run on
// this machine (bench/native/: our harness built against Debian's dlib 19.24
// and OpenBLAS, 1 thread). Without g++ or the packages, it prints the apt-get
// line and goes on without the dlib native column.
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { decodeImage } from '../dist/cli/decode-image.js';
import { getFaceChipDetails, loadFacePipeline, loadShapePredictor } from '../dist/index.js';
import { COMPILE_FLAGS, LANDMARKS_68, measureDlibNative } from './native/dlib-native.mjs';
import { formatForeignCpu, formatHeader } from './report.mjs';
import { loadChips } from './support/chips.mjs';
import { startForeignCpuMeter } from './support/foreign-cpu.mjs';
import { describeMachine } from './support/machine.mjs';
import { median } from './support/median.mjs';
import { commandLine } from './support/command-line.mjs';
import { describeSourceRevision } from './support/source-revision.mjs';
import { fixed, formatTable } from './support/table.mjs';

const root = new URL('../', import.meta.url);
const PHOTOS = ['sample1.jpg', 'sample5.jpg', 'bald_guys.jpg'];
const NET_BATCHES = [1, 16];
const LARGEST_BATCH = 16;
const STAGES = ['decode', 'detect', 'landmarks5', 'landmarks68', 'chips', 'descriptors'];
const STAGE_NAMES = {
  decode: 'decode',
  detect: 'upsample + HOG detect',
  landmarks5: 'landmarks, 5-point (bundled)',
  landmarks68: "landmarks, 68-point (dlib's)",
  chips: 'chips (from the 5 points)',
  descriptors: 'descriptors',
};
const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    runs: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'string' },
  },
});
const runs = Number(values.runs);
const rounds = Number(values.rounds);
const stopForeignCpuMeter = startForeignCpuMeter();
const model = (name) => readFile(new URL(`models/${name}`, root));

console.log(formatHeader({ machine: describeMachine(), command: commandLine(), source: describeSourceRevision() }));
// Batch size 16: the network row's largest batch; the photos' faces go through it 16 at a time.
const pipeline = await loadFacePipeline(
  {
    detector: await model('frontal_face_detector.dat'),
    landmarks: await model('shape_predictor_5_face_landmarks_lfw.dat'),
    recognition: await model('dlib_face_recognition_resnet_model_v1.dat'),
  },
  { threads: Number(values.threads), batchSize: LARGEST_BATCH },
);
// dlib's 68-point model comes with Debian's libdlib-data; without it, that row stays empty.
const landmarks68Bytes = await readFile(LANDMARKS_68).catch(() => undefined);
const landmarks68 = landmarks68Bytes && (await loadShapePredictor(landmarks68Bytes));

/** Runs `step` once to warm up, then `runs` times; the median in ms. */
async function medianMs(step) {
  await step();
  const times = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    await step();
    times.push(performance.now() - start);
  }
  return median(times);
}

const chips = loadChips(LARGEST_BATCH);
const time = async (step) => {
  const start = performance.now();
  const result = await step();
  return [performance.now() - start, result];
};

/** dlib-wasm's network ms/face and pipeline stages: the same figures as the native harness prints. */
async function measureDlibWasm() {
  const msPerFace = {};
  for (const batch of NET_BATCHES) {
    msPerFace[batch] = (await medianMs(() => pipeline.recognition.computeFaceDescriptors(chips.slice(0, batch)))) / batch;
  }

  const photos = [];
  // As the CLI decodes: photo after photo into one buffer (see PixelBuffer).
  const pixels = {};
  for (const photo of PHOTOS) {
    const bytes = await readFile(new URL(`test/fixtures/photos/${photo}`, root));
    const stages = Object.fromEntries(STAGES.map((stage) => [stage, []]));
    let faces = 0;
    // Each run's chips go into the last run's, as the CLI recycles them (and dlib's heap its freed chips).
    let faceChips = [];
    for (let r = 0; r <= runs; r++) {
      const ms = {};
      let image;
      let found;
      let shapes;
      [ms.decode, image] = await time(() => decodeImage(bytes, { pixels }));
      [ms.detect, found] = await time(() => pipeline.detector.detectFaces(image, { upsample: 1 }));
      [ms.landmarks5, shapes] = await time(() => found.map((face) => pipeline.shapePredictor.predict(image, face.rect)));
      if (landmarks68) [ms.landmarks68] = await time(() => found.map((face) => landmarks68.predict(image, face.rect)));
      const spare = faceChips;
      [ms.chips, faceChips] = await time(() =>
        shapes.map((shape, i) => pipeline.chips.extractImageChip(image, getFaceChipDetails(shape, 150, 0.25), spare[i]?.data)),
      );
      [ms.descriptors] = await time(() => pipeline.recognition.computeFaceDescriptors(faceChips));
      faces = found.length;
      if (r === 0) continue; // warm-up
      for (const stage of STAGES) if (ms[stage] !== undefined) stages[stage].push(ms[stage]);
    }
    photos.push({
      photo,
      faces,
      ms: Object.fromEntries(Object.entries(stages).map(([stage, times]) => [stage, times.length ? median(times) : undefined])),
    });
  }
  return { msPerFace, photos };
}

/**
 * The median over the rounds of every figure: ms/face per batch and each photo's stages. The
 * engines take turns round by round, so that on a shared machine both meet the same load.
 */
const mergeRounds = (perRound) => ({
  ...perRound[0],
  msPerFace: Object.fromEntries(NET_BATCHES.map((batch) => [batch, median(perRound.map((round) => round.msPerFace[batch]))])),
  photos: PHOTOS.map((photo) => {
    const ofPhoto = perRound.map((round) => round.photos.find((row) => row.photo === photo));
    const stageMs = (stage) => {
      const times = ofPhoto.map((row) => row.ms[stage]).filter((ms) => ms !== undefined);
      return times.length ? median(times) : undefined;
    };
    return { photo, faces: ofPhoto[0].faces, ms: Object.fromEntries(STAGES.map((stage) => [stage, stageMs(stage)])) };
  }),
});
const nativeRounds = [];
const wasmRounds = [];
let native = { available: true };
for (let round = 1; round <= rounds; round++) {
  if (native.available) {
    process.stderr.write(`round ${round} of ${rounds}: dlib native (bench/native/dlib-bench.cpp, built first if needed)\n`);
    native = measureDlibNative({ batches: NET_BATCHES, photos: PHOTOS, runs });
    if (native.available) nativeRounds.push(native);
    else console.log(`dlib native not measured: ${native.reason}`);
  }
  process.stderr.write(`round ${round} of ${rounds}: dlib-wasm\n`);
  wasmRounds.push(await measureDlibWasm());
}
if (native.available) native = mergeRounds(nativeRounds);
const { msPerFace: netMsPerFace, photos } = mergeRounds(wasmRounds);
const threads = pipeline.recognition.backend.threads;
pipeline.dispose();

const nativePhoto = (photo) => (native.available ? native.photos.find((row) => row.photo === photo) : undefined);
const ratio = (ours, theirs) => (ours && theirs ? `${(ours / theirs).toFixed(2)}x` : '-');
const rows = [];
for (const batch of NET_BATCHES) {
  const theirs = native.available ? native.msPerFace[batch] : undefined;
  rows.push([
    `${batch} chip${batch > 1 ? 's' : ''}`,
    batch,
    `face network, ms/face at batch ${batch}`,
    fixed(netMsPerFace[batch], 1),
    fixed(theirs, 1),
    ratio(netMsPerFace[batch], theirs),
  ]);
}
for (const { photo, faces, ms } of photos) {
  const theirs = nativePhoto(photo);
  if (theirs && theirs.faces !== faces) console.log(`note: on ${photo} dlib native found ${theirs.faces} faces, dlib-wasm ${faces}`);
  for (const stage of STAGES)
    rows.push([photo, faces, STAGE_NAMES[stage], fixed(ms[stage], 1), fixed(theirs?.ms[stage], 1), ratio(ms[stage], theirs?.ms[stage])]);
  const total = (stageMs) => (stageMs ? STAGES.reduce((sum, stage) => sum + (stageMs[stage] ?? 0), 0) : undefined);
  rows.push([photo, faces, 'total', fixed(total(ms), 1), fixed(total(theirs?.ms), 1), ratio(total(ms), total(theirs?.ms))]);
}
const nativeLine = native.available
  ? `dlib native: dlib ${native.dlib} (Debian), g++ ${native.compiler} ${COMPILE_FLAGS.join(' ')}, ${native.openblasConfig}, ${native.openblasThreads} thread`
  : 'dlib native: not measured';
console.log(
  `\n${formatTable(
    `face pipeline and network, medians of ${runs} runs after a warm-up, median of ${rounds} interleaved rounds; dlib-wasm ${threads} thread(s), batch size 16; ${nativeLine}; ` +
      'last column: dlib-wasm ms over dlib native ms (>1: dlib native is faster)',
    ['photo', 'faces', 'stage', 'dlib-wasm ms', 'dlib native ms', 'wasm/native'],
    rows,
  )}`,
);
const foreignCpu = stopForeignCpuMeter();
console.log(`\n${formatForeignCpu(foreignCpu)}`);
if (values.json)
  await writeFile(values.json, `${JSON.stringify({ runs, rounds, threads, netMsPerFace, photos, native, foreignCpu }, null, 1)}\n`);
