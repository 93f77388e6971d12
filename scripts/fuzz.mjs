// npm run fuzz -- [--count N] [--seed S] [--case I] [--every-load]
// Runs test/fuzz.test.ts deeper: N cases per stage where the suite runs 1,000
// (the JPEG stage twice as many), from seed S (default: a new one, printed).
// --case I reruns only case I of each stage, as a failure message says;
// --every-load loads and runs every model that reads, not one per structure.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    case: { type: 'string' },
    'every-load': { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a positive integer, got ${values.count}`);
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
console.log(`fuzzing with seed ${seed}, ${count} cases per stage${values.case === undefined ? '' : `, case ${values.case} only`}`);
const env = {
  ...process.env,
  DLIB_WASM_FUZZ_SEED: seed,
  DLIB_WASM_FUZZ_SCALE: String(count / 1000),
  DLIB_WASM_FUZZ_VERBOSE: '1',
  ...(values.case === undefined ? {} : { DLIB_WASM_FUZZ_CASE: values.case }),
  ...(values['every-load'] ? { DLIB_WASM_FUZZ_RUN_EVERY_LOAD: '1' } : {}),
};
const { status } = spawnSync('npx', ['vitest', 'run', 'test/fuzz.test.ts'], { stdio: 'inherit', env });
process.exit(status ?? 1);
