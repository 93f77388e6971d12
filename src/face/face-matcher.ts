import { describeValue, optionsObject } from '../arguments.js';
import type { WasmSource } from '../engine/kernels.js';
import { DisposedError, InputError } from '../errors.js';
import { DescriptorBlocks } from './descriptor-blocks.js';
import { checkDistanceThreshold, copyDescriptorValues, SAME_PERSON_THRESHOLD } from './descriptor-distance.js';
import { DESCRIPTOR_LENGTH } from './face-recognition-model.js';

/** The name a match beyond the tolerance gets, as face_recognition's CLI prints it. */
export const UNKNOWN_PERSON = 'unknown_person';

/** The nearest known face's name (or UNKNOWN_PERSON beyond the tolerance) and its distance. */
export interface FaceMatch {
  name: string;
  /** dlib's float32 `length(a - b)`: exactly descriptorDistance(descriptor, nearest). Infinity with nothing known. */
  distance: number;
}

/** A FaceMatcher as JSON: a name per descriptor, in the order they were added. */
export interface FaceMatcherJSON {
  version: 1;
  names: string[];
  descriptors: number[][];
}

export interface FaceMatcherOptions {
  wasm?: WasmSource;
}

/** A descriptor argument copied to float32, or an InputError naming `what`. */
function checkedDescriptor(value: unknown, what: string): Float32Array {
  const length = (value as { length?: unknown } | null)?.length;
  if (typeof value !== 'object' || value === null || length !== DESCRIPTOR_LENGTH) {
    throw new InputError(
      `${what} must be a descriptor of ${DESCRIPTOR_LENGTH} numbers (Float32Array or number[]), got ${describeValue(value)}`,
    );
  }
  const descriptor = new Float32Array(DESCRIPTOR_LENGTH);
  copyDescriptorValues(value as ArrayLike<unknown>, descriptor, 0, what);
  return descriptor;
}

function checkedName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new InputError(`${what} must be a non-empty string, got ${describeValue(name)}`);
  return name;
}

/**
 * Known faces by name, for telling who an unknown face is: the nearest known
 * descriptor's name, if it is within the tolerance. A person may have several
 * descriptors. The descriptors live in WebAssembly memory, and a query's
 * distances to all of them are one SIMD kernel call, each exactly dlib's
 * float32 `length(a - b)` (descriptorDistance's value).
 */
export class FaceMatcher {
  private readonly names: string[] = [];
  private disposed = false;

  private constructor(private readonly blocks: DescriptorBlocks) {}

  /** An empty matcher; its kernels are compiled once per process. */
  static async create(options?: FaceMatcherOptions): Promise<FaceMatcher> {
    options = optionsObject(options, "FaceMatcher.create's options");
    return new FaceMatcher(await DescriptorBlocks.create(DESCRIPTOR_LENGTH, options.wasm ?? {}));
  }

  /** A matcher of what `toJSON` gave (checked: version 1, a name per descriptor, descriptors of 128 finite numbers). */
  static async fromJSON(json: unknown, options?: FaceMatcherOptions): Promise<FaceMatcher> {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new InputError(`FaceMatcher.fromJSON takes { version: 1, names, descriptors }, got ${describeValue(json)}`);
    }
    const { version, names, descriptors } = json as Partial<Record<keyof FaceMatcherJSON, unknown>>;
    if (version !== 1)
      throw new InputError(`FaceMatcher JSON of version ${describeValue(version)} is not known: this library reads version 1`);
    if (!Array.isArray(names) || !Array.isArray(descriptors) || names.length !== descriptors.length) {
      throw new InputError(
        `FaceMatcher JSON needs arrays names and descriptors of one length, got ${describeValue(names)} and ${describeValue(descriptors)}`,
      );
    }
    const checked = descriptors.map((d, i) => checkedDescriptor(d, `descriptors[${i}]`));
    names.forEach((name, i) => checkedName(name, `names[${i}]`));
    const matcher = await FaceMatcher.create(options);
    checked.forEach((descriptor, i) => matcher.addChecked(names[i] as string, descriptor));
    return matcher;
  }

  /** How many descriptors it knows. */
  get size(): number {
    return this.names.length;
  }

  /** Adds a known face: `name`'s descriptor (128 finite numbers). */
  add(name: string, descriptor: ArrayLike<number>): void {
    this.live();
    this.addChecked(checkedName(name, 'name'), checkedDescriptor(descriptor, 'descriptor'));
  }

  /**
   * The nearest known descriptor's name and distance, or UNKNOWN_PERSON and
   * that distance when it is beyond `tolerance` (a face within it, `distance
   * <= tolerance`, matches, as in face_recognition); UNKNOWN_PERSON and
   * Infinity when nothing is known. Of equally near descriptors, the first added wins.
   */
  findBestMatch(descriptor: ArrayLike<number>, tolerance = SAME_PERSON_THRESHOLD): FaceMatch {
    this.live();
    return this.match(checkedDescriptor(descriptor, 'descriptor'), checkDistanceThreshold(tolerance, 'tolerance'));
  }

  /** findBestMatch for each descriptor. */
  findBestMatches(descriptors: ArrayLike<number>[], tolerance = SAME_PERSON_THRESHOLD): FaceMatch[] {
    this.live();
    if (!Array.isArray(descriptors)) throw new InputError(`descriptors must be an array of descriptors, got ${describeValue(descriptors)}`);
    const checked = descriptors.map((d, i) => checkedDescriptor(d, `descriptors[${i}]`));
    const limit = checkDistanceThreshold(tolerance, 'tolerance');
    return checked.map((d) => this.match(d, limit));
  }

  /** `{ version: 1, names, descriptors }`: JSON.stringify gives it, FaceMatcher.fromJSON reads it back exactly. */
  toJSON(): FaceMatcherJSON {
    this.live();
    const descriptors = this.names.map((_, r) => Array.from(this.blocks.row(r)));
    return { version: 1, names: this.names.slice(), descriptors };
  }

  /** Frees the WebAssembly memory; any later call throws DisposedError. */
  dispose(): void {
    this.disposed = true;
    this.blocks.dispose();
  }

  private live(): void {
    if (this.disposed) throw new DisposedError('the face matcher has been disposed');
  }

  private addChecked(name: string, descriptor: Float32Array): void {
    this.blocks.add(descriptor);
    this.names.push(name);
  }

  private match(descriptor: Float32Array, tolerance: number): FaceMatch {
    const count = this.names.length;
    if (count === 0) return { name: UNKNOWN_PERSON, distance: Infinity };
    const distances = this.blocks.distances(descriptor);
    let best = 0;
    for (let r = 1; r < count; r++) if (distances[r] < distances[best]) best = r;
    const distance = distances[best];
    return { name: distance <= tolerance ? this.names[best] : UNKNOWN_PERSON, distance };
  }
}
