import { readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { loadFaceRecognitionModel } from '../face/face-recognition-model.js';
import type { RgbImage } from '../image.js';
import { MAX_WORKERS } from '../engine/thread-protocol.js';
import { integerOption, parseArgs, UsageError } from './args.js';
import { decodeImage } from './decode-image.js';
import { BUNDLED_MODEL, EXAMPLE_CHIPS } from './paths.js';
import { readRegularFile } from './regular-file.js';
import { median } from '../math/median.js';

const WARM_UP_RUNS = 2;

async function exampleChips(count: number): Promise<RgbImage[]> {
  const names = (await readdir(EXAMPLE_CHIPS)).filter((n) => n.endsWith('.png')).sort();
  const chips = await Promise.all(names.map(async (n) => decodeImage(await readRegularFile(new URL(n, EXAMPLE_CHIPS)))));
  return Array.from({ length: count }, (_, i) => chips[i % chips.length]);
}

/** The engine runs this thread and at most MAX_WORKERS workers. */
const MAX_THREADS = MAX_WORKERS + 1;

/** `--threads`, refused past what the engine runs, with a warning past the cores it would share. */
function threadsOption(threads: number | undefined): number | undefined {
  if (threads === undefined) return undefined;
  if (threads > MAX_THREADS) throw new UsageError(`--threads must be at most ${MAX_THREADS} (the engine's limit), got ${threads}`);
  const cores = availableParallelism();
  if (threads > cores) {
    process.stderr.write(
      `dlib-wasm: --threads ${threads} is more than the ${cores} cores Node reports: the threads share them, and each face takes longer\n`,
    );
  }
  return threads;
}

/**
 * `bench [--threads N] [--batch B] [--runs R] [--model file.dat] [--json]`:
 * times the face model on the example chips after a warm-up, and prints the
 * median ms per face.
 */
export async function benchCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['--threads', '--batch', '--runs', '--model'], ['--json']);
  const batch = integerOption(parsed, '--batch', 8)!;
  const runs = integerOption(parsed, '--runs', 7)!;
  const threads = threadsOption(integerOption(parsed, '--threads', undefined));
  const bytes = await readRegularFile((parsed.options.get('--model') as string | undefined) ?? BUNDLED_MODEL);
  const model = await loadFaceRecognitionModel(bytes, { threads, batchSize: batch });
  try {
    const chips = await exampleChips(batch);
    for (let i = 0; i < WARM_UP_RUNS; i++) await model.computeFaceDescriptors(chips);
    const msPerRun: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await model.computeFaceDescriptors(chips);
      msPerRun.push(performance.now() - start);
    }
    const msPerFace = median(msPerRun) / batch;
    const flops = 2 * model.network.multiplyAdds();
    const result = {
      msPerFace,
      batch,
      threads: model.backend.threads,
      simd: model.backend.simd,
      relaxedSimd: model.backend.relaxedSimd,
      runs,
      msPerRun,
      gflopsPerSecond: flops / msPerFace / 1e6,
    };
    if (parsed.options.has('--json')) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      process.stdout.write(
        `${msPerFace.toFixed(2)} ms per face (median of ${runs} runs of ${batch}; ${result.threads} thread(s), ` +
          `SIMD128${result.relaxedSimd ? ' + relaxed SIMD' : ''}; ${result.gflopsPerSecond.toFixed(1)} GFLOP/s)\n`,
      );
    }
  } finally {
    model.dispose();
  }
  return 0;
}
