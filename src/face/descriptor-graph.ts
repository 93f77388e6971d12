import { InputError } from '../errors.js';
import { describeValue } from './describe-value.js';
import { isArrayLike, SAME_PERSON_THRESHOLD } from './descriptor-distance.js';
import { MAX_CLUSTER_EDGES, MAX_CLUSTER_NODES, tooManyEdges, type Edge, type EdgeArrays } from './sparse-graph.js';

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
  if (!Array.isArray(descriptors)) throw new InputError(`descriptors must be an array of descriptors (Float32Array or number[]), got ${describeValue(descriptors)}`);
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
    if (descriptor.length !== length) throw new InputError(`descriptors[${i}] has ${descriptor.length} values, descriptors[0] has ${length}: all must be the same length`);
    const at = i * length;
    for (let k = 0; k < length; k++) {
      const value = descriptor[k];
      values[at + k] = value as number;
      if (typeof value !== 'number' || !Number.isFinite(values[at + k])) {
        throw new InputError(`descriptors[${i}][${k}] is ${describeValue(value)}, not a finite float32`);
      }
    }
  }
  return { values, count, length };
}

/**
 * The pairs (i, j), i <= j, of descriptors closer than `threshold`, in order of
 * i then j: the graph of dlib's dnn_face_recognition_ex, each face joined to
 * itself too (its own label then gets a vote). Distances are dlib's float32
 * `length(a - b)`, summed in order, four pairs at a time so that their
 * dependent float32 sums overlap instead of waiting on each other.
 */
export function closePairs({ values, count, length }: PackedDescriptors, threshold: number): EdgeArrays {
  const pairs = new GrowingPairs(count);
  const f = Math.fround;
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
      for (let k = 0; k < length; k++) {
        const x = values[a + k];
        const d0 = f(x - values[b0 + k]);
        const d1 = f(x - values[b1 + k]);
        const d2 = f(x - values[b2 + k]);
        const d3 = f(x - values[b3 + k]);
        s0 = f(s0 + f(d0 * d0));
        s1 = f(s1 + f(d1 * d1));
        s2 = f(s2 + f(d2 * d2));
        s3 = f(s3 + f(d3 * d3));
      }
      if (f(Math.sqrt(s0)) < threshold) pairs.push(i, j);
      if (f(Math.sqrt(s1)) < threshold) pairs.push(i, j + 1);
      if (f(Math.sqrt(s2)) < threshold) pairs.push(i, j + 2);
      if (f(Math.sqrt(s3)) < threshold) pairs.push(i, j + 3);
    }
    for (; j < count; j++) {
      const b = j * length;
      let s = 0;
      for (let k = 0; k < length; k++) {
        const d = f(values[a + k] - values[b + k]);
        s = f(s + f(d * d));
      }
      if (f(Math.sqrt(s)) < threshold) pairs.push(i, j);
    }
  }
  return pairs.arrays();
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

/** Checks a distance threshold: positive and finite. */
export function checkThreshold(threshold: unknown): number {
  if (typeof threshold !== 'number' || !(threshold > 0) || !Number.isFinite(threshold)) {
    throw new InputError(`threshold must be a positive finite distance (dlib's is ${SAME_PERSON_THRESHOLD}), got ${describeValue(threshold)}`);
  }
  return threshold;
}

/**
 * The graph of dlib's dnn_face_recognition_ex as edges: one between every two
 * faces closer than the threshold, and from each face to itself.
 */
export function descriptorGraph(descriptors: ArrayLike<number>[], threshold = SAME_PERSON_THRESHOLD): Edge[] {
  const { first, second, count } = closePairs(packDescriptors(descriptors), checkThreshold(threshold));
  return Array.from({ length: count }, (_, e): Edge => [first[e], second[e]]);
}
