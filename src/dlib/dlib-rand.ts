import { describeValue } from '../arguments.js';
import { InputError } from '../errors.js';

const N = 624;
const M = 397;
/** dlib's constructors and set_seed discard this many outputs ("prime the generator a bit"). */
const DISCARDED = 10_000;
const DEFAULT_SEED = 5489;
/** 0xFFFFFF * 0x1000000 + 0xFFFFFF + 0.05, in double: get_random_double's divisor. */
const DOUBLE_DIVISOR = 0xffffff * 0x1000000 + 0xffffff + 0.05;

/**
 * dlib::rand, bit for bit: MT19937 seeded as dlib does (5489, or a string's
 * hash h = h*37 + char), 10,000 outputs discarded, and dlib's derivations of
 * doubles, floats, ranges and Gaussians. Reproducing it is what makes jitter
 * and chinese whispers give dlib's exact results.
 */
export class DlibRand {
  private readonly state = new Uint32Array(N);
  private index = N;
  private cachedGaussian: number | undefined;

  /** A default-constructed dlib::rand, or one seeded with `set_seed(seed)`. */
  constructor(seed = '') {
    this.setSeed(seed);
  }

  /** dlib's `set_seed(std::string)`: the string's bytes are hashed as C++'s signed chars. */
  setSeed(seed: string): void {
    if (typeof seed !== 'string')
      throw new InputError(`a dlib::rand seed is a string (dlib's set_seed(std::string)), got ${describeValue(seed)}`);
    let hash = DEFAULT_SEED;
    if (seed !== '') {
      hash = 0;
      for (const byte of new TextEncoder().encode(seed)) {
        const signedChar = byte >= 0x80 ? byte - 256 : byte;
        hash = (Math.imul(hash, 37) + signedChar) >>> 0;
      }
    }
    this.state[0] = hash;
    for (let i = 1; i < N; i++) {
      const prev = this.state[i - 1] ^ (this.state[i - 1] >>> 30);
      this.state[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
    this.cachedGaussian = undefined;
    for (let i = 0; i < DISCARDED; i++) this.nextUint32();
  }

  private twist(): void {
    const s = this.state;
    for (let i = 0; i < N; i++) {
      const y = (s[i] & 0x80000000) | (s[(i + 1) % N] & 0x7fffffff);
      s[i] = s[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }

  /** `get_random_32bit_number()`. */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `get_random_64bit_number()`: the first draw is the high half. */
  nextUint64(): bigint {
    const high = BigInt(this.nextUint32());
    return (high << 32n) | BigInt(this.nextUint32());
  }

  /** `get_random_64bit_number() % n` for a small n, exactly, without BigInt. */
  nextUint64Modulo(n: number): number {
    if (!(n >= 1 && n <= 2 ** 26 && Number.isInteger(n)))
      throw new InputError(`nextUint64Modulo takes an integer n from 1 to 2^26 (exact without BigInt), got ${describeValue(n)}`);
    const high = this.nextUint32();
    const low = this.nextUint32();
    return ((high % n) * (2 ** 32 % n) + (low % n)) % n;
  }

  /** `get_random_double()`: 48 bits from two draws, in [0, 1). */
  nextDouble(): number {
    const high = this.nextUint32() & 0xffffff;
    const low = this.nextUint32() & 0xffffff;
    return (high * 16777216 + low) / DOUBLE_DIVISOR;
  }

  /** `get_random_float()`: 24 bits of one draw times 2^-24. */
  nextFloat(): number {
    return (this.nextUint32() & 0xffffff) * 2 ** -24;
  }

  /** `get_double_in_range(begin, end)`. */
  doubleInRange(begin: number, end: number): number {
    return begin + this.nextDouble() * (end - begin);
  }

  /** `get_integer_in_range(begin, end)`: end-exclusive, by rejection sampling as dlib does. */
  integerInRange(begin: number, end: number): number {
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || end < begin) {
      throw new InputError(`integerInRange takes integers begin <= end, got ${describeValue(begin)} and ${describeValue(end)}`);
    }
    if (begin === end) return begin;
    const range = BigInt(end - begin);
    const limit = (0xffffffffffffffffn / range) * range;
    let r = this.nextUint64();
    while (r >= limit) r = this.nextUint64();
    return begin + Number(r % range);
  }

  /**
   * `get_random_gaussian()`: Marsaglia's polar method. Bit-exact except where
   * the runtime's Math.log is not correctly rounded (V8's is off by an ulp in
   * a few percent of cases; jitter and chinese whispers use no Gaussians).
   */
  nextGaussian(): number {
    if (this.cachedGaussian !== undefined) {
      const cached = this.cachedGaussian;
      this.cachedGaussian = undefined;
      return cached;
    }
    let x1: number;
    let x2: number;
    let w: number;
    do {
      x1 = 2 * (this.nextUint32() / 4294967295) - 1;
      x2 = 2 * (this.nextUint32() / 4294967295) - 1;
      w = x1 * x1 + x2 * x2;
    } while (w >= 1);
    w = Math.sqrt((-2 * Math.log(w)) / w);
    this.cachedGaussian = x2 * w;
    return x1 * w;
  }
}
