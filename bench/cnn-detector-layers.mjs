// dlib's CNN face detector (mmod_human_face_detector.dat) per plan step, on
// 1 and 2 threads, at input sizes of a real photo's pyramid:
//
//   node bench/cnn-detector-layers.mjs [--sizes 720x620,1500x1200] [--runs 9] [--model vehicle]
//
// Prints the machine's SIMD peak, then per size one table: each layer's
// multiply-adds (as dlib counts them, and as executed: Winograd executes
// fewer), median ms, GFLOP/s and % of the peak of as many cores as threads. The runs of the two thread counts alternate (the machine may be
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
/** Warm-up runs of each network: V8 runs wasm as Liftoff's baseline code until TurboFan's is ready. */
const WARMUP_RUNS = 5;

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
  // One row per layer: a Winograd convolution's three steps summed, a tap sum's two.
  const layers = [];
  profiles[0][0].forEach((step, s) => {
    const label = step.label.replace(/ \((winograd \dx\d|space to depth|taps)\)$/, '').replace(/ \+affine/, '');
    let layer = layers.at(-1);
    if (layer?.label !== label) {
      layer = { label, steps: [], macs: 0, layerMacs: step.layerMacs, winograd: false };
      layers.push(layer);
    }
    layer.steps.push(s);
    layer.winograd ||= step.label.match(/\((winograd \dx\d)\)/)?.[1] ?? (step.label.endsWith(' (taps)') ? 'tap sum' : undefined);
    layer.macs += step.macs;
  });
  // Per network, per run: each layer's time; the medians per layer and of the runs' totals.
  const layerMs = (i, layer) => median(profiles[i].map((profile) => layer.steps.reduce((sum, s) => sum + profile[s].ms, 0)));
  const totalMs = (i) => median(profiles[i].map((profile) => profile.reduce((sum, step) => sum + step.ms, 0)));
  const columns = (ms, macs, layerMacs, i) => {
    const network = networks[i];
    const top = peak && peakFor(peak, network.backend.relaxedSimd, network.backend.threads);
    return [fixed(ms, 2), fixed(gflops(macs, ms), 1), percent(gflops(macs, ms), top), percent(gflops(layerMacs, ms), top)];
  };
  const rowsOut = layers.map((layer) => [
    layer.label,
    layer.winograd || 'direct',
    fixed(layer.layerMacs / 1e6, 1),
    fixed(layer.macs / 1e6, 1),
    ...networks.flatMap((_, i) => columns(layerMs(i, layer), layer.macs, layer.layerMacs, i)),
    fixed(layerMs(0, layer) / layerMs(1, layer), 2),
  ]);
  const macs = layers.reduce((sum, layer) => sum + layer.macs, 0);
  const layerMacs = layers.reduce((sum, layer) => sum + layer.layerMacs, 0);
  rowsOut.push([
    'total',
    '',
    fixed(layerMacs / 1e6, 1),
    fixed(macs / 1e6, 1),
    ...networks.flatMap((_, i) => columns(totalMs(i), macs, layerMacs, i)),
    fixed(totalMs(0) / totalMs(1), 2),
  ]);
  const build = networks[0].backend.relaxedSimd ? 'relaxed' : 'plain';
  console.log(
    `\n${formatTable(
      `${modelName} with a plain RGB input, ${cols}x${rows} (width x height), batch 1, medians of ${runs} interleaved runs; ` +
        `% of the ${build}-SIMD peak of as many cores as threads, counting the multiply-adds executed ("exec.") ` +
        'and as dlib counts them (direct convolution)',
      [
        'layer',
        'algorithm',
        'dlib MMAC',
        'exec. MMAC',
        ...THREADS.flatMap((t) => [`${t}T ms`, `${t}T GFLOP/s`, `${t}T % exec.`, `${t}T % dlib`]),
        '1T/2T',
      ],
      rowsOut,
    )}`,
  );
}
for (const network of networks) network.dispose();
