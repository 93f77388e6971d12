// Child: dlib-wasm's time per plan step (DlibNetwork.profile) on real chips,
// batches of `--batch B` on `--threads T`; steps of the same shape (the label
// without its `layer<i>` prefix) are summed into one row. Also each step run
// over again in a row: its time with weights and inputs in cache.
import { loadChips } from '../support/chips.mjs';
import { reportToParent } from '../support/child-process.mjs';
import { median } from '../support/median.mjs';
import { loadModelAsAsked } from './model-as-asked.mjs';

const WARMUP_RUNS = 3;
const PROFILED_RUNS = 15;
/** Profiles with each step repeated, its weights and inputs in cache from the second run on. */
const CACHE_PROFILED_RUNS = 3;
const CACHE_REPEATS = 5;

/**
 * Median time of each step over the profiles, summed per shape (in plan
 * order); and per layer shape (a Winograd convolution's three steps
 * together), with the layers' multiply-adds as dlib counts them.
 */
function summarize(profiles) {
  const shapes = new Map();
  const layerShapes = new Map();
  const layersSeen = new Set();
  const add = (map, shape, step, ms) => {
    const row = map.get(shape) ?? { shape, steps: 0, macs: 0, ms: 0 };
    row.steps += 1;
    row.macs += step.macs;
    row.ms += ms;
    map.set(shape, row);
    return row;
  };
  profiles[0].forEach((step, index) => {
    const ms = median(profiles.map((timings) => timings[index].ms));
    add(shapes, step.label.replace(/^layer<\d+> /, ''), step, ms);
    const layer = step.label.replace(/ \(winograd \dx\d\)$/, '');
    const row = add(layerShapes, layer.replace(/^layer<\d+> /, ''), step, ms);
    if (!layersSeen.has(layer)) {
      layersSeen.add(layer);
      row.layers = (row.layers ?? 0) + 1;
      row.layerMacs = (row.layerMacs ?? 0) + step.layerMacs;
      row.algorithm = step.label.match(/\((winograd \dx\d)\)/)?.[1] ?? 'direct';
    }
  });
  return { shapes: [...shapes.values()], layerShapes: [...layerShapes.values()] };
}

async function profileShapes(model, chips) {
  for (let run = 0; run < WARMUP_RUNS; run++) await model.computeFaceDescriptors(chips);
  const inNetwork = [];
  for (let run = 0; run < PROFILED_RUNS; run++) inNetwork.push(await model.network.profile(chips));
  const inCache = [];
  for (let run = 0; run < CACHE_PROFILED_RUNS; run++) inCache.push(await model.network.profile(chips, { repeats: CACHE_REPEATS }));
  return { ...summarize(inNetwork), inCache: summarize(inCache) };
}

const loaded = await loadModelAsAsked();
if (loaded) {
  const { model, batch, asked } = loaded;
  reportToParent({
    ...asked,
    skipped: false,
    runs: PROFILED_RUNS,
    multiplyAddsPerFace: model.network.multiplyAdds(),
    ...(await profileShapes(model, loadChips(batch))),
  });
}
