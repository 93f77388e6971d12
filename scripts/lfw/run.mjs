// npm run lfw -- <lfw dir> [--landmarks model.dat] [--dlib-descriptors file.f32] [--json out.json]
// LFW View 2 through dlib-wasm's pipeline with dlib's protocol, next to dlib's own run.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeImage } from '../../dist/cli/decode-image.js';
import { descriptorDistance, loadFacePipeline } from '../../dist/index.js';
import { protocolDescriptors } from './lfw-faces.mjs';
import { evaluate, parsePairs } from './protocol.mjs';

const root = new URL('../../', import.meta.url);
const fixtures = new URL('test/fixtures/lfw/', root);
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    landmarks: { type: 'string' },
    'dlib-descriptors': { type: 'string' },
    json: { type: 'string' },
    batch: { type: 'string', default: '64' },
  },
});
if (positionals.length !== 1) {
  console.error(
    'usage: npm run lfw -- <lfw dir with pairs.txt and deepfunneled_250/> [--landmarks model.dat] [--dlib-descriptors file.f32] [--json out.json]',
  );
  process.exit(2);
}
const lfw = positionals[0];
const landmarks68 = values.landmarks !== undefined;
const reference = JSON.parse(await readFile(new URL('results.json', fixtures), 'utf8'))[landmarks68 ? 'sp68' : 'sp5'];
const dlibDescriptorFile = values['dlib-descriptors'] ?? (landmarks68 ? undefined : new URL('descriptors_sp5.f32', fixtures));
const dlibNames = (await readFile(new URL('images.txt', fixtures), 'utf8')).trim().split('\n');
const dlibAll = dlibDescriptorFile ? new Float32Array((await readFile(dlibDescriptorFile)).buffer.slice(0)) : undefined;
const dlibIndex = new Map(dlibNames.map((n, i) => [n, i]));

const { folds, pairs } = parsePairs(await readFile(join(lfw, 'pairs.txt'), 'utf8'));
const images = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
const pipeline = await loadFacePipeline({
  detector: await readFile(new URL('models/frontal_face_detector.dat', root)),
  landmarks: await readFile(values.landmarks ?? new URL('models/shape_predictor_5_face_landmarks_lfw.dat', root)),
  recognition: await readFile(new URL('models/dlib_face_recognition_resnet_model_v1.dat', root)),
});
const start = performance.now();
const results = new Map();
const batch = Number(values.batch);
for (let i = 0; i < images.length; i += batch) {
  const names = images.slice(i, i + batch);
  const decoded = await Promise.all(names.map(async (n) => decodeImage(await readFile(join(lfw, 'deepfunneled_250', n)))));
  (await protocolDescriptors(pipeline, decoded)).forEach((r, j) => results.set(names[j], r));
  if (process.stderr.isTTY) process.stderr.write(`\r${Math.min(i + batch, images.length)}/${images.length} images`);
}
if (process.stderr.isTTY) process.stderr.write('\n');
const seconds = (performance.now() - start) / 1000;
pipeline.dispose();

const distances = pairs.map((p) => descriptorDistance(results.get(p.a).descriptor, results.get(p.b).descriptor));
const ours = evaluate(pairs, distances, folds);
const levels = [1, 2, 0].map((l) => [...results.values()].filter((r) => r.level === l).length);
const pct = (x) => `${(100 * x).toFixed(2)}%`;
console.log(
  `LFW View 2, ${pairs.length} pairs, ${images.length} images, ${landmarks68 ? '68' : '5'}-point landmarks: ${seconds.toFixed(0)} s`,
);
console.log(`faces found at 1x ${levels[0]}, after upsampling ${levels[1]}, none (centred box) ${levels[2]}`);
console.log(`| | dlib-wasm | dlib 19.24 (same images and model) |`);
console.log(`|---|---|---|`);
console.log(
  `| threshold 0.6 | ${pct(ours.fixed.mean)} ± ${pct(ours.fixed.std)} | ${pct(reference['fixed_threshold_0.6'].mean)} ± ${pct(reference['fixed_threshold_0.6'].std)} |`,
);
console.log(
  `| tuned on 9 folds | ${pct(ours.tuned.mean)} ± ${pct(ours.tuned.std)} | ${pct(reference.threshold_tuned_on_other_9_folds.mean)} ± ${pct(reference.threshold_tuned_on_other_9_folds.std)} |`,
);
let comparison;
if (dlibAll) {
  const diffs = images
    .map((n) => {
      const d = dlibAll.subarray(dlibIndex.get(n) * 128, dlibIndex.get(n) * 128 + 128);
      return { image: n, distance: descriptorDistance(results.get(n).descriptor, d) };
    })
    .sort((a, b) => b.distance - a.distance);
  comparison = { maxDistance: diffs[0].distance, imagesOver1e3: diffs.filter((d) => d.distance > 1e-3).map((d) => d.image) };
  console.log(
    `per-image descriptors vs dlib's: max distance ${diffs[0].distance.toExponential(2)}; ${comparison.imagesOver1e3.length} images differ by more than 1e-3`,
  );
}
if (values.json)
  await writeFile(
    values.json,
    `${JSON.stringify({ pairs: pairs.length, images: images.length, seconds, levels, ours, dlib: reference, comparison }, null, 1)}\n`,
  );
