// Child: times one build of the peak probe: `probe-child.mjs <wasm> <startAt>`.
// The measured calls start at wall-clock time `startAt` (ms since the epoch),
// so that probes started together on every core run at the same time. The
// relaxed build runs in a process started with Node 20's relaxed-SIMD flag.
import { readFileSync } from 'node:fs';
import { reportToParent } from '../support/child-process.mjs';
import { median } from '../support/median.mjs';

/** Steps of every chain per call: ~25-40 ms a call at this machine's peak. */
const ITERATIONS = 2 ** 24;
const WARMUP_CALLS = 3;
const MEASURED_CALLS = 15;
// Chosen so the chains converge (to offset / (1 - scale)) instead of overflowing or going denormal.
const SCALE = 0.999999;
const OFFSET = 1e-3;

const [wasmPath, startAt] = process.argv.slice(2);
const bytes = readFileSync(wasmPath);
if (!WebAssembly.validate(bytes)) {
  reportToParent({ available: false, reason: 'WebAssembly.validate rejects the probe: the runtime lacks its features' });
} else {
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const flopPerCall = ITERATIONS * exports.CHAINS.value * exports.FLOP_PER_CHAIN_STEP.value;
  for (let call = 0; call < WARMUP_CALLS; call++) exports.f32_peak_probe(ITERATIONS, SCALE, OFFSET);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
  const gflops = [];
  for (let call = 0; call < MEASURED_CALLS; call++) {
    const start = performance.now();
    exports.f32_peak_probe(ITERATIONS, SCALE, OFFSET);
    gflops.push(flopPerCall / (performance.now() - start) / 1e6);
  }
  reportToParent({
    available: true,
    chains: exports.CHAINS.value,
    iterations: ITERATIONS,
    calls: MEASURED_CALLS,
    // A call can only be slowed down (preemption, another process), never sped up: the best call is the peak.
    gflops: gflops.reduce((a, b) => Math.max(a, b)),
    medianGflops: median(gflops),
  });
}
