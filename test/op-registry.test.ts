import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readDlibNetwork } from '../src/dlib/network-reader.js';
import type { LayerKind } from '../src/dlib/network-description.js';
import { UnsupportedLayerError } from '../src/errors.js';
import { buildExecutionPlan } from '../src/plan/execution-plan.js';
import { buildGraph, fuseGraph } from '../src/plan/graph.js';
import { layerOp } from '../src/plan/layer-ops.js';
import type { GraphOp } from '../src/plan/ops/op-lowering.js';
import { OP_LOWERINGS } from '../src/plan/ops/registry.js';
import { faceModelBytes, thrown } from './support/helpers.js';

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
  multiply: 'refused',
  concat: 'refused',
} as const satisfies Record<LayerKind, GraphOp | 'none' | 'refused'>;

describe('the op registry', () => {
  it.each(Object.entries(PLANNED))('plans %s as %s, or refuses it with an UnsupportedLayerError naming the layer', (kind, expected) => {
    const layer = { kind: kind as LayerKind, index: 7 };
    if (expected !== 'refused') {
      const op = layerOp(layer);
      expect(op).toBe(expected);
      if (op !== 'none') expect(OP_LOWERINGS[op].op).toBe(op);
      return;
    }
    const error = thrown(() => layerOp(layer));
    expect([error instanceof UnsupportedLayerError, (error as UnsupportedLayerError).layerIndex, (error as Error).message]).toEqual([
      true,
      7,
      `layer<7>: ${kind} cannot be run yet`,
    ]);
  });

  it('has a lowering for every graph op, each reached by a layer kind', () => {
    const reached = new Set<string>(Object.values(PLANNED));
    expect(Object.keys(OP_LOWERINGS).sort()).toEqual(['add', 'conv', 'fc', 'pool', 'relu', 'scale_shift']);
    expect(Object.keys(OP_LOWERINGS).filter((op) => !reached.has(op))).toEqual([]);
  });

  it('plans the face model with each constant described once and every step referring only to those', () => {
    const graph = buildGraph(readDlibNetwork(faceModelBytes()), 150, 150);
    const unfused = buildExecutionPlan(graph, { batch: 1, keepAll: true, constantKey: 'layers' });
    const fused = buildExecutionPlan(fuseGraph(graph), { batch: 8, constantKey: 'fused' });
    expect(new Set(graph.nodes.map((node) => node.op))).toEqual(new Set(Object.keys(OP_LOWERINGS)));
    for (const plan of [unfused, fused]) {
      const keys = plan.constants.map((c) => c.key);
      const referred = new Set(
        plan.steps.flatMap((step) => step.args.flatMap((a) => (typeof a === 'object' && 'constant' in a ? [a.constant] : []))),
      );
      expect(new Set(keys).size).toBe(keys.length);
      expect([...referred].sort()).toEqual([...keys].sort());
    }
    // The Winograd filter pack is a kernel call the engine runs, described here, not run.
    const winograd = fused.constants.find((c) => c.key.endsWith(':winograd:w'));
    const source = winograd?.make();
    const call =
      source && 'pack' in source
        ? source.pack(
            1 << 20,
            source.inputs.map((_, i) => (2 + i) << 20),
          )
        : undefined;
    expect(call?.kernel).toBe('f32_winograd_2x2_3x3_filter_pack');
    // Filters, filter count, channels, the folded affine's scale, the target.
    expect(call?.args.slice(0, 5)).toEqual([2 << 20, 32, 32, 3 << 20, 1 << 20]);
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
