import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../src/cli/decode-image.js';
import { type FloatTensor, inputRows, MAX_IMAGE_SIDE } from '../src/image.js';
import { DlibNetwork, InputError, readDlibNetwork, type NetworkDescription, type RgbImage } from '../src/index.js';
import { runtimeFusesRelaxedMadd, runtimeHasRelaxedSimd } from '../src/engine/kernels.js';
import { layoutBands } from '../src/plan/bands.js';
import { expectSameValues, fixture, fixtureJson, relativeDiff } from './support/helpers.js';
import { QUICK } from './support/suite.js';

/** dlib's CNN face detector with a plain input layer (the engine does not tile pyramids). */
function detectorNet(): NetworkDescription {
  const net = readDlibNetwork(fixture('dlib-models/mmod_human_face_detector.dat'));
  return { ...net, input: { kind: 'input_rgb_image', index: net.input.index, mean: net.input.mean } };
}

/** A zoo net without its global pool and fc, taking any size: convs with padding, pools, add_prev, affines. */
function zooTrunk(name: string, keepFrom: number): NetworkDescription {
  const { dlib_printout } = fixtureJson<{ dlib_printout: string }>(`zoo/${name}.json`);
  const net = readDlibNetwork(fixture(`zoo/${name}.dat`), { printout: dlib_printout });
  return {
    ...net,
    input: { kind: 'input_rgb_image', index: net.input.index, mean: net.input.mean },
    layers: net.layers.filter((l) => l.index >= keepFrom),
  };
}

/** A deterministic image with edges and texture everywhere. */
function syntheticImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 7 + y * 3) & 255;
      data[i + 1] = ((x ^ y) * 5) & 255;
      data[i + 2] = (x * y) % 251;
    }
  }
  return { width, height, data };
}

async function runWith(net: NetworkDescription, image: RgbImage, maxArenaBytes?: number) {
  const network = await DlibNetwork.create(net, { maxArenaBytes });
  try {
    const [output] = await network.run([image]);
    return { output, memoryBytes: network.memoryBytes };
  } finally {
    network.dispose();
  }
}

describe('banded execution', () => {
  it.each([
    // Bands taller than the least (the detector's receptive field is 189 rows, 8 a row of its output), over the photo's
    // 640 rows and its first 260 again (its stride-2 layers read their input's space to depth without a copy: 20 MB
    // gave bands of 672 and 768 rows).
    ['in several bands', 16_000_000, 900, 3, 576],
    // The least bands, each as short as its Winograd tiles allow (F(6x6, 3x3) over the space to depth and F(6x6, 5x5),
    // which the bands allow for whether the kernels run it or F(4x4, 5x5): 576 rows, 96 apart).
    ['in the least bands', 1, 760, 3, 576],
  ])(
    'the face detector over a photo %s, a short one last, equals the whole-image run bit for bit',
    async (_, budget, rows, least, height) => {
      const net = detectorNet();
      const decoded = await decodeImage(readFileSync('test/fixtures/photos/2008_001009.jpg'));
      const rowBytes = decoded.width * 3;
      const data = new Uint8Array(rows * rowBytes);
      for (let y = 0; y < rows; y++)
        data.set(decoded.data.subarray((y % decoded.height) * rowBytes, ((y % decoded.height) + 1) * rowBytes), y * rowBytes);
      const photo = { width: decoded.width, height: rows, data };
      const layout = layoutBands(net, photo.height, photo.width, { batch: 8, maxArenaBytes: budget })!;
      expect(layout.bands.length).toBeGreaterThanOrEqual(least);
      expect(layout.height).toBe(height);
      const last = layout.bands[layout.bands.length - 1];
      expect(last.end - last.start).toBeLessThan(layout.height);
      const whole = await runWith(net, photo);
      const banded = await runWith(net, photo, budget);
      const down = (n: number) => Math.floor((n - 5) / 2) + 1; // a con 5x5/2 without padding
      expect(whole.output.length).toBe(down(down(down(rows))) * down(down(down(photo.width))));
      expectSameValues(banded.output, whole.output, 'score map');
      expect(banded.memoryBytes).toBeLessThan(whole.memoryBytes);
    },
  );

  // The zoo nets (dlib 19.24 reference outputs) without their global pool and fc: convs of every stride and padding,
  // max and avg pools with padding, add_prev of residual blocks, 3x3 convs of 16 and 24 channels that run as Winograd.
  it.each([
    ['conv_variants', 3, 360, 47],
    ['pool_variants', 3, 300, 35],
    // Its 3x3 convs may run in tiles of 2, 4 or 6 rows: bands start at multiples of 192 input rows (768 at the least).
    ['residual_mini', 3, 1200, 40],
    // Up to a Winograd conv: its tiles' rows set where bands start.
    ['residual_mini', 17, 700, 40],
  ])('zoo net %s from layer<%i> on, over a %ix%i image in the least bands, equals the whole-image run', async (name, top, rows, cols) => {
    const net = zooTrunk(name, top);
    const image = syntheticImage(cols, rows);
    const layout = layoutBands(net, rows, cols, { batch: 8, maxArenaBytes: 1 })!;
    expect(layout.bands.length).toBeGreaterThan(3);
    const whole = await runWith(net, image);
    const banded = await runWith(net, image, 1);
    expectSameValues(banded.output, whole.output, name);
  });

  it('a float tensor input is cut into bands as an image is', async () => {
    const net = zooTrunk('conv_variants', 3);
    const [rows, cols] = [300, 29];
    const data = Float32Array.from({ length: 3 * rows * cols }, (_, i) => Math.sin(i * 0.37) * 0.5);
    const outputs = [];
    for (const maxArenaBytes of [undefined, 1]) {
      const network = await DlibNetwork.create(net, { maxArenaBytes });
      outputs.push((await network.run([{ channels: 3, rows, cols, data }]))[0]);
      network.dispose();
    }
    expect(layoutBands(net, rows, cols, { batch: 8, maxArenaBytes: 1 })!.bands.length).toBeGreaterThan(3);
    expectSameValues(outputs[1], outputs[0]);
  });

  it("rows made as the bands ask for them (FloatTensorRows) are asked for going down, and give the whole tensor's output", async () => {
    const net = zooTrunk('conv_variants', 3);
    const tensor = { channels: 3, rows: 300, cols: 29, data: Float32Array.from({ length: 3 * 300 * 29 }, (_, i) => Math.cos(i * 0.21)) };
    const asked: [number, number][] = [];
    const rows = {
      channels: 3 as const,
      rows: 300,
      cols: 29,
      readRows(start: number, end: number) {
        asked.push([start, end]);
        return inputRows(tensor, start, end) as FloatTensor;
      },
    };
    const whole = await DlibNetwork.create(net);
    const banded = await DlibNetwork.create(net, { maxArenaBytes: 1 });
    try {
      expectSameValues((await banded.run([rows]))[0], (await whole.run([tensor]))[0]);
    } finally {
      whole.dispose();
      banded.dispose();
    }
    expect(asked.length).toBeGreaterThan(3);
    asked.slice(1).forEach(([start, end], i) => expect(start > asked[i][0] && end >= asked[i][1] && end - start < 300).toBe(true));
  });

  it('a net that runs FloatTensorRows whole asks for all its rows at once, and only within the image size limits', async () => {
    const net = zooTrunk('add_prev_mismatch', 3);
    const asked: number[][] = [];
    const rowsOf = (rows: number, cols: number) => ({
      channels: 3 as const,
      rows,
      cols,
      readRows(start: number, end: number) {
        asked.push([start, end]);
        return { channels: 3, rows: end - start, cols, data: new Float32Array(3 * (end - start) * cols).fill(0.25) };
      },
    });
    const network = await DlibNetwork.create(net, { maxArenaBytes: 1 });
    try {
      const [output] = await network.run([rowsOf(200, 30)]);
      expect(asked).toEqual([[0, 200]]);
      const [tensorOutput] = await network.run([{ channels: 3, rows: 200, cols: 30, data: new Float32Array(3 * 200 * 30).fill(0.25) }]);
      expectSameValues(output, tensorOutput);
      await expect(network.run([rowsOf(MAX_IMAGE_SIDE + 8, 30)])).rejects.toThrow(
        /input 0 \(not run in bands: the net is not row-local\) size 30x16392 is larger than/,
      );
      expect(asked.length).toBe(1);
    } finally {
      network.dispose();
    }
  });

  it("residual_mini's 16-channel 3x3 convs run as Winograd at 700x40, as the banded runs above assume", async () => {
    const net = zooTrunk('residual_mini', 3);
    const network = await DlibNetwork.create(net);
    const steps = await network.profile([syntheticImage(40, 700)]);
    network.dispose();
    expect(steps.filter((s) => / \(winograd \dx\d\)$/.test(s.label)).length).toBe(3);
  });

  // vitest.config.ts turns relaxed SIMD on where Node needs a flag for it.
  it.each(runtimeHasRelaxedSimd() ? [false, true] : [false])(
    "the face detector's 5x5 stride-2 convs of 16 and 32 channels run as F(6x6, 3x3) over space to depth and its 5x5 stride-1 ones as F(6x6, 5x5) with fused relaxed SIMD (%s), else as F(4x4, 5x5)",
    async (relaxedSimd) => {
      const network = await DlibNetwork.create(detectorNet(), { wasm: { relaxedSimd } });
      const steps = await network.profile([syntheticImage(500, 400)]);
      network.dispose();
      const winograd = steps.map((s) => s.label.match(/con 5x5\/(\d) .* \(winograd (\dx\d)\)$/)?.slice(1)).filter((m) => m !== undefined);
      const stride1 = relaxedSimd && runtimeFusesRelaxedMadd() ? '6x6' : '4x4';
      expect(winograd).toEqual([
        ['2', '6x6'],
        ['2', '6x6'],
        ['1', stride1],
        ['1', stride1],
        ['1', stride1],
      ]);
    },
  );

  it('a net whose add_prev sums tensors of two strides is not banded, and runs whole whatever the budget', async () => {
    const net = zooTrunk('add_prev_mismatch', 3);
    const image = syntheticImage(30, 200);
    expect(layoutBands(net, 200, 30, { batch: 8, maxArenaBytes: 1 })).toBeUndefined();
    const whole = await runWith(net, image);
    const small = await runWith(net, image, 1);
    expectSameValues(small.output, whole.output);
  });

  it.each(['residual_mini', 'pool_variants'])(
    "%s with its global pool and fc is not banded: it still gives dlib's output under any budget",
    async (name) => {
      const { dlib_printout, output, input_tensor } = fixtureJson<{
        dlib_printout: string;
        output: { data: number[] };
        input_tensor: { shape: number[]; data: number[] };
      }>(`zoo/${name}.json`);
      const net = readDlibNetwork(fixture(`zoo/${name}.dat`), { printout: dlib_printout });
      const [, , rows, cols] = input_tensor.shape;
      expect(layoutBands(net, rows, cols, { batch: 8, maxArenaBytes: 1 })).toBeUndefined();
      const network = await DlibNetwork.create(net, { maxArenaBytes: 1 });
      const [ours] = await network.run([{ channels: 3, rows, cols, data: Float32Array.from(input_tensor.data) }]);
      network.dispose();
      expect(relativeDiff(ours, output.data)).toBeLessThanOrEqual(1e-5);
    },
  );

  it('maxArenaBytes must be a positive number of bytes', async () => {
    for (const bad of [0, -1, Number.NaN, '256', 2 ** 33]) {
      await expect(DlibNetwork.create(detectorNet(), { maxArenaBytes: bad as number })).rejects.toThrow(InputError);
    }
  });

  // ~40 s on 2 cores: the whole suite only. Whole, its first layer's output alone would be 4 GiB in batches of 8.
  it.skipIf(QUICK)('an 8000x8000 image through the detector takes under 2 GiB of wasm memory', { timeout: 300_000 }, async () => {
    const net = detectorNet();
    const image = syntheticImage(8000, 8000);
    const network = await DlibNetwork.create(net);
    const [scores] = await network.run([image]);
    // 8000 rows: (8000 - 5) / 2 + 1 = 3998, then 1997, then 997.
    expect(scores.length).toBe(997 * 997);
    expect(network.memoryBytes).toBeLessThanOrEqual(2 * 2 ** 30);
    // The first output rows depend on the first rows of the image only: a 400-row strip gives them too.
    const [strip] = await network.run([{ width: 8000, height: 400, data: image.data.subarray(0, 400 * 8000 * 3) }]);
    network.dispose();
    expectSameValues(scores.subarray(0, 20 * 997), strip.subarray(0, 20 * 997), 'the first 20 rows');
  });
});
