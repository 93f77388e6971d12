import { describe, expect, it } from 'vitest';
import { evaluate, parsePairs } from '../scripts/lfw/protocol.mjs';
import { descriptorDistance } from '../src/index.js';
import { fixture, fixtureJson } from './support/helpers.js';

describe('LFW protocol', () => {
  it("scores dlib's own LFW descriptors exactly as dlib's run did (both accuracies, every tuned threshold)", () => {
    const images = new TextDecoder().decode(fixture('lfw/images.txt')).trim().split('\n');
    const bytes = fixture('lfw/descriptors_sp5.f32');
    const all = new Float32Array(bytes.slice().buffer);
    const descriptor = new Map(images.map((name, i) => [name, all.subarray(i * 128, i * 128 + 128)]));
    const { folds, pairs } = parsePairs(new TextDecoder().decode(fixture('lfw/pairs.txt')));
    expect([folds, pairs.length]).toEqual([10, 6000]);
    const distances = pairs.map((p: { a: string; b: string }) => descriptorDistance(descriptor.get(p.a)!, descriptor.get(p.b)!));
    const result = evaluate(pairs, distances, folds);
    const reference = fixtureJson('lfw/results.json').sp5;
    expect(result.fixed.perFold).toEqual(reference['fixed_threshold_0.6'].per_fold);
    expect(result.fixed.mean).toBeCloseTo(reference['fixed_threshold_0.6'].mean, 12);
    expect(result.tuned.perFold).toEqual(reference.threshold_tuned_on_other_9_folds.per_fold);
    result.tuned.thresholds.forEach((t: number, f: number) => {
      expect(t).toBeCloseTo(reference.threshold_tuned_on_other_9_folds.thresholds[f], 7);
    });
  });
});
