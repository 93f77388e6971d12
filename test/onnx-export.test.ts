import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../src/image.js';
import { InputError, loadNetwork, readDlibNetwork } from '../src/index.js';
import { exportOnnx } from '../src/onnx/index.js';
import { ModelProto } from '../src/onnx/onnx-schema.js';
import { QUICK } from './support/suite.js';
import {
  faceModelBytes,
  fixture,
  fixtureJson,
  fixtureJsonLines as jsonLines,
  fixturePng,
  fixtureText as text,
  maxAbsDiff,
  relativeDiff,
  thrown,
} from './support/helpers.js';
import { runCli } from './support/cli.js';

interface ZooTensor {
  shape: number[];
  data: number[];
}
interface ZooNet {
  dlib_printout: string;
  input_png: string;
  input_tensor: ZooTensor;
  output: ZooTensor;
}

/** Images as one NCHW float32 batch of raw RGB values 0-255, the exported graph's input. */
function nchwBatch(images: RgbImage[]): ort.Tensor {
  const { width, height } = images[0];
  const plane = width * height;
  const data = new Float32Array(images.length * 3 * plane);
  images.forEach((image, n) => {
    const stride = image.data.length / plane;
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) data[(n * 3 + c) * plane + p] = image.data[p * stride + c];
  });
  return new ort.Tensor('float32', data, [images.length, 3, height, width]);
}

async function runOnnx(model: Uint8Array, images: RgbImage[]): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const session = await ort.InferenceSession.create(model);
  try {
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    const { output } = await session.run({ input: nchwBatch(images) });
    return { dims: output.dims, data: output.data as Float32Array };
  } finally {
    await session.release();
  }
}

/** The model's header, as a reader of the file sees it. */
function decodeModel(model: Uint8Array) {
  const proto = ModelProto.toObject(ModelProto.decode(model), { longs: Number, defaults: true }) as {
    docString: string;
    opsetImport: { domain: string; version: number }[];
    graph: { input: { type: { tensorType: { shape: { dim: { dimValue?: number; dimParam?: string }[] } } } }[] };
  };
  const dims = proto.graph.input[0].type.tensorType.shape.dim.map((d) => d.dimParam || d.dimValue);
  return { docString: proto.docString, opsetImport: proto.opsetImport, inputDims: dims };
}

describe('the face model exported to ONNX, run by onnxruntime-node', () => {
  // dlib 19.24's descriptors of reference chips (test/fixtures/README.md); eight of them, as one batch.
  const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
  const chosen = [0, 20, 40, 60, 88, 100, 120, 142].map((i) => items[i]);
  let model: Uint8Array;
  beforeAll(() => {
    model = exportOnnx(readDlibNetwork(faceModelBytes())).model;
  });

  it('is opset 17 with a dynamic batch of 150x150 RGB, and says the output is the fc descriptor', () => {
    const { docString, opsetImport, inputDims } = decodeModel(model);
    expect(opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(inputDims).toEqual(['batch', 3, 150, 150]);
    expect(docString).toContain('ONNX has no loss_metric: output is the output of layer<1> (fc), the descriptor (128 values)');
  });

  it("gives dlib's descriptors (max abs diff <= 1e-4) for eight chips in one batch, and for one alone", async () => {
    const chips = chosen.map((item) => fixturePng(item.chip));
    const batch = await runOnnx(model, chips);
    expect(batch.dims).toEqual([8, 128]);
    const diffs = chosen.map((item, n) => maxAbsDiff(batch.data.subarray(n * 128, (n + 1) * 128), item.descriptor));
    expect(diffs.filter((d) => !(d <= 1e-4))).toEqual([]);
    const single = await runOnnx(model, [chips[3]]);
    expect(maxAbsDiff(single.data, chosen[3].descriptor)).toBeLessThanOrEqual(1e-4);
  }, 60_000);
});

describe("dlib-models' DenseNet (concat) and gender classifier (multiply) exported to ONNX", () => {
  const describeNet = (name: string) =>
    readDlibNetwork(fixture(`dlib-models/${name}.dat`), { printout: text(`dlib-models/${name}.printout.txt`) });

  it("the DenseNet gives dlib's descriptors (max abs diff <= 1e-4) for eight chips in one batch", async () => {
    const { model, input, output } = exportOnnx(describeNet('face_recognition_densenet_model_v1'), { inputSize: { rows: 150, cols: 150 } });
    expect([input, output]).toEqual([
      ['batch', 3, 'rows', 'cols'],
      ['batch', 128],
    ]);
    const all = jsonLines<{ id: string; descriptor: number[] }>('dlib-models/face_recognition_densenet_model_v1.descriptors.jsonl');
    const chosen = [0, 12, 25, 37, 50, 62, 75, 87].map((i) => all[i]);
    const { dims, data } = await runOnnx(
      model,
      chosen.map(({ id }) => fixturePng(`chips/faces/${id}.png`)),
    );
    expect(dims).toEqual([8, 128]);
    const diffs = chosen.map(({ descriptor }, n) => maxAbsDiff(data.subarray(n * 128, (n + 1) * 128), descriptor));
    expect(diffs.filter((d) => !(d <= 1e-4))).toEqual([]);
  }, 60_000);

  it("the gender classifier gives dlib's logits (max abs diff <= 1e-4) for all 68 chips, its multiply a Mul alone", async () => {
    const { model, output, outputNote } = exportOnnx(describeNet('dnn_gender_classifier_v1'));
    expect(output).toEqual(['batch', 2]);
    expect(outputNote).toContain('the class scores (logits) (2 values)');
    const { graph } = ModelProto.toObject(ModelProto.decode(model)) as { graph: { node: { opType: string; output: string[] }[] } };
    expect(graph.node.filter((node) => node.output[0].includes('multiply')).map((node) => node.opType)).toEqual(['Mul', 'Mul']);
    const faces = jsonLines<{ id: string; logits: number[] }>('dlib-models/dnn_gender_classifier_v1.outputs.jsonl');
    const { dims, data } = await runOnnx(
      model,
      faces.map(({ id }) => fixturePng(`dlib-models/dnn_gender_classifier_v1.chips/${id}.png`)),
    );
    expect(dims).toEqual([68, 2]);
    const diffs = faces.map(({ logits }, n) => maxAbsDiff(data.subarray(n * 2, n * 2 + 2), logits));
    expect(diffs.filter((d) => !(d <= 1e-4))).toEqual([]);
  });
});

describe.each(fixtureJson<{ nets: string[] }>('zoo/index.json').nets)('zoo net %s exported to ONNX', (name) => {
  const net = fixtureJson<ZooNet>(`zoo/${name}.json`);
  const [, , rows, cols] = net.input_tensor.shape;
  const description = readDlibNetwork(fixture(`zoo/${name}.dat`), { printout: net.dlib_printout });
  const sized = description.input.rows !== undefined;

  it("gives dlib's output for its input PNG (relative diff <= 1e-4)", async () => {
    const exported = exportOnnx(description, { inputSize: { rows, cols } });
    expect(exported.input).toEqual(['batch', 3, sized ? rows : 'rows', sized ? cols : 'cols']);
    // Every zoo net ends in an fc: its output has one size whatever the input's.
    expect(exported.output).toEqual(['batch', net.output.data.length]);
    const { dims, data } = await runOnnx(exported.model, [fixturePng(`zoo/${net.input_png}`)]);
    expect(dims).toEqual([1, net.output.data.length]);
    expect(relativeDiff(data, net.output.data)).toBeLessThanOrEqual(1e-4);
    expect(exported.outputNote).toMatch(description.loss.kind === 'loss_metric' ? /descriptor/ : /class scores \(logits\)/);
  });
});

describe('ONNX export of nets of any input size', () => {
  const zooNet = (name: string) => {
    const net = fixtureJson<ZooNet>(`zoo/${name}.json`);
    return { net, bytes: fixture(`zoo/${name}.dat`) };
  };
  /** A deterministic RGB image of any size. */
  const pattern = (width: number, height: number): RgbImage => ({
    width,
    height,
    data: Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37 + (i >> 5) * 11) % 256),
  });

  // As the engine runs them (zoo.test.ts checks it against dlib): add_prev pads at run time, pools clip windows differently.
  it.each([
    ['add_prev_mismatch', 17, 20],
    ['add_prev_mismatch', 9, 30],
    ['pool_variants', 29, 38],
    ['conv_variants', 26, 21],
  ])("%s at %ix%i gives the engine's output", async (name, width, height) => {
    const { net, bytes } = zooNet(name);
    const image = pattern(width, height);
    const network = await loadNetwork(bytes, { printout: net.dlib_printout });
    const [ours] = await network.run([image]);
    network.dispose();
    const onnx = await runOnnx(exportOnnx(readDlibNetwork(bytes, { printout: net.dlib_printout })).model, [image]);
    expect(relativeDiff(onnx.data, ours)).toBeLessThanOrEqual(1e-4);
  });

  it("asks for inputSize when a layer fixes the size (an fc over a conv's output)", () => {
    const { net, bytes } = zooNet('fc_variants');
    const error = thrown(() => exportOnnx(readDlibNetwork(bytes, { printout: net.dlib_printout })));
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/fc expects 80 inputs.*pass inputSize \(--input-size RxC\)/);
  });
});

// The CLI as built by `npm run build`, which the quick mode does not run.
describe.skipIf(QUICK)('npx dlib-wasm export-onnx', () => {
  const run = (...args: string[]) => runCli(['export-onnx', ...args]);
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'dlib-wasm-onnx-'));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('writes a zoo net with its --printout and says what the output is', async () => {
    const net = fixtureJson<ZooNet>('zoo/residual_mini.json');
    writeFileSync(join(folder, 'printout.txt'), net.dlib_printout);
    const out = join(folder, 'residual_mini.onnx');
    const { code, stdout } = await run('test/fixtures/zoo/residual_mini.dat', out, '--printout', join(folder, 'printout.txt'));
    expect(code).toBe(0);
    expect(stdout).toContain('output: "output", float32 batch x 16');
    expect(stdout).toContain('ONNX has no loss_metric: output is the output of layer<1> (fc)');
    const { data } = await runOnnx(new Uint8Array(readFileSync(out)), [fixturePng(`zoo/${net.input_png}`)]);
    expect(relativeDiff(data, net.output.data)).toBeLessThanOrEqual(1e-4);
  });

  it('names --input-size when a net of any size needs one, and takes it', async () => {
    const out = join(folder, 'fc_variants.onnx');
    const printout = join(folder, 'fc_printout.txt');
    writeFileSync(printout, fixtureJson<ZooNet>('zoo/fc_variants.json').dlib_printout);
    const failed = await run('test/fixtures/zoo/fc_variants.dat', out, '--printout', printout);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('pass inputSize (--input-size RxC)');
    const { code, stdout } = await run('test/fixtures/zoo/fc_variants.dat', out, '--printout', printout, '--input-size', '12x10');
    expect(code).toBe(0);
    expect(stdout).toContain('ONNX has no loss_multiclass_log');
  });
});
