import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DisposedError, loadFaceRecognitionModel, loadNetwork } from '../src/index.js';
import type { RgbImage } from '../src/image.js';
import { expectSameValues, faceModelBytes, fixture, fixtureJson, fixturePng, maxAbsDiff } from './support/helpers.js';

describe('memory', () => {
  it('does not grow over thousands of runs of a net', async () => {
    const net = fixtureJson('zoo/residual_mini.json');
    const network = await loadNetwork(fixture('zoo/residual_mini.dat'), { printout: net.dlib_printout, threads: 1, batchSize: 4 });
    const image = fixturePng(`zoo/${net.input_png}`);
    await network.run([image, image, image, image, image]);
    const settled = network.memoryBytes;
    let first: Float32Array | undefined;
    for (let i = 0; i < 3000; i++) {
      const [out] = await network.run(i % 2 ? [image] : [image, image, image]);
      first ??= out;
      if (i % 500 === 0) expectSameValues(out, first, `run ${i}`);
    }
    expect(network.memoryBytes).toBe(settled);
    network.dispose();
    expect(network.memoryBytes).toBe(0);
    await expect(network.run([image])).rejects.toThrow(DisposedError);
  });

  it('holds the face model in about its size plus one batch of activations', async () => {
    const model = await loadFaceRecognitionModel(faceModelBytes(), { threads: 1, batchSize: 8 });
    const chip = fixturePng('chips/faces/sample1_f00.png');
    await model.computeFaceDescriptors(Array(8).fill(chip));
    const settled = model.network.memoryBytes;
    // 22.5 MB of weights (more as Winograd's: 16/9 of them in 4x4 tiles, 64/9 in the 8x8 tiles of the 32- and
    // 64-channel layers, 36/9 in the 6x6 tiles of the 128-channel ones, 51.6 MiB in all against 44.6 with 4x4 tiles
    // only); a batch of 8 at 150x150 needs under 20 MB of activations.
    expect(settled).toBeLessThan(52 * 1024 * 1024);
    for (let i = 0; i < 20; i++) await model.computeFaceDescriptors(Array((i % 8) + 1).fill(chip));
    expect(model.network.memoryBytes).toBe(settled);
    model.dispose();
    expect(model.network.memoryBytes).toBe(0);
  });
});

/** A deterministic image of the given size (no two sizes share pixels' positions). */
function patternImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 5) * 11) & 255;
  return { width, height, data };
}

describe('memory over many input sizes', () => {
  // A net with no fixed input size, whose convolutions run direct, by Winograd, and with taps left out.
  const net = fixtureJson('zoo/conv_variants.json');
  const load = () => loadNetwork(fixture('zoo/conv_variants.dat'), { printout: net.dlib_printout, threads: 1, batchSize: 2 });
  // 200 sizes from 24x24 to 63x63 (every width with five heights), the largest first: it sets the bound.
  const sizes: Array<[number, number]> = [];
  for (let width = 63; width >= 24; width--) for (let k = 0; k < 5; k++) sizes.push([width, 63 - ((width + 7 * k) % 40)]);

  it("keeps a few sizes' plans and reuses the space of the others: 200 sizes stay in a fixed bound", async () => {
    const network = await load();
    const [first] = await network.run([patternImage(...sizes[1])]);
    // The largest sizes set the bound; from then on memory is reused, not added (it was 37 MiB after the 200).
    for (const size of sizes.slice(0, 20)) await network.run([patternImage(...size)]);
    const bound = network.memoryBytes;
    const rss = process.memoryUsage().rss;
    for (const size of sizes) await network.run([patternImage(...size), patternImage(...size)]);
    expect(new Set(sizes.map(([w, h]) => `${w}x${h}`)).size).toBe(200);
    // First-fit placement leaves some holes too small to reuse: a page or two over the bound.
    expect(network.memoryBytes).toBeLessThanOrEqual(bound * 1.25);
    expect(network.memoryBytes).toBeLessThan(4 * 2 ** 20);
    // A loose bound: the net's whole memory is a few MiB; before plans were evicted, their JS side grew too.
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 2 ** 20);
    // Evicted and rebuilt over reused memory, a size gives the same result as the first time.
    const [again] = await network.run([patternImage(...sizes[1])]);
    expect(Array.from(again)).toEqual(Array.from(first));
    const fresh = await load();
    for (const size of [sizes[50], sizes[199]]) {
      const [reused] = await network.run([patternImage(...size)]);
      const [clean] = await fresh.run([patternImage(...size)]);
      expect(Array.from(reused)).toEqual(Array.from(clean));
    }
    network.dispose();
    fresh.dispose();
  });

  it("layerOutputs releases its unfused weights: the next sizes' plans reuse their space", async () => {
    const network = await load();
    const fresh = await load();
    for (const size of sizes.slice(0, 20)) await network.run([patternImage(...size)]);
    const image = patternImage(63, 63);
    const [fused] = await network.run([image]);
    const layers = await network.layerOutputs(image);
    expect(maxAbsDiff(layers.get(1)!.data, fused)).toBeLessThan(1e-5);
    const afterLayers = network.memoryBytes;
    for (const size of sizes.slice(100, 120)) {
      const [out] = await network.run([patternImage(...size)]);
      expect(Array.from(out)).toEqual(Array.from((await fresh.run([patternImage(...size)]))[0]));
      expect((await network.layerOutputs(patternImage(...size))).get(1)!.data).toEqual(out);
    }
    // Before, each call kept its unfused weights and indirection: 6.3 MiB grew to 11.9 MiB here.
    expect(network.memoryBytes).toBeLessThanOrEqual(afterLayers * 1.25);
    network.dispose();
    fresh.dispose();
  });
});

describe('dispose', () => {
  /** V8's gc(), which Node exposes only under a flag: set at run time, then taken from a fresh context. */
  function collectGarbage(): () => void {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  }

  it('a disposed face model that is still referenced holds neither its weights nor its WebAssembly memory', async () => {
    const gc = collectGarbage();
    const model = await loadFaceRecognitionModel(faceModelBytes(), { threads: 1 });
    await model.computeFaceDescriptor(fixturePng('chips/faces/sample1_f00.png'), { jitters: 2 });
    const weights = new WeakRef(model.network.description);
    const memory = new WeakRef((model.network as unknown as { network: { memory: WebAssembly.Memory } }).network.memory);
    expect(memory.deref()!.buffer.byteLength).toBeGreaterThan(30 * 2 ** 20);
    model.dispose();
    // WeakRefs hold their targets until the current job ends; a wasm instance and its memory may
    // take a second full collection (its exports are let go by the first), so up to five rounds.
    for (let round = 0; round < 5 && (weights.deref() || memory.deref()); round++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      gc();
    }
    expect(weights.deref()).toBeUndefined();
    expect(memory.deref()).toBeUndefined();
    expect(model.network.memoryBytes).toBe(0);
    expect(() => model.network.description).toThrow(DisposedError);
  });
});
