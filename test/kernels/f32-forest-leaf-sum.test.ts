import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectExact, KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';
import { floats, random } from '../support/reference-conv.js';

// f32_forest_leaf_sum: each tree walked down by integer feature differences against integer
// thresholds, and its leaf added to out, tree after tree, every sum rounded to float32.

const f = Math.fround;

interface Tree {
  /** Per split: the two features it compares and its threshold. */
  splits: [number, number, number][];
  /** splits + 1 leaves of leafLength floats, one after another. */
  leaves: Float32Array;
}

/** The scalar loop: walk each tree, then add its leaf's values in float32. */
function reference(trees: Tree[], features: Int32Array, out: Float32Array, leafLength: number): Float32Array {
  const sum = Float32Array.from(out);
  for (const { splits, leaves } of trees) {
    let node = 0;
    while (node < splits.length) {
      const [a, b, threshold] = splits[node];
      node = features[a] - features[b] > threshold ? 2 * node + 1 : 2 * node + 2;
    }
    const leaf = node - splits.length;
    for (let k = 0; k < leafLength; k++) sum[k] = f(sum[k] + leaves[leaf * leafLength + k]);
  }
  return sum;
}

/** The kernel's arrays: feature byte offsets and thresholds per split, split and leaf starts per tree, the leaves. */
function place(h: KernelHarness, trees: Tree[]) {
  const splits = trees.flatMap((tree) => tree.splits);
  const splitStarts = [0];
  const leafStarts = [0];
  for (const tree of trees) {
    splitStarts.push(splitStarts[splitStarts.length - 1] + tree.splits.length);
    leafStarts.push(leafStarts[leafStarts.length - 1] + tree.leaves.length);
  }
  const leaves = new Float32Array(leafStarts[trees.length]);
  trees.forEach((tree, t) => leaves.set(tree.leaves, leafStarts[t]));
  return {
    splitFeatureBytes: h.i32(splits.flatMap(([a, b]) => [4 * a, 4 * b])),
    thresholds: h.i32(splits.map(([, , threshold]) => threshold)),
    splitStarts: h.i32(splitStarts),
    leafStarts: h.i32(leafStarts.slice(0, trees.length)),
    leaves: h.f32(leaves),
  };
}

function randomTree(depth: number, featureCount: number, leafLength: number, next: () => number): Tree {
  const index = () => Math.min(featureCount - 1, Math.floor(((next() + 1) / 2) * featureCount));
  const splits = Array.from({ length: 2 ** depth - 1 }, (): [number, number, number] => [index(), index(), Math.round(next() * 40)]);
  return { splits, leaves: floats(2 ** depth * leafLength, next) };
}

describe.each(KERNEL_BUILDS)('f32_forest_leaf_sum (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  it.each([
    { trees: 1, leafLength: 4, depths: [1] },
    { trees: 11, leafLength: 12, depths: [4] },
    { trees: 19, leafLength: 136, depths: [4, 1, 2, 0] },
  ])(
    '$trees trees of depths $depths, leaves of $leafLength, split in two calls: the scalar float32 sums',
    ({ trees, leafLength, depths }) => {
      const next = random(trees * 131 + leafLength);
      const featureCount = 37;
      const features = Int32Array.from({ length: featureCount }, () => Math.floor(((next() + 1) / 2) * 256));
      const forest = Array.from({ length: trees }, (_, t) => randomTree(depths[t % depths.length], featureCount, leafLength, next));
      const start = floats(leafLength, next);
      const placed = place(h, forest);
      const out = h.f32(start);
      const scratch = h.alloc(4 * trees);
      const call = (from: number, to: number) =>
        h.k.f32_forest_leaf_sum__simd128(
          h.i32(features),
          placed.splitFeatureBytes,
          placed.thresholds,
          placed.splitStarts,
          placed.leafStarts,
          placed.leaves,
          leafLength,
          scratch,
          out,
          from,
          to,
        );
      call(0, trees >> 1);
      call(trees >> 1, trees);
      h.expectGuardsIntact();
      expectExact(h.readF32(out, leafLength), reference(forest, features, start, leafLength));
    },
  );

  it('goes to 2i+1 only where the difference exceeds the threshold: equal goes to 2i+2', () => {
    // One split on features 0 and 1 (difference 5): threshold 4 takes leaf 0, threshold 5 leaf 1.
    const leaves = Float32Array.from([1, 1, 1, 1, 2, 2, 2, 2]);
    for (const [threshold, leaf] of [
      [4, 1],
      [5, 2],
    ]) {
      h.reset();
      const placed = place(h, [{ splits: [[0, 1, threshold]], leaves }]);
      const out = h.f32([0, 0, 0, 0]);
      h.k.f32_forest_leaf_sum__simd128(
        h.i32([7, 2]),
        placed.splitFeatureBytes,
        placed.thresholds,
        placed.splitStarts,
        placed.leafStarts,
        placed.leaves,
        4,
        h.alloc(4),
        out,
        0,
        1,
      );
      expect(Array.from(h.readF32(out, 4))).toEqual([leaf, leaf, leaf, leaf]);
    }
  });

  it('rounds each sum to float32 in tree order: 1 plus 2^-24 eight times stays 1', () => {
    const tiny = { splits: [], leaves: Float32Array.from([2 ** -24, 2 ** -24, 2 ** -24, 2 ** -24]) };
    const placed = place(h, Array(8).fill(tiny));
    const out = h.f32([1, 1, 1, 1]);
    h.k.f32_forest_leaf_sum__simd128(
      h.i32([0]),
      placed.splitFeatureBytes,
      placed.thresholds,
      placed.splitStarts,
      placed.leafStarts,
      placed.leaves,
      4,
      h.alloc(32),
      out,
      0,
      8,
    );
    expect(Array.from(h.readF32(out, 4))).toEqual([1, 1, 1, 1]);
  });
});
