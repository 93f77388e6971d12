import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadFaceRecognitionModel, loadNetwork } from '../src/index.js';
import { runtimeFusesRelaxedMadd, runtimeHasRelaxedSimd } from '../src/engine/kernels.js';
import { faceModelBytes, fixture, fixtureJson, fixturePng, maxAbsDiff, relativeDiff } from './support/helpers.js';

const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
// vitest.config.ts turns relaxed SIMD on where Node needs a flag for it.
const relaxed = runtimeHasRelaxedSimd();
const variants = [
  { threads: 2, relaxedSimd: false },
  { threads: 2, relaxedSimd: true },
  { threads: 1, relaxedSimd: true },
];

describe.each(variants)('threads $threads, relaxed SIMD $relaxedSimd', ({ threads, relaxedSimd }) => {
  it.skipIf(relaxedSimd && !relaxed)("gives dlib's descriptors for all 143 chips, in batches of 8 and alone", async () => {
    const model = await loadFaceRecognitionModel(faceModelBytes(), { threads, wasm: { relaxedSimd } });
    expect(model.backend).toEqual({ simd: true, relaxedSimd, threads });
    const descriptors = await model.computeFaceDescriptors(items.map((item) => fixturePng(item.chip)));
    const worst = items.reduce((most, item, i) => Math.max(most, maxAbsDiff(descriptors[i], item.descriptor)), 0);
    expect(worst).toBeLessThanOrEqual(1e-5);
    const alone = await model.computeFaceDescriptor(fixturePng(items[7].chip));
    expect(maxAbsDiff(alone, items[7].descriptor)).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });

  it.skipIf(relaxedSimd && !relaxed)("runs the zoo's add_prev and residual nets as dlib does", async () => {
    for (const name of ['add_prev_mismatch', 'residual_mini', 'conv_variants']) {
      const net = fixtureJson(`zoo/${name}.json`);
      const network = await loadNetwork(fixture(`zoo/${name}.dat`), { printout: net.dlib_printout, threads, wasm: { relaxedSimd } });
      const [out] = await network.run([fixturePng(`zoo/${net.input_png}`)]);
      expect(relativeDiff(out, net.output.data)).toBeLessThanOrEqual(1e-5);
      network.dispose();
    }
  });
});

describe('threads in the process', () => {
  // A script that loads the model with 2 threads, runs once and never disposes.
  const script = `
    import { readFileSync } from 'node:fs';
    import { loadFaceRecognitionModel } from './dist/index.js';
    const model = await loadFaceRecognitionModel(readFileSync('models/dlib_face_recognition_resnet_model_v1.dat'), { threads: 2 });
    const d = await model.computeFaceDescriptor({ width: 150, height: 150, data: new Uint8Array(150 * 150 * 3) });
    console.log(JSON.stringify({ threads: model.backend.threads, length: d.length }));
  `;

  it('workers never keep Node alive, disposed or not', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: root, timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({ threads: 2, length: 128 });
  });

  it('threads: 1 starts no worker and says so', async () => {
    const model = await loadFaceRecognitionModel(faceModelBytes(), { threads: 1 });
    expect(model.backend.threads).toBe(1);
    model.dispose();
  });
});

describe('runtimeFusesRelaxedMadd', () => {
  // Relaxed SIMD lets V8 round a multiply-add once (x64 with FMA3, arm64) or twice (x64 without FMA).
  // Where the CPU's flags cannot be read (not Linux), the test has nothing to compare with.
  const x64Flags = process.arch === 'x64' && process.platform === 'linux' ? readFileSync('/proc/cpuinfo', 'utf8') : undefined;
  const cpuHasFma = process.arch === 'arm64' ? true : x64Flags === undefined ? undefined : /^flags\s*:.*\bfma\b/m.test(x64Flags);
  it.skipIf(!relaxed || cpuHasFma === undefined)('says whether relaxed multiply-adds round once, as the CPU does', () => {
    expect(runtimeFusesRelaxedMadd()).toBe(cpuHasFma);
  });
});
