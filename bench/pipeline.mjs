// node bench/pipeline.mjs [--threads N] [--runs R] [--landmarks model.dat] [--json out.json]
// The face pipeline stage by stage on dlib's bench photos, next to dlib 19.24 native
// (shared/reference/bench: reference BLAS and OpenBLAS, 1 thread, the same photos).
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { decodeImage } from '../dist/cli/decode-image.js';
import { getFaceChipDetails, loadFacePipeline } from '../dist/index.js';

const root = new URL('../', import.meta.url);
const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    runs: { type: 'string', default: '5' },
    landmarks: { type: 'string', default: '/usr/share/dlib/shape_predictor_68_face_landmarks.dat' },
    json: { type: 'string' },
  },
});
const runs = Number(values.runs);
const dlib = JSON.parse(await readFile(new URL('bench/dlib-native-pipeline.json', root), 'utf8'));
const pipeline = await loadFacePipeline(
  {
    detector: await readFile(new URL('models/frontal_face_detector.dat', root)),
    landmarks: await readFile(values.landmarks),
    recognition: await readFile(new URL('models/dlib_face_recognition_resnet_model_v1.dat', root)),
  },
  { threads: Number(values.threads) },
);

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const time = (f) => {
  const start = performance.now();
  const result = f();
  return [performance.now() - start, result];
};
const rows = [];
for (const photo of ['sample1.jpg', 'sample5.jpg', 'bald_guys.jpg']) {
  const bytes = await readFile(new URL(`test/fixtures/photos/${photo}`, root));
  const stages = { load: [], detect: [], landmarks: [], chips: [], descriptors: [] };
  let faces = 0;
  for (let r = 0; r < runs + 1; r++) {
    const t0 = performance.now();
    const image = await decodeImage(bytes);
    const t1 = performance.now();
    const [detect, found] = time(() => pipeline.detector.detectFaces(image, { upsample: 1 }));
    const [landmarks, shapes] = time(() => found.map((d) => pipeline.shapePredictor.predict(image, d.rect)));
    const [chipsMs, chips] = time(() => shapes.map((s) => pipeline.chips.extractImageChip(image, getFaceChipDetails(s, 150, 0.25))));
    const t2 = performance.now();
    await pipeline.recognition.computeFaceDescriptors(chips);
    const descriptors = performance.now() - t2;
    if (r === 0) continue; // warm-up
    faces = found.length;
    Object.entries({ load: t1 - t0, detect, landmarks, chips: chipsMs, descriptors }).forEach(([k, v]) => stages[k].push(v));
  }
  const ours = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, median(v)]));
  rows.push({ photo, faces, ours, dlib: dlib.photos[photo] });
}
pipeline.dispose();

const f = (x) => x.toFixed(1).padStart(7);
console.log(
  `face pipeline, median of ${runs} runs, ${pipeline.recognition.backend.threads} thread(s); dlib 19.24 native, 1 thread (reference BLAS / OpenBLAS)`,
);
console.log('| photo | faces | stage | dlib-wasm ms | dlib ref. BLAS ms | dlib OpenBLAS ms |');
console.log('|---|---|---|---|---|---|');
for (const { photo, faces, ours, dlib: d } of rows) {
  for (const stage of ['load', 'detect', 'landmarks', 'chips', 'descriptors']) {
    console.log(
      `| ${photo} | ${faces} | ${stage === 'detect' ? 'upsample + detect' : stage} | ${f(ours[stage])} | ${f(d.refblas[stage])} | ${f(d.openblas[stage])} |`,
    );
  }
  const total = (o) => o.load + o.detect + o.landmarks + o.chips + o.descriptors;
  console.log(`| ${photo} | ${faces} | **total** | ${f(total(ours))} | ${f(total(d.refblas))} | ${f(total(d.openblas))} |`);
}
if (values.json) await writeFile(values.json, `${JSON.stringify({ runs, threads: Number(values.threads), rows }, null, 1)}\n`);
