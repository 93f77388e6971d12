// dlib's CNN face detector (mmod_human_face_detector.dat) per plan step, on
// 1 and 2 threads, at input sizes of a real photo's pyramid:
//
//   node bench/cnn-detector-layers.mjs [--sizes 720x620,1500x1200] [--runs 9] [--model vehicle]
//
// Prints the machine's SIMD peak, then per size one table: each step's
// multiply-adds, median ms, GFLOP/s and % of the peak of as many cores as
// threads. The runs of the two thread counts alternate (the machine may be
// shared: interleaved medians, ratios within one run). The net is read with
// a plain RGB input layer (the pyramid input is the detector's business, not
// the convolutions'). Run `npm run build` first.
import { parseArgs } from 'node:util';
import { loadPlainInputDetector, syntheticImage } from './dlib-wasm/plain-input-detector.mjs';
import { measurePeak, peakFor } from './peak/measure-peak.mjs';
import { formatPeak } from './report.mjs';
import { median } from './support/median.mjs';
import { fixed, formatTable } from './support/table.mjs';

const MODELS = {
  face: 'mmod_human_face_detector',
  vehicle: 'mmod_front_and_rear_end_vehicle_detector',
};
const THREADS = [1, 2];
const WARMUP_RUNS = 2;

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '720x620,1500x1200' },
    runs: { type: 'string', default: '9' },
    model: { type: 'string', default: 'face' },
    'no-peak': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
const sizes = values.sizes.split(',').map((size) => {
  const [cols, rows] = size.split('x').map(Number);
  if (!(cols > 0 && rows > 0)) throw new Error(`--sizes takes WIDTHxHEIGHT,..., got ${size}`);
  return { cols, rows };
});
const modelName = MODELS[values.model];
if (!modelName) throw new Error(`--model is one of ${Object.keys(MODELS).join(', ')}`);

const peak = values['no-peak'] ? undefined : await measurePeak();
if (peak) console.log(formatPeak(peak));
const networks = [];
for (const threads of THREADS) networks.push(await loadPlainInputDetector(modelName, { threads, batchSize: 1 }));
const gflops = (macs, ms) => (2 * macs) / ms / 1e6;
const percent = (rate, of) => (of ? `${((100 * rate) / of).toFixed(0)}%` : '-');

for (const { cols, rows } of sizes) {
  const image = syntheticImage(cols, rows);
  const profiles = networks.map(() => []);
  for (let run = 0; run < WARMUP_RUNS + runs; run++) {
    for (const [i, network] of networks.entries()) {
      const profile = await network.profile([image]);
      if (run >= WARMUP_RUNS) profiles[i].push(profile);
    }
  }
  const steps = profiles[0][0];
  const msOf = (i, step) => median(profiles[i].map((profile) => profile[step].ms));
  const rowsOut = steps.map((step, s) => [
    step.label.replace(/ \+affine/, ''),
    fixed(step.macs / 1e6, 1),
    ...networks.flatMap((network, i) => {
      const ms = msOf(i, s);
      const rate = gflops(step.macs, ms);
      const top = peak && peakFor(peak, network.backend.relaxedSimd, network.backend.threads);
      return [fixed(ms, 2), fixed(rate, 1), step.macs ? percent(rate, top) : '-'];
    }),
    fixed(msOf(0, s) / msOf(1, s), 2),
  ]);
  const totals = networks.map((_, i) => steps.reduce((sum, _step, s) => sum + msOf(i, s), 0));
  const macs = steps.reduce((sum, step) => sum + step.macs, 0);
  rowsOut.push([
    'total',
    fixed(macs / 1e6, 1),
    ...networks.flatMap((network, i) => {
      const rate = gflops(macs, totals[i]);
      const top = peak && peakFor(peak, network.backend.relaxedSimd, network.backend.threads);
      return [fixed(totals[i], 2), fixed(rate, 1), percent(rate, top)];
    }),
    fixed(totals[0] / totals[1], 2),
  ]);
  const build = networks[0].backend.relaxedSimd ? 'relaxed' : 'plain';
  console.log(
    `\n${formatTable(
      `${modelName} with a plain RGB input, ${cols}x${rows} (width x height), batch 1, medians of ${runs} interleaved runs; ` +
        `% of the ${build}-SIMD peak of as many cores as threads; MMAC: multiply-adds executed`,
      ['step', 'MMAC', ...THREADS.flatMap((t) => [`${t}T ms`, `${t}T GFLOP/s`, `${t}T % peak`]), '1T/2T'],
      rowsOut,
    )}`,
  );
}
for (const network of networks) network.dispose();
