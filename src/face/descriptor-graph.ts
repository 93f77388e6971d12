import { InputError } from '../errors.js';
import { describeValue } from '../arguments.js';
import { checkDistanceThreshold, copyDescriptorValues, SAME_PERSON_THRESHOLD } from './descriptor-distance.js';
import { MAX_CLUSTER_EDGES, MAX_CLUSTER_NODES, tooManyEdges, type Edge, type EdgeArrays } from './sparse-graph.js';

/** Whether `value` can be read as a descriptor: an array or typed array (anything indexed with a length). */
function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { length?: unknown }).length === 'number';
}

/** Most values all descriptors may hold together (4 GB as float32). */
const MAX_PACKED_VALUES = 2 ** 30;

/** Descriptors row after row in one Float32Array, as float32 as dlib's are. */
export interface PackedDescriptors {
  values: Float32Array;
  count: number;
  length: number;
}

/** Packs the descriptors, each checked: an array of the first one's length, of finite float32 values. */
export function packDescriptors(descriptors: unknown): PackedDescriptors {
  if (!Array.isArray(descriptors))
    throw new InputError(`descriptors must be an array of descriptors (Float32Array or number[]), got ${describeValue(descriptors)}`);
  const count = descriptors.length;
  if (count > MAX_CLUSTER_NODES) throw new InputError(`${count} descriptors are more than MAX_CLUSTER_NODES (2^24 = ${MAX_CLUSTER_NODES})`);
  if (count === 0) return { values: new Float32Array(0), count, length: 0 };
  const checked = (i: number): ArrayLike<unknown> => {
    const descriptor: unknown = descriptors[i];
    if (!isArrayLike(descriptor) || !Number.isInteger(descriptor.length) || descriptor.length === 0) {
      throw new InputError(`descriptors[${i}] is ${describeValue(descriptor)}, not a descriptor (Float32Array or number[])`);
    }
    return descriptor;
  };
  const { length } = checked(0);
  if (count * length > MAX_PACKED_VALUES) throw new InputError(`${count} descriptors of ${length} values are more than 2^30 values in all`);
  const values = new Float32Array(count * length);
  for (let i = 0; i < count; i++) {
    const descriptor = checked(i);
    if (descriptor.length !== length)
      throw new InputError(`descriptors[${i}] has ${descriptor.length} values, descriptors[0] has ${length}: all must be the same length`);
    copyDescriptorValues(descriptor, values, i * length, `descriptors[${i}]`);
  }
  return { values, count, length };
}

/** Elements summed between checks for an early end: every pair is decided past a threshold. */
const BLOCK = 16;

/**
 * The pairs (i, j), i <= j, of descriptors closer than `threshold`, in order of
 * i then j: the graph of dlib's dnn_face_recognition_ex, each face joined to
 * itself too (its own label then gets a vote). Pairs are decided by dlib's
 * float32 `length(a - b)` < threshold. Squares are summed in double, four
 * pairs at a time so that the sums overlap, a block of four ending once all
 * are clearly past the threshold; only sums too close to call (those within
 * float32's rounding of the threshold) are summed again in float32, in
 * dlib's order.
 */
export function closePairs({ values, count, length }: PackedDescriptors, threshold: number): EdgeArrays {
  const pairs = new GrowingPairs(count);
  const { below, above } = decisiveSums(threshold, length);
  const join = (i: number, j: number, sum: number) => {
    if (sum < below || (sum <= above && float32Distance(values, i * length, j * length, length) < threshold)) pairs.push(i, j);
  };
  for (let i = 0; i < count; i++) {
    // d(i, i) is exactly 0, below any valid (positive) threshold.
    pairs.push(i, i);
    const a = i * length;
    let j = i + 1;
    for (; j + 4 <= count; j += 4) {
      const b0 = j * length;
      const b1 = b0 + length;
      const b2 = b1 + length;
      const b3 = b2 + length;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k0 = 0; k0 < length; k0 += BLOCK) {
        const k1 = Math.min(k0 + BLOCK, length);
        for (let k = k0; k < k1; k++) {
          const x = values[a + k];
          const d0 = x - values[b0 + k];
          const d1 = x - values[b1 + k];
          const d2 = x - values[b2 + k];
          const d3 = x - values[b3 + k];
          s0 += d0 * d0;
          s1 += d1 * d1;
          s2 += d2 * d2;
          s3 += d3 * d3;
        }
        if (s0 > above && s1 > above && s2 > above && s3 > above) break;
      }
      join(i, j, s0);
      join(i, j + 1, s1);
      join(i, j + 2, s2);
      join(i, j + 3, s3);
    }
    for (; j < count; j++) {
      const b = j * length;
      let s = 0;
      for (let k = 0; k < length; k++) {
        const d = values[a + k] - values[b + k];
        s += d * d;
      }
      join(i, j, s);
    }
  }
  return pairs.arrays();
}

/**
 * Bounds on a double sum of squares (within (length + 2) * 2^-53 of the true
 * sum) that decide the float32 comparison for sure: dlib's float32 sum is
 * within (length + 2) * 2^-24 of the true sum (plus 2^-150 a square for
 * underflow) and its square root and rounding add 2^-24 each; the margin is
 * twice that. Thresholds so small or large that float32 leaves its normal
 * range decide every pair in float32.
 */
function decisiveSums(threshold: number, length: number): { below: number; above: number } {
  if (!(threshold >= 2 ** -60 && threshold <= 2 ** 60)) return { below: -1, above: Infinity };
  const margin = 2 * (length + 4) * 2 ** -24;
  const underflow = length * 2 ** -149;
  const squared = threshold * threshold;
  return { below: squared * (1 - margin) - underflow, above: squared * (1 + margin) + underflow };
}

/** dlib's `length(a - b)` on float32 descriptors: float32 differences, squares and sums, in order. */
export function float32Distance(values: Float32Array, a: number, b: number, length: number): number {
  const f = Math.fround;
  let sum = 0;
  for (let k = 0; k < length; k++) {
    const d = f(values[a + k] - values[b + k]);
    sum = f(sum + f(d * d));
  }
  return f(Math.sqrt(sum));
}

/** Pairs in typed arrays that double as they fill, up to MAX_CLUSTER_EDGES. */
class GrowingPairs {
  private first: Int32Array;
  private second: Int32Array;
  private count = 0;

  constructor(expected: number) {
    this.first = new Int32Array(Math.max(expected, 16));
    this.second = new Int32Array(this.first.length);
  }

  push(i: number, j: number): void {
    if (this.count === this.first.length) this.grow();
    this.first[this.count] = i;
    this.second[this.count++] = j;
  }

  private grow(): void {
    if (this.count === MAX_CLUSTER_EDGES) throw tooManyEdges('the graph of descriptors closer than the threshold');
    const capacity = Math.min(this.count * 2, MAX_CLUSTER_EDGES);
    const first = new Int32Array(capacity);
    const second = new Int32Array(capacity);
    first.set(this.first);
    second.set(this.second);
    this.first = first;
    this.second = second;
  }

  arrays(): EdgeArrays {
    return { first: this.first, second: this.second, count: this.count };
  }
}

/**
 * The graph of dlib's dnn_face_recognition_ex as edges: one between every two
 * faces closer than the threshold, and from each face to itself.
 */
export function descriptorGraph(descriptors: ArrayLike<number>[], threshold = SAME_PERSON_THRESHOLD): Edge[] {
  const { first, second, count } = closePairs(packDescriptors(descriptors), checkDistanceThreshold(threshold, 'threshold'));
  return Array.from({ length: count }, (_, e): Edge => [first[e], second[e]]);
}
