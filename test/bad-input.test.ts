import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DlibByteReader } from '../src/dlib/serialization.js';
import {
  DatFormatError,
  DisposedError,
  DlibWasmError,
  InputError,
  MAX_JITTERS,
  TopologyError,
  UnsupportedLayerError,
  loadFaceRecognitionModel,
  loadFrontalFaceDetector,
  loadImageChipExtractor,
  loadNetwork,
  loadShapePredictor,
  parsePrintout,
  readDlibNetwork,
  type FaceRecognitionModel,
  type NetworkDescription,
  type Topology,
} from '../src/index.js';
import { landmarkModel5Bytes } from './support/face-fixtures.js';
import { faceModelBytes, fixture, fixtureJson, fixturePng, thrown, spliceBytes } from './support/helpers.js';
import { readOutcomes } from './support/read-outcomes.js';

// Bad bytes, bad topologies and bad images must each end in one of the
// library's typed errors saying what and where, never in a hang, a crash, a
// huge allocation or a silently wrong result.

function zoo(name: string): { bytes: Uint8Array; printout: string } {
  return { bytes: fixture(`zoo/${name}.dat`), printout: fixtureJson(`zoo/${name}.json`).dlib_printout };
}

async function rejection(f: () => Promise<unknown>): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The error, after checking its class and that its message matches. */
function expectError<T extends DlibWasmError>(error: unknown, type: abstract new (...args: never[]) => T, message: RegExp): T {
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toMatch(message);
  return error as T;
}

/** A non-negative integer in dlib's format: a control byte giving the length, then little-endian bytes. */
function dlibInt(value: number): number[] {
  const magnitude: number[] = [];
  for (let v = value; v > 0 || magnitude.length === 0; v = Math.floor(v / 256)) magnitude.push(v % 256);
  return [magnitude.length, ...magnitude];
}

const dlibString = (s: string) => [...dlibInt(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

/** Where a run of bytes occurs, in file order. */
function byteOffsets(bytes: Uint8Array, needle: Uint8Array): number[] {
  const found: number[] = [];
  for (let i = 0; i + needle.length <= bytes.length; i++) {
    if (needle.every((b, j) => bytes[i + j] === b)) found.push(i);
  }
  return found;
}

/** Where a serialized string occurs (the offset of its length), in file order. */
function stringOffsets(bytes: Uint8Array, s: string): number[] {
  const needle = dlibString(s);
  const found: number[] = [];
  for (let i = 0; i + needle.length <= bytes.length; i++) {
    if (needle.every((b, j) => bytes[i + j] === b)) found.push(i);
  }
  return found;
}

/** Byte offsets of the fields of a `con_5` payload, found by reading it as dlib writes it. */
function conFields(bytes: Uint8Array, payloadOffset: number) {
  const r = new DlibByteReader(bytes);
  r.offset = payloadOffset;
  r.string('tag');
  const tensor = r.offset;
  r.int('tensor version');
  const shape = r.offset;
  for (let i = 0; i < 4; i++) r.int('dim');
  const data = r.offset;
  r.offset = tensor;
  r.tensor('params');
  const numFilters = r.offset;
  for (let i = 0; i < 7; i++) r.int('size');
  r.alias('filters');
  r.alias('biases');
  for (let i = 0; i < 4; i++) r.real('multiplier');
  return { tensor, shape, data, numFilters, useBias: r.offset };
}

/** A deterministic pseudo-random sequence in [0, 1) (mulberry32), so that every failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Where each dlib `layer<i>` lives in a file that reads: the loss at the
 * start, one 2-byte wrapper version per layer, the input layer, then the
 * payloads from the input side out. A truncation inside a region must be
 * reported in one of its layers, at a byte inside it.
 */
function layerRegions(bytes: Uint8Array, net: NetworkDescription): { start: number; indices: number[] }[] {
  const wrapperCount = net.input.index - 1;
  const inputStart = stringOffsets(bytes, net.input.rows === undefined ? 'input_rgb_image' : 'input_rgb_image_sized')[0];
  const chainStart = inputStart - 2 * wrapperCount;
  const regions = [{ start: 0, indices: [0] }];
  for (let i = 1; i <= wrapperCount; i++) regions.push({ start: chainStart + 2 * (i - 1), indices: [i] });
  // A cut inside the input's tag is caught by the innermost wrapper, which expects it.
  regions.push({ start: inputStart, indices: [wrapperCount, wrapperCount + 1] });
  for (const layer of net.layers) {
    if (layer.offset > inputStart) regions.push({ start: layer.offset, indices: [layer.index] });
  }
  return regions;
}

/** The file cut to `length` bytes must fail with an "end of data" DatFormatError inside the right layer. */
function expectTruncationError(bytes: Uint8Array, length: number, regions: ReturnType<typeof layerRegions>, printout?: Topology) {
  const error = thrown(() => readDlibNetwork(bytes.subarray(0, length), { printout }));
  const context = `cut to ${length} bytes`;
  expect(error, context).toBeInstanceOf(DatFormatError);
  const { message, offset, layerIndex } = error as DatFormatError;
  if (length === 0) {
    expect(message).toBe('the file is empty (at byte 0)');
    return;
  }
  const region = regions.findLast((r) => r.start <= length)!;
  // What was being read, then where: e.g. "unexpected end of data reading num_filters: needs 1 bytes, 0 left".
  expect(message, context).toMatch(
    /^(unexpected end of data reading \w[\w ]*: needs \d+ bytes, \d+ left|\w[\w ]* tensor of shape \[\d+,\d+,\d+,\d+\] needs \d+ bytes, \d+ left) \(in layer<\d+> at byte \d+\)$/,
  );
  expect(message.endsWith(`(in layer<${layerIndex}> at byte ${offset})`), context).toBe(true);
  expect(region.indices, context).toContain(layerIndex);
  expect(offset, context).toBeGreaterThanOrEqual(region.start);
  expect(offset, context).toBeLessThanOrEqual(length);
}

describe('truncated files', () => {
  it.each(['add_prev_mismatch', 'bn_inference', 'pool_variants'])('zoo net %s cut at every byte', (name) => {
    const { bytes } = zoo(name);
    const printout = parsePrintout(zoo(name).printout);
    const regions = layerRegions(bytes, readDlibNetwork(bytes, { printout }));
    for (let length = 0; length < bytes.length; length++) expectTruncationError(bytes, length, regions, printout);
  });

  it('the face model cut in its first 600 bytes, around payload boundaries and spread over the rest', () => {
    const bytes = faceModelBytes();
    const net = readDlibNetwork(bytes);
    const regions = layerRegions(bytes, net);
    const lengths = new Set<number>();
    for (let n = 0; n < 600; n++) lengths.add(n);
    // Ends one byte short of every other payload, right before it, and one byte into it.
    const payloads = regions.filter(({ start }) => start >= 600);
    payloads.filter((_, i) => i % 2 === 0).forEach(({ start }) => [start - 1, start, start + 1].forEach((n) => lengths.add(n)));
    const next = random(1);
    for (let i = 0; i < 40; i++) lengths.add(600 + Math.floor(next() * (bytes.length - 600)));
    lengths.add(bytes.length - 1);
    for (const length of lengths) expectTruncationError(bytes, length, regions);
  });
});

describe('corrupted bytes', () => {
  const conv = zoo('conv_variants');
  const net = readDlibNetwork(conv.bytes, { printout: conv.printout });
  const innermost = net.layers[0]; // con<6,3,3,1,1> just above the input, layer<9>
  const fields = conFields(conv.bytes, innermost.offset);
  const read = (bytes: Uint8Array) => () => readDlibNetwork(bytes, { printout: conv.printout });

  it('a tensor claiming 2^40 elements fails before allocating them', () => {
    const huge = spliceBytes(conv.bytes, fields.shape, fields.data - fields.shape, [...dlibInt(2 ** 20), ...dlibInt(2 ** 20), 1, 1, 1, 1]);
    // Allocating 2^40 floats would throw a RangeError: a DatFormatError proves the size was checked first.
    const error = expectError(
      thrown(read(huge)),
      DatFormatError,
      /^con params tensor of shape \[1048576,1048576,1,1\] needs 4398046511104 bytes, \d+ left/,
    );
    expect([error.layerIndex, error.offset]).toEqual([innermost.index, fields.tensor]);

    const oneDimension = spliceBytes(conv.bytes, fields.shape, fields.data - fields.shape, [...dlibInt(2 ** 40), 1, 1, 1, 1, 1, 1]);
    expect(
      expectError(thrown(read(oneDimension)), DatFormatError, /con params num_samples is 1099511627776, more than the allowed/).offset,
    ).toBe(fields.shape);

    const overflow = spliceBytes(
      conv.bytes,
      fields.shape,
      fields.data - fields.shape,
      Array.from({ length: 4 }, () => dlibInt(2 ** 30)).flat(),
    );
    expectError(thrown(read(overflow)), DatFormatError, /con params tensor of shape \[1073741824,1073741824,1073741824,1073741824\] needs/);
  });

  it('a string claiming 2^30 bytes fails without building it', () => {
    const bytes = spliceBytes(conv.bytes, 2, 2, dlibInt(2 ** 30));
    const error = expectError(thrown(read(bytes)), DatFormatError, /loss layer version length is 1073741824, more than the allowed 256/);
    expect([error.layerIndex, error.offset]).toEqual([0, 2]);
  });

  it('a bad integer control byte', () => {
    for (const control of [0x00, 0x09, 0x11, 0x71]) {
      const bytes = conv.bytes.slice();
      bytes[fields.numFilters] = control;
      const hex = control.toString(16).padStart(2, '0');
      const error = expectError(thrown(read(bytes)), DatFormatError, new RegExp(`bad integer control byte 0x${hex} for num_filters`));
      expect([error.layerIndex, error.offset]).toEqual([innermost.index, fields.numFilters]);
    }
  });

  it('a negative unsigned count', () => {
    const bytes = conv.bytes.slice();
    bytes[fields.numFilters] |= 0x80;
    const error = expectError(thrown(read(bytes)), DatFormatError, /num_filters is negative but unsigned/);
    expect([error.layerIndex, error.offset]).toEqual([innermost.index, fields.numFilters]);
  });

  it('a bad bool byte', () => {
    expect(conv.bytes[fields.useBias]).toBe(0x31);
    const bytes = conv.bytes.slice();
    bytes[fields.useBias] = 0x32;
    const error = expectError(thrown(read(bytes)), DatFormatError, /bad bool byte 0x32 for use_bias/);
    expect([error.layerIndex, error.offset]).toEqual([innermost.index, fields.useBias]);
  });

  it('wrong version numbers', () => {
    const lossVersion = conv.bytes.slice();
    lossVersion[1] = 2;
    const loss = expectError(thrown(read(lossVersion)), DatFormatError, /unsupported add_loss_layer version 2 \(expected 1\)/);
    expect([loss.layerIndex, loss.offset]).toEqual([0, 0]);

    const tensorVersion = conv.bytes.slice();
    tensorVersion[fields.tensor + 1] = 3;
    const tensor = expectError(thrown(read(tensorVersion)), DatFormatError, /unsupported con params tensor version 3 \(expected 2\)/);
    expect([tensor.layerIndex, tensor.offset]).toEqual([innermost.index, fields.tensor]);

    const wrapper = conv.bytes.slice();
    wrapper[stringOffsets(conv.bytes, 'input_rgb_image')[0] - 1] = 7;
    expectError(thrown(read(wrapper)), DatFormatError, /unexpected layer wrapper version 7/);
  });

  it('wrong version tag strings name the layer', () => {
    const lossTag = spliceBytes(conv.bytes, 2, 15, dlibString('loss_metric_3'));
    const loss = expectError(thrown(read(lossTag)), UnsupportedLayerError, /^layer<0>: loss layer "loss_metric_3" is not supported/);
    expect(loss.layerIndex).toBe(0);

    const inputTag = spliceBytes(conv.bytes, stringOffsets(conv.bytes, 'input_rgb_image')[0], 17, dlibString('input_rgb_imagf'));
    expectError(thrown(read(inputTag)), UnsupportedLayerError, /^layer<10>: input layer "input_rgb_imagf" is not supported/);

    // The layer just above the input and one further out.
    for (const layer of [innermost, net.layers[1]]) {
      const bytes = spliceBytes(conv.bytes, layer.offset, 7, dlibString('con_6'));
      const error = expectError(
        thrown(read(bytes)),
        UnsupportedLayerError,
        new RegExp(`^layer<${layer.index}>: layer "con_6" is not supported \\(at byte ${layer.offset}\\)`),
      );
      expect(error.layerIndex).toBe(layer.index);
    }
  });

  it('a NaN or infinite weight, named by its layer and byte offset', () => {
    const { bytes, printout } = zoo('conv_variants');
    const net = readDlibNetwork(bytes, { printout });
    const cases: Array<[Float32Array, number, number, RegExp]> = [];
    const con = net.layers.find((l) => l.kind === 'con')!;
    const fc = net.layers.find((l) => l.kind === 'fc')!;
    if (con.kind !== 'con' || fc.kind !== 'fc') throw new Error('conv_variants has a con and an fc layer');
    cases.push([con.filters, 5, NaN, /con params value 5 is NaN: a network's weights must be finite/]);
    cases.push([fc.weights, 2, -Infinity, /fc params value 2 is -Infinity/]);
    for (const [values, i, bad, message] of cases) {
      // The value's bytes, with its neighbours', occur once in the file: that is where it is stored.
      const needle = new Uint8Array(values.buffer, values.byteOffset + i * 4, 12);
      const at = byteOffsets(bytes, needle);
      expect(at).toHaveLength(1);
      const corrupt = bytes.slice();
      new DataView(corrupt.buffer).setFloat32(at[0], bad, true);
      const error = expectError(
        thrown(() => readDlibNetwork(corrupt, { printout })),
        DatFormatError,
        message,
      );
      expect([error.offset, error.layerIndex]).toEqual([at[0], values === con.filters ? con.index : fc.index]);
    }
  });

  it('a net of 130,000 layers reads, plans and runs: nothing recurses or spreads arguments per layer', { timeout: 30_000 }, async () => {
    // fc_variants with 130,000 more relu layers (a wrapper version each, and a relu payload each).
    const bytes = fixture('zoo/fc_variants.dat');
    const relu = byteOffsets(bytes, new Uint8Array(dlibString('relu_')))[0];
    const fc = byteOffsets(bytes, new Uint8Array(dlibString('fc_3'))).find((at) => at > relu)!;
    const payload = bytes.subarray(relu, fc);
    const firstWrapper = byteOffsets(bytes, new Uint8Array(dlibString('loss_multiclass_log_')))[0] + 22;
    const extra = 130_000;
    const deep = new Uint8Array(bytes.length + extra * (2 + payload.length));
    let at = 0;
    const put = (part: ArrayLike<number>) => {
      deep.set(part, at);
      at += part.length;
    };
    put(bytes.subarray(0, firstWrapper));
    for (let i = 0; i < extra; i++) put([0x01, 0x02]);
    put(bytes.subarray(firstWrapper, fc));
    for (let i = 0; i < extra; i++) put(payload);
    put(bytes.subarray(fc));
    expect(readDlibNetwork(deep).layers).toHaveLength(130_007);
    const network = await loadNetwork(deep, { threads: 1 });
    const image = { width: 10, height: 12, data: new Uint8Array(360).map((_, i) => (i * 7) & 255) };
    const shallow = await loadNetwork(bytes, { threads: 1 });
    // More ReLUs on a ReLU's output change nothing.
    expect((await network.run([image]))[0]).toEqual((await shallow.run([image]))[0]);
    expect(network.multiplyAdds(12, 10)).toBe(shallow.multiplyAdds(12, 10));
    network.dispose();
    shallow.dispose();
  });

  it('bytes after the network', () => {
    const error = expectError(
      thrown(read(spliceBytes(conv.bytes, conv.bytes.length, 0, [0, 0]))),
      DatFormatError,
      /^2 unexpected bytes after the network/,
    );
    expect([error.layerIndex, error.offset]).toEqual([undefined, conv.bytes.length]);
  });

  it.each(['add_prev_mismatch', 'bn_inference', 'fc_variants'])(
    'random changes anywhere in zoo net %s give a typed error or a network',
    (name) => {
      const { bytes } = zoo(name);
      const printout = parsePrintout(zoo(name).printout);
      const next = random(name.length);
      function* damaged() {
        for (let i = 0; i < 1500; i++) {
          const at = Math.floor(next() * bytes.length);
          if (i % 4 === 0) yield spliceBytes(bytes, at, 1, [bytes[at] ^ (1 << Math.floor(next() * 8))]);
          else if (i % 4 === 1) yield spliceBytes(bytes, at, 1, [Math.floor(next() * 256)]);
          else if (i % 4 === 2) yield spliceBytes(bytes, at, 0, [Math.floor(next() * 256)]);
          else yield spliceBytes(bytes, at, 1, []);
        }
      }
      const outcomes = readOutcomes(damaged(), (changed, i) => readDlibNetwork(changed, i % 2 === 0 ? { printout } : {}));
      expect(outcomes.get('DatFormatError')).toBeGreaterThan(100);
    },
  );

  it('a net that still reads after random changes loads and runs or fails typed', async () => {
    const { bytes, printout } = zoo('pool_variants');
    const next = random(3);
    const image = fixturePng('zoo/pool_variants_input.png');
    let ran = 0;
    for (let i = 0; i < 40; i++) {
      const changed = bytes.slice();
      changed[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      // Reading alone is covered above; loading is what this adds.
      const readError = thrown(() => readDlibNetwork(changed, { printout }));
      if (readError !== undefined) {
        expect(readError).toBeInstanceOf(DlibWasmError);
        continue;
      }
      const error = await rejection(async () => {
        const network = await loadNetwork(changed, { printout, batchSize: 1 });
        try {
          await network.run([image]);
          ran++;
        } finally {
          network.dispose();
        }
      });
      if (error !== undefined) expect(error).toBeInstanceOf(DlibWasmError);
    }
    expect(ran).toBeGreaterThan(10);
  });
});

describe('files that are not dlib networks', () => {
  it.each([
    [
      'a PNG',
      () => fixture('zoo/pool_variants_input.png'),
      /^bad integer control byte 0x89 for add_loss_layer version \(in layer<0> at byte 0\)$/,
    ],
    [
      'JSON text',
      () => new TextEncoder().encode('{"nets": ["conv_variants"]}'),
      /^bad integer control byte 0x7b for add_loss_layer version/,
    ],
    ['an empty Uint8Array', () => new Uint8Array(0), /^the file is empty \(at byte 0\)$/],
    ['an empty ArrayBuffer', () => new ArrayBuffer(0), /^the file is empty \(at byte 0\)$/],
    [
      'the start of a valid file',
      () => fixture('zoo/pool_variants.dat').subarray(0, 2),
      /^unexpected end of data reading loss layer version length/,
    ],
  ])('%s', (_, bytes, message) => {
    const error = expectError(
      thrown(() => readDlibNetwork(bytes())),
      DatFormatError,
      message,
    );
    expect(error.offset).toBeLessThanOrEqual(bytes().byteLength);
  });

  it('random bytes', () => {
    const next = random(42);
    for (let i = 0; i < 200; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(next() * 4000) }, () => Math.floor(next() * 256));
      const error = expectError(
        thrown(() => readDlibNetwork(bytes)),
        DatFormatError,
        /\(in layer<\d+> at byte \d+\)$/,
      );
      expect(error.offset).toBeLessThan(bytes.length);
    }
  });

  it('what is not bytes at all is an InputError, and a Node Buffer is bytes', () => {
    for (const [value, name] of [
      ['{"a": 1}', 'String'],
      [null, 'Null'],
      [new DataView(new ArrayBuffer(8)), 'DataView'],
      [[1, 1], 'Array'],
      [new Float32Array(4), 'Float32Array'],
    ] as const) {
      expectError(
        thrown(() => readDlibNetwork(value as unknown as Uint8Array)),
        InputError,
        new RegExp(`bytes must be a Uint8Array or ArrayBuffer, not ${name}$`),
      );
    }
    const { bytes, printout } = zoo('pool_variants');
    expect(readDlibNetwork(Buffer.from(bytes), { printout }).layers).toHaveLength(9);
    expect(readDlibNetwork(bytes.slice().buffer, { printout }).layers).toHaveLength(9);
  });
});

describe('layers dlib-wasm cannot run', () => {
  const { bytes, printout } = zoo('residual_mini');
  const net = readDlibNetwork(bytes, { printout });
  const relu = net.layers.find((l) => l.kind === 'relu')!;

  it('a relu_ tag rewritten as another dlib layer: htan_ (same length), sig_ or mult_prev_', () => {
    expect(stringOffsets(bytes, 'relu_')).toContain(relu.offset);
    for (const tag of ['htan_', 'sig_', 'mult_prev_']) {
      const changed = spliceBytes(bytes, relu.offset, 7, dlibString(tag));
      const error = expectError(
        thrown(() => readDlibNetwork(changed, { printout })),
        UnsupportedLayerError,
        new RegExp(`^layer<${relu.index}>: layer "${tag}" is not supported \\(at byte ${relu.offset}\\)$`),
      );
      expect(error.layerIndex).toBe(relu.index);
    }
  });

  it('loadNetwork reports it the same way', async () => {
    const changed = spliceBytes(bytes, relu.offset, 7, dlibString('sig_'));
    const error = await rejection(() => loadNetwork(changed, { printout }));
    expect(expectError(error, UnsupportedLayerError, /layer "sig_" is not supported/).layerIndex).toBe(relu.index);
  });
});

describe('topology mismatches', () => {
  it("a zoo net read with another net's printout names the first layer that differs", () => {
    const conv = zoo('conv_variants');
    const pool = zoo('pool_variants');
    // Both have 9 layers; read from the input side, the first to differ is layer<9>: 6 filters against 5.
    const error = expectError(
      thrown(() => readDlibNetwork(conv.bytes, { printout: pool.printout })),
      TopologyError,
      /^layer<9>: num_filters is 6 in the file, 5 in the topology$/,
    );
    expect(error.layerIndex).toBe(9);

    const reverse = expectError(
      thrown(() => readDlibNetwork(pool.bytes, { printout: conv.printout })),
      TopologyError,
      /^layer<9>: num_filters is 5 in the file, 6 in the topology$/,
    );
    expect(reverse.layerIndex).toBe(9);
  });

  it('a printout with another number of layers', () => {
    const residual = zoo('residual_mini');
    const other = zoo('add_prev_mismatch');
    const error = expectError(
      thrown(() => readDlibNetwork(residual.bytes, { printout: other.printout })),
      TopologyError,
      /^layer<13>: the file has 44 layers under the loss, the topology 12$/,
    );
    expect(error.layerIndex).toBe(13);
    const fewer = expectError(
      thrown(() => readDlibNetwork(other.bytes, { printout: residual.printout })),
      TopologyError,
      /the file has 12 layers under the loss, the topology 44/,
    );
    expect(fewer.layerIndex).toBe(13);
  });

  describe('the face model with one printout line changed', () => {
    const bytes = faceModelBytes();
    const lines = new TextDecoder().decode(fixture('dlib_face_recognition_resnet_model_v1.layers.txt')).split('\n');
    const changed = (index: number, from: string, to: string) => {
      const copy = lines.slice();
      expect(copy[index]).toContain(from);
      copy[index] = copy[index].replace(from, to);
      return copy.join('\n');
    };

    it.each([
      [9, 'num_filters=256', 'num_filters=128', /^layer<9>: num_filters is 256 in the file, 128 in the topology$/],
      [130, 'stride_y=2', 'stride_y=1', /^layer<130>: stride_y is 2 in the file, 1 in the topology$/],
      [10, 'relu', 'affine', /^layer<10>: the file has relu, the topology affine$/],
      [1, 'fc_no_bias', 'fc', /^layer<1>: fc has no bias in the file, the topology says fc$/],
      [4, 'add_prev2', 'relu', /^layer<4>: the file has add_prev, the topology relu$/],
    ])('layer<%i>: %s → %s', (index, from, to, message) => {
      const error = expectError(
        thrown(() => readDlibNetwork(bytes, { printout: changed(index, from, to) })),
        TopologyError,
        message,
      );
      expect(error.layerIndex).toBe(index);
    });

    it('an input size or loss that differs', () => {
      const size = expectError(
        thrown(() => readDlibNetwork(bytes, { printout: changed(131, 'nr=150', 'nr=151') })),
        TopologyError,
        /^layer<131>: the file's input is 150x150, the topology's 151x150$/,
      );
      expect(size.layerIndex).toBe(131);
      const loss = expectError(
        thrown(() => readDlibNetwork(bytes, { printout: changed(0, 'loss_metric', 'loss_multiclass_log') })),
        TopologyError,
        /^layer<0>: the file has loss_metric, the topology loss_multiclass_log$/,
      );
      expect(loss.layerIndex).toBe(0);
    });
  });

  it('a malformed printout or one of the wrong type', () => {
    const { bytes } = zoo('pool_variants');
    expectError(
      thrown(() => readDlibNetwork(bytes, { printout: 'not a printout' })),
      TopologyError,
      /^printout line 1 is not "layer<i>\\t\.\.\.": "not a printout"$/,
    );
    expectError(
      thrown(() => readDlibNetwork(bytes, { printout: 'layer<0>\tloss_metric\nlayer<2>\tinput_rgb_image' })),
      TopologyError,
      /^layer<1>: printout has no line for layer<1>$/,
    );
    // readFileSync without an encoding gives a Buffer, not the text.
    const printoutBuffer = Buffer.from(zoo('pool_variants').printout);
    expectError(
      thrown(() => readDlibNetwork(bytes, { printout: printoutBuffer as unknown as string })),
      InputError,
      /^printout must be dlib's printout text or parsePrintout\(\)'s result, not Uint8Array$/,
    );
    expect(readDlibNetwork(bytes, { printout: parsePrintout(zoo('pool_variants').printout) }).layers).toHaveLength(9);
  });
});

describe('nets with tags but no printout', () => {
  it.each([
    ['residual_mini', 44],
    ['add_prev_mismatch', 12],
  ])('loadNetwork(%s) asks for the printout', async (name, layers) => {
    const error = await rejection(() => loadNetwork(zoo(name).bytes));
    const topology = expectError(
      error,
      TopologyError,
      new RegExp(
        `the file has ${layers} layers under the loss, the topology 130 \\(the file was checked against the built-in face-model topology; pass the net's printout for other nets\\)$`,
      ),
    );
    expect(topology.layerIndex).toBe(layers + 1);
  });

  it('loadFaceRecognitionModel on another net says it is not the face model', async () => {
    const error = await rejection(() => loadFaceRecognitionModel(zoo('bn_inference').bytes));
    expect(expectError(error, TopologyError, /the file has 11 layers under the loss, the topology 130/).layerIndex).toBe(12);
  });
});

describe('bad images and tensors', () => {
  let model: FaceRecognitionModel;
  const chip = fixturePng('chips/faces/sample1_f00.png');
  beforeAll(async () => {
    model = await loadFaceRecognitionModel(faceModelBytes());
  });
  afterAll(() => model.dispose());

  const rgb = (width: number, height: number, length = width * height * 3) => ({ width, height, data: new Uint8Array(length) });

  it.each([
    ['a 149x150 chip', rgb(149, 150), /^input 0 is 149x150 \(width x height\); this network takes 150x150 only$/],
    ['a 150x149 chip', rgb(150, 149), /^input 0 is 150x149 \(width x height\); this network takes 150x150 only$/],
    [
      'one byte short',
      rgb(150, 150, 150 * 150 * 3 - 1),
      /^input 0 holds 67499 bytes; a 150x150 image needs 67500 \(RGB\) or 90000 \(RGBA\)$/,
    ],
    ['a non-integer width', rgb(150.5, 150, 67575), /^input 0 size 150.5x150 is not a size in whole pixels$/],
    ['a zero width', rgb(0, 150, 0), /^input 0 is 0x150; it must be at least 1x1 pixels$/],
    ['a negative height', rgb(150, -150, 0), /^input 0 size 150x-150 is not a size in whole pixels$/],
    ['a NaN width', rgb(NaN, 150, 0), /^input 0 size NaNx150 is not a size in whole pixels$/],
    ['30000x30000 claimed with 12 bytes', rgb(30000, 30000, 12), /^input 0 size 30000x30000 is larger than the supported 16384x16384/],
    [
      'data in a plain array',
      { width: 150, height: 150, data: Array.from(chip.data) },
      /^input 0 data must be a Uint8Array or Uint8ClampedArray of RGB or RGBA bytes$/,
    ],
    ['no data', { width: 150, height: 150 }, /^input 0 is not an image or tensor$/],
    ['null', null, /^input 0 is not an image or tensor$/],
  ])('%s', async (_, image, message) => {
    expectError(await rejection(() => model.computeFaceDescriptor(image as never)), InputError, message);
  });

  it('the detector, the shape predictor and the chip extractor say of a bad image what the network says', async () => {
    const detector = await loadFrontalFaceDetector(fixture('../../models/frontal_face_detector.dat'), { threads: 1 });
    const predictor = await loadShapePredictor(landmarkModel5Bytes());
    const chips = await loadImageChipExtractor();
    const rect = { left: 0, top: 0, right: 9, bottom: 9 };
    const details = { rect, angle: 0, rows: 10, cols: 10 };
    const cases: Array<[unknown, string]> = [
      [rgb(150, 150, 5), 'holds 5 bytes; a 150x150 image needs 67500 (RGB) or 90000 (RGBA)'],
      [rgb(150.5, 150, 67575), 'size 150.5x150 is not a size in whole pixels'],
      [rgb(30000, 30000, 12), 'size 30000x30000 is larger than the supported 16384x16384'],
      [{ width: 150, height: 150, data: Array.from(chip.data) }, 'data must be a Uint8Array or Uint8ClampedArray of RGB or RGBA bytes'],
    ];
    const exactly = (what: string, message: string) => new RegExp(`^${`${what} ${message}`.replace(/[().]/g, '\\$&')}$`);
    for (const [image, message] of cases) {
      expectError(await rejection(() => model.computeFaceDescriptor(image as never)), InputError, exactly('input 0', message));
      expectError(
        thrown(() => detector.detectFaces(image as never)),
        InputError,
        exactly('the image', message),
      );
      expectError(
        thrown(() => predictor.predict(image as never, rect)),
        InputError,
        exactly('image', message),
      );
      expectError(
        thrown(() => chips.extractImageChip(image as never, details)),
        InputError,
        exactly('image', message),
      );
    }
    detector.dispose();
    chips.dispose();
  });

  it('a bad chip among good ones is named by its index', async () => {
    const error = await rejection(() => model.computeFaceDescriptors([chip, chip, rgb(150, 150, 5)]));
    expectError(error, InputError, /^input 2 holds 5 bytes/);
    expect(await model.computeFaceDescriptor(chip)).toHaveLength(128);
  });

  it('profile repeats that are not a positive integer', async () => {
    for (const repeats of [0, 1.5, -2, NaN]) {
      expectError(await rejection(() => model.network.profile([chip], { repeats })), InputError, /^repeats must be a positive integer/);
    }
  });

  it('a hole in the array of chips is named by its index, not left as a hole in the result', async () => {
    const holes = (length: number, ...filled: number[]) => {
      const chips = new Array(length);
      for (const i of filled) chips[i] = chip;
      return chips;
    };
    expectError(await rejection(() => model.computeFaceDescriptors(holes(2, 1))), InputError, /^input 0 is not an image or tensor$/);
    expectError(await rejection(() => model.computeFaceDescriptors(holes(3, 0, 2))), InputError, /^input 1 is not an image or tensor$/);
  });

  it('a chip whose data is a Float32Array is told what an image and a tensor are', async () => {
    const floats = { width: 150, height: 150, data: new Float32Array(150 * 150 * 3) };
    expectError(
      await rejection(() => model.computeFaceDescriptor(floats as never)),
      InputError,
      /^input 0 is an image with Float32Array data; an image's data must be 8-bit RGB or RGBA bytes/,
    );
  });

  it('jitters over MAX_JITTERS (1000) are refused before any is cut', async () => {
    expect(MAX_JITTERS).toBe(1000);
    for (const jitters of [1001, 100_000]) {
      expectError(
        await rejection(() => model.computeFaceDescriptor(chip, { jitters })),
        InputError,
        /^jitters must be an integer from 1 to 1000, got \d+$/,
      );
    }
  });

  it('40,000 inputs are grouped by size in linear time (the plan then refuses their size)', { timeout: 10_000 }, async () => {
    const { bytes, printout } = zoo('conv_variants');
    const network = await loadNetwork(bytes, { printout, batchSize: 1024, threads: 1 });
    const image = rgb(1024, 1024);
    // Quadratic grouping took a minute here before anything ran.
    expectError(
      await rejection(() => network.run(Array(40_000).fill(image))),
      InputError,
      /^an input of 1024x1024 \(width x height\) in batches of 1024/,
    );
    network.dispose();
  });

  it('one image instead of an array', async () => {
    expectError(await rejection(() => model.network.run(chip as never)), InputError, /^run takes an array of inputs/);
  });

  describe('float tensors', () => {
    const { bytes, printout } = zoo('conv_variants');
    const tensor = (rows: number, cols: number) => ({ channels: 3, rows, cols, data: new Float32Array(3 * rows * cols) });

    it('NaN, infinity, a wrong length or channel count', async () => {
      const network = await loadNetwork(bytes, { printout });
      const nan = tensor(19, 23);
      nan.data[100] = NaN;
      expectError(await rejection(() => network.run([nan])), InputError, /^input 0 has a non-finite value \(NaN\) at index 100$/);
      const infinite = tensor(19, 23);
      infinite.data[0] = -Infinity;
      expectError(
        await rejection(() => network.run([tensor(19, 23), infinite])),
        InputError,
        /^input 1 has a non-finite value \(-Infinity\) at index 0$/,
      );
      expectError(
        await rejection(() => network.run([{ ...tensor(19, 23), data: new Float32Array(10) }])),
        InputError,
        /^input 0 holds 10 floats, expected 3x19x23 = 1311$/,
      );
      expectError(
        await rejection(() => network.run([{ ...tensor(19, 23), channels: 1 }])),
        InputError,
        /^input 0 has 1 channels; the input layer takes 3 \(RGB\)$/,
      );
      expectError(await rejection(() => network.run([tensor(2, 2)])), InputError, /^an input of 2x2 is too small: layer<\d+>/);
      expect((await network.run([tensor(19, 23)]))[0]).toHaveLength(8);
      network.dispose();
    });

    it('an input too large for WebAssembly memory is refused before growing it', async () => {
      // 1024 samples of 1024x1024 need far more than wasm32's 4 GiB.
      const network = await loadNetwork(bytes, { printout, batchSize: 1024 });
      const error = await rejection(() => network.run([rgb(1024, 1024)]));
      expectError(
        error,
        InputError,
        /^an input of 1024x1024 \(width x height\) in batches of 1024 has a layer output of 24576 MiB, more than WebAssembly's 4 GiB; use a smaller input or batchSize$/,
      );
      expect((await network.run([rgb(23, 19)]))[0]).toHaveLength(8);
      network.dispose();
    });
  });

  it('every call after dispose() is a DisposedError', async () => {
    const { bytes, printout } = zoo('conv_variants');
    const network = await loadNetwork(bytes, { printout });
    network.dispose();
    expectError(await rejection(() => network.run([rgb(23, 19)])), DisposedError, /disposed/);
    expectError(await rejection(() => network.layerOutputs(rgb(23, 19))), DisposedError, /disposed/);
    expectError(
      thrown(() => network.multiplyAdds(19, 23)),
      DisposedError,
      /disposed/,
    );

    const face = await loadFaceRecognitionModel(faceModelBytes());
    face.dispose();
    expectError(await rejection(() => face.computeFaceDescriptor(chip)), DisposedError, /disposed/);
    expectError(await rejection(() => face.computeFaceDescriptors([chip])), DisposedError, /disposed/);
  });
});
