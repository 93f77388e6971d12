// Section 4: cold starts, each in a fresh process, so that module loading
// and WebAssembly compilation are counted every time.
import { runChild } from './support/child-process.mjs';
import { median } from './support/median.mjs';

/** Runs a cold-start child `processes` times, one after the other; the median of each of its timings. */
export async function measureColdStarts(childScript, args, processes) {
  const runs = [];
  for (let run = 0; run < processes; run++) runs.push(await runChild(childScript, args));
  const timings = Object.keys(runs[0]).filter((key) => typeof runs[0][key] === 'number');
  return {
    processes,
    median: Object.fromEntries(timings.map((key) => [key, median(runs.map((run) => run[key]))])),
    backend: runs[0].backend,
    runs,
  };
}
