import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readDlibNetwork } from '../src/dlib/network-reader.js';
import type { LayerKind, NetworkDescription } from '../src/dlib/network-description.js';
import { DatFormatError, UnsupportedLayerError } from '../src/errors.js';
import { buildExecutionPlan } from '../src/plan/execution-plan.js';
import { buildGraph, fuseGraph } from '../src/plan/graph.js';
import { layerOp } from '../src/plan/layer-ops.js';
import type { GraphOp } from '../src/plan/ops/op-lowering.js';
import { OP_LOWERINGS } from '../src/plan/ops/registry.js';
import { faceModelBytes, fixture, thrown } from './support/helpers.js';

/** Every layer kind the reader describes, and what the planner makes of it (satisfies: a new kind must be listed). */
const PLANNED = {
  con: 'conv',
  fc: 'fc',
  max_pool: 'pool',
  avg_pool: 'pool',
  add_prev: 'add',
  affine: 'scale_shift',
  bn: 'scale_shift',
  relu: 'relu',
  tag: 'none',
  skip: 'none',
  multiply: 'scale_shift',
  concat: 'concat',
} as const satisfies Record<LayerKind, GraphOp | 'none'>;

describe('the op registry', () => {
  it.each(Object.entries(PLANNED))('plans %s as %s', (kind, expected) => {
    const op = layerOp({ kind: kind as LayerKind, index: 7 });
    expect(op).toBe(expected);
    if (op !== 'none') expect(OP_LOWERINGS[op].op).toBe(op);
  });

  it('refuses a kind it has no op for with an UnsupportedLayerError naming the layer', () => {
    const error = thrown(() => layerOp({ kind: 'l2normalize' as LayerKind, index: 7 }));
    expect([error instanceof UnsupportedLayerError, (error as UnsupportedLayerError).layerIndex, (error as Error).message]).toEqual([
      true,
      7,
      'layer<7>: l2normalize cannot be run yet',
    ]);
  });

  it('has a lowering for every graph op, each reached by a layer kind', () => {
    const reached = new Set<string>(Object.values(PLANNED));
    expect(Object.keys(OP_LOWERINGS).sort()).toEqual(['add', 'concat', 'conv', 'fc', 'pool', 'relu', 'scale_shift']);
    expect(Object.keys(OP_LOWERINGS).filter((op) => !reached.has(op))).toEqual([]);
  });

  it('plans the face model with each constant described once and every step referring only to those', () => {
    const graph = buildGraph(readDlibNetwork(faceModelBytes()), 150, 150);
    const unfused = buildExecutionPlan(graph, { batch: 1, keepAll: true, constantKey: 'layers' });
    const fused = buildExecutionPlan(fuseGraph(graph), { batch: 8, constantKey: 'fused' });
    expect(new Set(graph.nodes.map((node) => node.op))).toEqual(new Set(Object.keys(OP_LOWERINGS).filter((op) => op !== 'concat')));
    for (const plan of [unfused, fused]) {
      const keys = plan.constants.map((c) => c.key);
      const referred = new Set(
        plan.steps.flatMap((step) => step.args.flatMap((a) => (typeof a === 'object' && 'constant' in a ? [a.constant] : []))),
      );
      expect(new Set(keys).size).toBe(keys.length);
      expect([...referred].sort()).toEqual([...keys].sort());
    }
    // The Winograd filter pack is a kernel call the engine runs, described here, not run.
    const winograd = fused.constants.find((c) => /:winograd-\d:w$/.test(c.key));
    const source = winograd?.make();
    const call =
      source && 'pack' in source
        ? source.pack(
            1 << 20,
            source.inputs.map((_, i) => (2 + i) << 20),
          )
        : undefined;
    expect(call?.kernel).toBe('f32_winograd_filter_pack');
    // 8x8 tiles (the 32-channel layers' 6x6 output tiles), 3x3 filters, the filters, filter count, channels, the folded affine's scale, the target.
    expect(call?.args.slice(0, 7)).toEqual([8, 3, 2 << 20, 32, 32, 3 << 20, 1 << 20]);
  });
});

describe('the graph of multiply and concat', () => {
  const name = 'dnn_gender_classifier_v1';
  const gender = () =>
    readDlibNetwork(fixture(`dlib-models/${name}.dat`), {
      printout: new TextDecoder().decode(fixture(`dlib-models/${name}.printout.txt`)),
    });
  const fusedOps = (net: NetworkDescription) =>
    fuseGraph(buildGraph(net, 32, 32)).nodes.map((node) => (node.op === 'fc' ? `fc<${node.layer.index}>` : node.op));

  it("folds the gender net's multiply after relu<fc> into the fc, and keeps the one after the avg_pool", () => {
    const ops = fusedOps(gender());
    expect(ops.slice(-4)).toEqual(['pool', 'scale_shift', 'fc<4>', 'fc<1>']);
    const fc = fuseGraph(buildGraph(gender(), 32, 32)).nodes.find((node) => node.op === 'fc' && node.layer.index === 4);
    expect(fc?.op === 'fc' && [fc.relu, [...fc.scale!], [...fc.shift!]]).toEqual([true, new Array(16).fill(0.5), new Array(16).fill(0)]);
  });

  it('keeps a multiply by a negative value after a relu: relu(z) * g is not relu(z * g) then', () => {
    const net = gender();
    const multiply = net.layers.find((layer) => layer.index === 2);
    if (multiply?.kind !== 'multiply') throw new Error('layer<2> of the gender net is its multiply');
    multiply.value = -0.5;
    expect(fusedOps(net).slice(-3)).toEqual(['fc<4>', 'scale_shift', 'fc<1>']);
  });

  it("copies each DenseNet block's tags into one concat, which takes no affine or relu", () => {
    const name = 'face_recognition_densenet_model_v1';
    const net = readDlibNetwork(fixture(`dlib-models/${name}.dat`), {
      printout: new TextDecoder().decode(fixture(`dlib-models/${name}.printout.txt`)),
    });
    const graph = fuseGraph(buildGraph(net, 150, 150));
    const concats = graph.nodes.filter((node) => node.op === 'concat');
    expect(concats).toHaveLength(29);
    expect(concats.map((node) => node.inputs.map((t) => graph.shapes[t].c)).slice(0, 3)).toEqual([
      [32, 16],
      [48, 16],
      [64, 16],
    ]);
    const after = graph.nodes[graph.nodes.indexOf(concats[0]) + 1];
    expect([after.op, after.op === 'scale_shift' && after.relu]).toEqual(['scale_shift', true]);
  });
});

describe('concat refuses what dlib cannot concatenate', () => {
  const at = (index: number) => ({ index, offset: 100 + index });
  const net = (tags: number[]): NetworkDescription => ({
    loss: { kind: 'loss_multiclass_log' },
    input: { kind: 'input_rgb_image', index: 5, mean: [0, 0, 0] },
    layers: [
      { kind: 'tag', id: 1, ...at(4) },
      { kind: 'max_pool', windowRows: 2, windowCols: 2, strideY: 2, strideX: 2, padY: 0, padX: 0, ...at(3) },
      { kind: 'tag', id: 2, ...at(2) },
      { kind: 'concat', tags, ...at(1) },
    ],
  });

  it('tensors of different sizes: a DatFormatError at the concat', () => {
    const error = thrown(() => buildGraph(net([1, 2]), 8, 6));
    expect([error instanceof DatFormatError, (error as DatFormatError).layerIndex, (error as Error).message]).toEqual([
      true,
      1,
      'concat of tags 1, 2 gets 8x6 and 4x3 pixels; dlib concatenates channels of tensors of one size (in layer<1> at byte 101)',
    ]);
  });

  it('a tag that is not below it: a DatFormatError naming it', () => {
    const error = thrown(() => buildGraph(net([2, 3]), 8, 6));
    expect([error instanceof DatFormatError, (error as Error).message]).toEqual([
      true,
      'concat has no tag3 below it (in layer<1> at byte 101)',
    ]);
  });

  it('one tag twice: its channels twice', () => {
    const graph = buildGraph(net([2, 2]), 8, 6);
    expect([graph.nodes.at(-1)!.op, graph.shapes[graph.output]]).toEqual(['concat', { c: 6, h: 4, w: 3 }]);
  });
});

describe('src/plan/', () => {
  it('imports nothing from src/engine/ but types: planning computes what to place, the engine places it', () => {
    const root = fileURLToPath(new URL('../src/plan/', import.meta.url));
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('ops/conv.ts');
    const valueImports = files.flatMap((file) => {
      const source = readFileSync(`${root}${file}`, 'utf8');
      const statements = source.match(/^(?:import|export)\b[^;]*?from\s+'[^']*';/gms) ?? [];
      return statements
        .filter((s) => /from\s+'(?:\.\.\/)+engine\//.test(s) && !/^(?:import|export)\s+type\b/.test(s))
        .map((s) => `${file}: ${s}`);
    });
    expect(valueImports).toEqual([]);
  });
});
