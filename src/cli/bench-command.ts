import { readdir } from 'node:fs/promises';
import { loadFaceRecognitionModel } from '../face/face-recognition-model.js';
import type { RgbImage } from '../image.js';
import { integerOption, parseArgs, threadsOption, UsageError } from './args.js';
import { decodeImage } from './decode-image.js';
import { BUNDLED_MODEL, EXAMPLE_CHIPS } from './paths.js';
import { readRegularFile } from './regular-file.js';
import { readModelFile } from './model-file.js';
import { median } from '../math/median.js';
import { runPeersBench } from './peers-bench.js';

const WARM_UP_RUNS = 2;

async function exampleChips(count: number): Promise<RgbImage[]> {
  const names = (await readdir(EXAMPLE_CHIPS)).filter((n) => n.endsWith('.png')).sort();
  const chips = await Promise.all(names.map(async (n) => decodeImage(await readRegularFile(new URL(n, EXAMPLE_CHIPS)))));
  return Array.from({ length: count }, (_, i) => chips[i % chips.length]);
}

/**
 * `bench [--threads N] [--batch B] [--runs R] [--model file.dat] [--json]`:
 * times the face model on the example chips after a warm-up, and prints the
 * median ms per face. `bench --peers [--quick]`: the peers table instead (see
 * runPeersBench).
 */
export async function benchCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['--threads', '--batch', '--runs', '--model'], ['--json', '--peers', '--quick']);
  if (parsed.options.has('--peers')) {
    const others = [...parsed.options.keys()].filter((option) => option !== '--peers' && option !== '--quick');
    if (others.length || parsed.positional.length)
      throw new UsageError(`bench --peers takes only --quick, not ${[...others, ...parsed.positional].join(' ')}`);
    return runPeersBench(parsed.options.has('--quick'));
  }
  if (parsed.options.has('--quick')) throw new UsageError('--quick is for bench --peers');
  const batch = integerOption(parsed, '--batch', 8)!;
  const runs = integerOption(parsed, '--runs', 7)!;
  const threads = threadsOption(parsed);
  const model = await readModelFile((parsed.options.get('--model') as string | undefined) ?? BUNDLED_MODEL, (bytes) =>
    loadFaceRecognitionModel(bytes, { threads, batchSize: batch }),
  );
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
