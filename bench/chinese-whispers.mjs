// Times chineseWhispers({ descriptors }) on random 128-D descriptors: the all-pairs distance graph
// is O(n²·128), the part the photo-library work needs fast. Not a test; run by hand:
//   npm run build:ts && node bench/chinese-whispers.mjs [n ...]
// CPU time is printed besides wall time: it moves less when other processes share the cores.
// DLIB_WASM_MODULE=<path to an index.js> times another build (say, an older commit's dist/).
import { pathToFileURL } from 'node:url';

const { chineseWhispers, DlibRand } = await import(
  process.env.DLIB_WASM_MODULE ? pathToFileURL(process.env.DLIB_WASM_MODULE).href : '../dist/index.js'
);

/** `people` centres, `n` faces spread around them; a face's values are float32 as the model's are. */
function randomDescriptors(n, people) {
  const rand = new DlibRand('bench');
  const centres = Array.from({ length: people }, () => Float32Array.from({ length: 128 }, () => rand.doubleInRange(-0.1, 0.1)));
  return Array.from({ length: n }, (_, i) => Float32Array.from(centres[i % people], (v) => v + rand.doubleInRange(-0.02, 0.02)));
}

const sizes = process.argv.slice(2).map(Number);
for (const n of sizes.length > 0 ? sizes : [2000, 10000]) {
  for (const [name, people] of [
    ['random', n],
    ['10 faces a person', n / 10],
  ]) {
    const descriptors = randomDescriptors(n, people);
    const wall = performance.now();
    const cpu = process.cpuUsage().user;
    const { clusterCount } = chineseWhispers({ descriptors });
    const cpuSeconds = (process.cpuUsage().user - cpu) / 1e6;
    const wallSeconds = (performance.now() - wall) / 1000;
    console.log(`${n} descriptors, ${name}: ${wallSeconds.toFixed(2)} s (${cpuSeconds.toFixed(2)} s CPU), ${clusterCount} clusters`);
  }
}
