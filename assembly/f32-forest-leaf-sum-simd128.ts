/**
 * Adds to `out` the leaf that `features` reach in each tree of a forest of
 * complete binary trees, tree after tree, every sum rounded to f32 (each lane
 * adds the leaves of its value in tree order, as a scalar loop would).
 *
 * Tree t's splits are splitStarts[t] to splitStarts[t + 1] (i32 indices), in
 * breadth-first order; split s sends the walk from node i to 2i + 1 where
 * features[a] - features[b] > thresholds[s] and to 2i + 2 otherwise, with
 * (a, b) the byte offsets at splitFeatureBytes[2s], [2s + 1] into `features`
 * (i32 values). The walk reaches node n >= splits: leaf n - splits, at float
 * leafStarts[t] + (n - splits) * leafLength of `leaves`. `leafLength` is a
 * multiple of 4; `leafAddresses` is scratch, an i32 per tree.
 *
 * Work: trees [treeStart, treeEnd).
 */
export function f32_forest_leaf_sum__simd128(
  features: usize, splitFeatureBytes: usize, thresholds: usize, splitStarts: usize, leafStarts: usize, leaves: usize,
  leafLength: i32, leafAddresses: usize, out: usize, treeStart: i32, treeEnd: i32,
): void {
  const leafBytes = <usize>leafLength << 2;
  // Every walk first, each step branchless (the comparison added as 0 or 1), then the sums.
  for (let t = treeStart; t < treeEnd; t++) {
    const base = load<i32>(splitStarts + (<usize>t << 2));
    const splits = load<i32>(splitStarts + (<usize>t << 2), 4) - base;
    let node = 0;
    while (node < splits) {
      const at = <usize>(base + node);
      const pair = splitFeatureBytes + (at << 3);
      const difference = load<i32>(features + <usize>load<i32>(pair)) - load<i32>(features + <usize>load<i32>(pair, 4));
      node = 2 * node + 1 + <i32>(difference <= load<i32>(thresholds + (at << 2)));
    }
    const leaf = leaves + (<usize>load<i32>(leafStarts + (<usize>t << 2)) << 2) + <usize>(node - splits) * leafBytes;
    store<i32>(leafAddresses + (<usize>t << 2), <i32>leaf);
  }
  // Eight leaves a pass: they lie far apart in memory, and reading several at once hides the waits.
  let t = treeStart;
  for (; t + 8 <= treeEnd; t += 8) {
    const at = leafAddresses + (<usize>t << 2);
    const l0 = <usize>load<i32>(at), l1 = <usize>load<i32>(at, 4), l2 = <usize>load<i32>(at, 8), l3 = <usize>load<i32>(at, 12);
    const l4 = <usize>load<i32>(at, 16), l5 = <usize>load<i32>(at, 20), l6 = <usize>load<i32>(at, 24), l7 = <usize>load<i32>(at, 28);
    for (let k: usize = 0; k < leafBytes; k += 16) {
      let v = f32x4.add(v128.load(out + k), v128.load(l0 + k));
      v = f32x4.add(f32x4.add(f32x4.add(v, v128.load(l1 + k)), v128.load(l2 + k)), v128.load(l3 + k));
      v = f32x4.add(f32x4.add(f32x4.add(f32x4.add(v, v128.load(l4 + k)), v128.load(l5 + k)), v128.load(l6 + k)), v128.load(l7 + k));
      v128.store(out + k, v);
    }
  }
  for (; t < treeEnd; t++) {
    const leaf = <usize>load<i32>(leafAddresses + (<usize>t << 2));
    for (let k: usize = 0; k < leafBytes; k += 16) v128.store(out + k, f32x4.add(v128.load(out + k), v128.load(leaf + k)));
  }
}
