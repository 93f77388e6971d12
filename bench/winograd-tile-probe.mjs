// The face model's conv layers with the Winograd tiles you force, per layer shape:
//
//   node bench/winograd-tile-probe.mjs ['{"256->256 4x4": 4, "256->256 3x3": 0}'] [--rounds 15] [--batch 8]
//
// keys are `inputs->filters outHxoutW` (0: direct); other layers keep the cost model's tile. Runs a copy of
// dist/ whose winogradTile asks a hook first (the library has no such switch), profiles (DlibNetwork.profile,
// median of the rounds) a full batch and a single face through the batch's plan on 1 thread, and prints the
// ms of the stride-1 3x3 layers per output shape and the network's memory. Run `npm run build` first; run
// the settings in turns (one process each) and compare within a run.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadChips } from './support/chips.mjs';
import { median } from './support/median.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '15' }, batch: { type: 'string', default: '8' } },
});
const forced = JSON.parse(positionals[0] ?? '{}');
const rounds = Number(values.rounds);
const batch = Number(values.batch);
const root = new URL('..', import.meta.url);

const copy = mkdtempSync(join(os.tmpdir(), 'winograd-tile-probe-'));
try {
  cpSync(new URL('dist', root), copy, { recursive: true });
  const winograd = join(copy, 'plan/winograd.js');
  const source = readFileSync(winograd, 'utf8');
  const call = 'return savingTile(layer, layer, output, batch, 1, fusedMultiplyAdd);';
  if (!source.includes(call)) throw new Error('dist/plan/winograd.js: winogradTile is not the one this probe patches');
  writeFileSync(
    winograd,
    source.replace(call, `{ const chosen = ${call.slice(7, -1)}; return globalThis.winogradTileProbe(layer, output, chosen); }`),
  );
  globalThis.winogradTileProbe = (layer, output, chosen) => {
    const key = `${layer.inputChannels}->${layer.numFilters} ${output.h}x${output.w}`;
    return key in forced ? forced[key] || undefined : chosen;
  };

  const { loadFaceRecognitionModel } = await import(join(copy, 'index.js'));
  const model = await loadFaceRecognitionModel(readFileSync(new URL('models/dlib_face_recognition_resnet_model_v1.dat', root)), {
    threads: 1,
    batchSize: batch,
  });
  const chips = loadChips(batch);
  for (let i = 0; i < 3; i++) await model.computeFaceDescriptors(chips);
  const result = { node: process.version, forced, batch, memoryMiB: +(model.network.memoryBytes / 2 ** 20).toFixed(1) };
  for (const faces of new Set([batch, 1])) {
    const perShape = new Map();
    for (let round = 0; round < rounds; round++) {
      const sums = new Map();
      for (const { label, ms } of await model.network.profile(chips.slice(0, faces))) {
        const shape = label.match(/^layer<\d+> con 3x3\/1 (\d+) .*-> (\d+)x(\d+)x(\d+)/);
        const key = shape ? `${shape[1]}->${shape[2]} ${shape[3]}x${shape[4]}` : 'other';
        sums.set(key, (sums.get(key) ?? 0) + ms);
      }
      for (const [key, ms] of sums) perShape.set(key, [...(perShape.get(key) ?? []), ms]);
    }
    result[`ms at ${faces}`] = Object.fromEntries([...perShape].map(([key, runs]) => [key, +median(runs).toFixed(3)]));
  }
  result.loadAverage = os.loadavg()[0];
  console.log(JSON.stringify(result));
  model.dispose();
} finally {
  rmSync(copy, { recursive: true, force: true });
}
