import { Bench } from 'tinybench';

/** The environment variable that makes every latency a few calls only. */
export const QUICK_BENCH = 'DLIB_WASM_QUICK_BENCH';

/**
 * Latency of an async task, by tinybench: `warmupIterations` calls first
 * (JIT, caches, the plan's first allocation), then calls until both
 * `iterations` and `timeMs` are reached. The median is what the tables
 * report: one descheduled call on a busy 2-core machine moves a mean, not
 * a median.
 */
export async function measureLatency(task, { warmupIterations = 3, iterations = 10, timeMs = 3000 } = {}) {
  // QUICK_BENCH (`peers.mjs --quick` sets it for its children): a few calls, to check that it all runs.
  const quick = process.env[QUICK_BENCH] === '1';
  const bench = new Bench({
    time: quick ? 0 : timeMs,
    iterations: quick ? 2 : iterations,
    warmupIterations: quick ? 1 : warmupIterations,
    warmupTime: 0,
    throws: true,
  });
  bench.add('task', task, { async: true });
  await bench.run();
  const { latency } = bench.tasks[0].result;
  return { medianMs: latency.p50, madMs: latency.mad, minMs: latency.min, samples: latency.samplesCount };
}
