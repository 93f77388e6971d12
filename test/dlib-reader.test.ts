import { describe, expect, it } from 'vitest';
import { DlibByteReader } from '../src/dlib/serialization.js';
import { faceRecognitionTopology, parsePrintout, readDlibNetwork } from '../src/index.js';
import { faceModelBytes, fixture, fixtureJson } from './support/helpers.js';

const bytes = (...b: number[]) => new Uint8Array(b);

describe('dlib primitives (serialize.h)', () => {
  it('reads variable-length sign-magnitude integers', () => {
    const r = new DlibByteReader(bytes(0x01, 0x02, 0x01, 0x96, 0x03, 0x00, 0x01, 0x09, 0x81, 0x18, 0x01, 0x00));
    expect([r.int('a'), r.int('b'), r.int('c'), r.int('d'), r.int('e')]).toEqual([2, 150, 590080, -24, 0]);
    expect(r.remaining).toBe(0);
  });

  it('reads mantissa-then-exponent reals as dlib writes them', () => {
    // 0.04f, 0.6f, 122.782f, 1.0 (double), 0.0 (double), then +inf and NaN.
    const r = new DlibByteReader(
      bytes(
        0x03,
        0x0a,
        0xd7,
        0xa3,
        0x81,
        0x1c,
        0x03,
        0x9a,
        0x99,
        0x99,
        0x81,
        0x18,
        0x03,
        0x62,
        0x90,
        0xf5,
        0x81,
        0x11,
        0x01,
        0x10,
        0x81,
        0x04,
        0x01,
        0x00,
        0x01,
        0x0b,
        0x01,
        0x00,
        0x02,
        0x00,
        0x7d,
        0x01,
        0x00,
        0x02,
        0x02,
        0x7d,
      ),
    );
    expect(r.real('a')).toBe(Math.fround(0.04));
    expect(r.real('b')).toBe(Math.fround(0.6));
    expect(r.real('c')).toBe(Math.fround(122.782));
    expect(r.real('d')).toBe(1);
    expect(r.real('e')).toBe(0);
    expect(r.real('f')).toBe(Infinity);
    expect(r.real('g')).toBeNaN();
  });

  it('reads strings, bools, tensors and alias tensors', () => {
    const r = new DlibByteReader(
      bytes(
        0x01,
        0x05,
        ...Array.from('con_5', (c) => c.charCodeAt(0)),
        0x31,
        0x30,
        0x01,
        0x02,
        0x01,
        0x01,
        0x01,
        0x02,
        0x01,
        0x01,
        0x01,
        0x01,
        0x00,
        0x00,
        0x80,
        0x3f,
        0x00,
        0x00,
        0x00,
        0xc0,
        0x01,
        0x01,
        0x01,
        0x01,
        0x01,
        0x20,
        0x01,
        0x01,
        0x01,
        0x01,
      ),
    );
    expect(r.string('tag')).toBe('con_5');
    expect([r.bool('x'), r.bool('y')]).toEqual([true, false]);
    const t = r.tensor('t');
    expect(t.shape).toEqual([1, 2, 1, 1]);
    expect(Array.from(t.data)).toEqual([1, -2]);
    expect(r.alias('alias')).toEqual([1, 32, 1, 1]);
  });
});

describe('dlib printout', () => {
  it("parses the face model's printout into the built-in topology", () => {
    const text = new TextDecoder().decode(fixture('dlib_face_recognition_resnet_model_v1.layers.txt'));
    const parsed = parsePrintout(text);
    const builtIn = faceRecognitionTopology();
    expect(parsed.layers).toHaveLength(130);
    expect(builtIn.layers.map((l) => [l.index, l.kind, l.id])).toEqual(parsed.layers.map((l) => [l.index, l.kind, l.id]));
    for (const [i, layer] of builtIn.layers.entries()) {
      for (const [name, value] of Object.entries(layer.params)) expect([i, name, parsed.layers[i].params[name]]).toEqual([i, name, value]);
    }
    expect(parsed.input).toMatchObject({ index: 131, kind: 'input_rgb_image_sized', params: { nr: '150', nc: '150' } });
    expect(parsed.input.means).toEqual(builtIn.input.means);
    expect(parsed.loss.kind).toBe('loss_metric');
  });

  it('reads tag, skip and add_prev ids and con options', () => {
    const t = parsePrintout(fixtureJson('zoo/add_prev_mismatch.json').dlib_printout);
    expect(t.layers.map((l) => `${l.kind}${l.id ?? ''}`)).toEqual([
      'fc',
      'avg_pool',
      'add_prev3',
      'con',
      'skip2',
      'tag3',
      'relu',
      'add_prev1',
      'con',
      'tag2',
      'tag1',
      'con',
    ]);
    const conv = parsePrintout(fixtureJson('zoo/conv_variants.json').dlib_printout);
    expect(conv.layers[2].params).toMatchObject({
      num_filters: '3',
      nr: '4',
      nc: '2',
      stride_y: '3',
      stride_x: '2',
      padding_y: '3',
      padding_x: '1',
    });
    expect(conv.layers[7].params.use_bias).toBe('false');
  });
});

describe('reading dlib .dat networks', () => {
  it('reads the face model: 29 convs, 29 affines, the fc and the input', () => {
    const net = readDlibNetwork(faceModelBytes());
    expect(net.loss).toEqual({ kind: 'loss_metric', margin: Math.fround(0.04), distanceThreshold: Math.fround(0.6) });
    expect(net.input).toEqual({
      kind: 'input_rgb_image',
      index: 131,
      mean: [122.782, 117.001, 104.298].map(Math.fround),
      rows: 150,
      cols: 150,
    });
    const count = (kind: string) => net.layers.filter((l) => l.kind === kind).length;
    expect([count('con'), count('affine'), count('fc'), count('add_prev'), count('tag'), count('skip')]).toEqual([29, 29, 1, 14, 18, 4]);
    const first = net.layers[0];
    expect(first).toMatchObject({
      kind: 'con',
      index: 130,
      offset: 0x14e,
      numFilters: 32,
      inputChannels: 3,
      kernelRows: 7,
      strideY: 2,
      padY: 0,
    });
    const fc = net.layers.at(-1)!;
    expect(fc).toMatchObject({ kind: 'fc', index: 1, numOutputs: 128, numInputs: 256, bias: null });
  });

  it.each(fixtureJson<{ nets: string[] }>('zoo/index.json').nets)('reads zoo net %s with its printout', (name) => {
    const json = fixtureJson(`zoo/${name}.json`);
    const net = readDlibNetwork(fixture(`zoo/${name}.dat`), { printout: json.dlib_printout });
    const printed = parsePrintout(json.dlib_printout);
    expect(net.layers.map((l) => l.index)).toEqual(printed.layers.map((l) => l.index).reverse());
    expect(net.input.index).toBe(printed.input.index);
  });

  it('takes fc_no_bias, fc with use_bias=false and disabled affine as dlib does', () => {
    const fc = readDlibNetwork(fixture('zoo/fc_variants.dat'), { printout: fixtureJson('zoo/fc_variants.json').dlib_printout });
    expect(fc.layers.filter((l) => l.kind === 'fc').map((l) => (l.kind === 'fc' ? l.bias !== null : null))).toEqual([false, false, true]);
    expect(fc.input.mean).toEqual([100.5, 50.25, 200]);
    const fused = readDlibNetwork(fixture('zoo/residual_mini_fused.dat'), {
      printout: fixtureJson('zoo/residual_mini_fused.json').dlib_printout,
    });
    expect(fused.layers.filter((l) => l.kind === 'affine').every((l) => l.kind === 'affine' && l.disabled && l.gamma.length === 0)).toBe(
      true,
    );
  });
});
