// Child: dlib-wasm's time per plan step (DlibNetwork.profile) on real chips,
// batches of `--batch B` on `--threads T`; steps of the same shape (the label
// without its `layer<i>` prefix) are summed into one row.
import { loadChips } from '../support/chips.mjs';
import { reportToParent } from '../support/child-process.mjs';
import { median } from '../support/median.mjs';
import { loadModelAsAsked } from './model-as-asked.mjs';

const WARMUP_RUNS = 3;
const PROFILED_RUNS = 15;

/** Median time of each step over the runs, then summed per shape (in plan order). */
async function profileShapes(model, chips) {
  for (let run = 0; run < WARMUP_RUNS; run++) await model.computeFaceDescriptors(chips);
  const runs = [];
  for (let run = 0; run < PROFILED_RUNS; run++) runs.push(await model.network.profile(chips));
  const shapes = new Map();
  runs[0].forEach(({ label, macs }, step) => {
    const shape = label.replace(/^layer<\d+> /, '');
    const row = shapes.get(shape) ?? { shape, steps: 0, macs: 0, ms: 0 };
    row.steps += 1;
    row.macs += macs;
    row.ms += median(runs.map((timings) => timings[step].ms));
    shapes.set(shape, row);
  });
  return [...shapes.values()];
}

const loaded = await loadModelAsAsked();
if (loaded) {
  const { model, batch, asked } = loaded;
  reportToParent({
    ...asked,
    skipped: false,
    runs: PROFILED_RUNS,
    multiplyAddsPerFace: model.network.multiplyAdds(),
    shapes: await profileShapes(model, loadChips(batch)),
  });
}
