// The per-layer sections of the suite alone, at any batch size:
//
//   node bench/layer-profiles.mjs [--batch 8]
//
// measures the machine's peak, then profiles the face model on 1 and 2
// threads and prints the per-shape and per-conv-layer tables of `npm run bench`.
// Run `npm run build` first.
import { parseArgs } from 'node:util';
import { measureLayerProfiles } from './dlib-wasm/measure-dlib-wasm.mjs';
import { measurePeak } from './peak/measure-peak.mjs';
import { formatConvLayers, formatLayerProfiles, formatPeak } from './report.mjs';

const { values } = parseArgs({ options: { batch: { type: 'string', default: '8' } } });
const batch = Number(values.batch);
if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch must be a positive integer, got ${values.batch}`);
const peak = await measurePeak();
console.log(formatPeak(peak));
const profiles = await measureLayerProfiles([1, 2], batch);
console.log(`\n${formatLayerProfiles(profiles, peak)}`);
console.log(`\n${formatConvLayers(profiles, peak)}`);
