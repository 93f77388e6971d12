import { DatFormatError, InputError } from '../errors.js';

/** A dlib tensor read from a file: NCHW shape and its float32 values. */
export interface DlibTensor {
  shape: [number, number, number, number];
  data: Float32Array;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export type AliasShape = [number, number, number, number];

/** 2^-255 to 2^255: the scales of reals whose exponent is one byte (finiteReals). */
const POWERS_OF_TWO = Float64Array.from({ length: 511 }, (_, i) => 2 ** (i - 255));

/** The only strings in a net are version tags: a longer length is a corrupt size field, not a string to build. */
const MAX_STRING_LENGTH = 256;

/**
 * Reads the primitives of dlib's `serialize.h` from bytes in memory. Every
 * failure is a DatFormatError naming the byte offset and, once set, the
 * dlib layer index being read; every size field is checked against the bytes
 * that are left before anything is allocated.
 */
export class DlibByteReader {
  readonly bytes: Uint8Array;
  offset = 0;
  /** dlib's `layer<i>` index of the payload being read, for error messages. */
  layerIndex: number | undefined;
  /** Set when a read failed for want of bytes: no other reading of the same bytes can get further. */
  ranOut = false;

  constructor(source: Uint8Array | ArrayBuffer) {
    // By tag rather than instanceof, so that Node Buffers and other realms' arrays pass; anything
    // else (a string, a DataView, null) would otherwise be read as an empty or garbled file.
    const tag = Object.prototype.toString.call(source);
    if (tag !== '[object Uint8Array]' && tag !== '[object ArrayBuffer]') {
      throw new InputError(`a network's bytes must be a Uint8Array or ArrayBuffer, not ${tag.slice(8, -1)}`);
    }
    this.bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  fail(message: string, offset = this.offset): never {
    throw new DatFormatError(message, offset, this.layerIndex);
  }

  private need(n: number, what: string, start = this.offset): void {
    if (n > this.remaining) {
      this.ranOut = true;
      this.fail(`unexpected end of data reading ${what}: needs ${n} bytes, ${this.remaining} left`, start);
    }
  }

  /**
   * dlib's variable-length integer: a control byte (magnitude length in the
   * low 4 bits, sign in bit 7) then the magnitude, little-endian.
   */
  int(what: string, options: { unsigned?: boolean; max?: number } = {}): number {
    return this.varint(what, '', options.unsigned === true, options.max);
  }

  /**
   * int, naming the field `what` + `part` in an error: the name is built only
   * on failure, as a model holds millions of these fields.
   */
  private varint(what: string, part: string, unsigned: boolean, max: number | undefined): number {
    const start = this.offset;
    if (this.remaining < 1) this.need(1, what + part);
    const control = this.bytes[this.offset];
    const length = control & 0x0f;
    const negative = (control & 0x80) !== 0;
    if ((control & 0x70) !== 0 || length === 0 || length > 8) {
      this.fail(`bad integer control byte 0x${control.toString(16).padStart(2, '0')} for ${what}${part}`, start);
    }
    this.offset++;
    if (this.remaining < length) this.need(length, what + part, start);
    let value = 0;
    for (let i = length - 1; i >= 0; i--) value = value * 256 + this.bytes[this.offset + i];
    this.offset += length;
    if (!Number.isSafeInteger(value)) this.fail(`${what}${part} is too large (${value})`, start);
    if (negative) {
      if (unsigned) this.fail(`${what}${part} is negative but unsigned`, start);
      value = -value;
    }
    if (max !== undefined && value > max) {
      this.fail(`${what}${part} is ${value}, more than the allowed ${max}`, start);
    }
    return value;
  }

  /** An integer that must be a size or count: unsigned and bounded. */
  count(what: string, max = 1 << 30): number {
    return this.varint(what, '', true, max);
  }

  /** A version number that must be one of the given values. */
  version(what: string, ...allowed: number[]): number {
    const start = this.offset;
    const v = this.int(`${what} version`);
    if (!allowed.includes(v)) this.fail(`unsupported ${what} version ${v} (expected ${allowed.join(' or ')})`, start);
    return v;
  }

  /** dlib's portable float/double: mantissa then exponent, value = m * 2^e. */
  real(what: string): number {
    const start = this.offset;
    this.need(1, what);
    if ((this.bytes[this.offset] & 0x70) !== 0) {
      this.fail(`${what} uses dlib's old ASCII float format, which is not supported`, start);
    }
    const mantissa = this.varint(what, ' mantissa', false, undefined);
    const exponent = this.varint(what, ' exponent', false, undefined);
    if (exponent === 32000) return Infinity;
    if (exponent === 32001) return -Infinity;
    if (exponent === 32002) return NaN;
    if (exponent < -2200 || exponent > 2200) this.fail(`${what} has an absurd exponent ${exponent}`, start);
    // Two steps so that 2^e alone never under- or overflows where m*2^e would not.
    const half = Math.trunc(exponent / 2);
    return mantissa * 2 ** half * 2 ** (exponent - half);
  }

  /** A real that must be a number: NaN or an infinity here would silently spoil every result. */
  finiteReal(what: string): number {
    const start = this.offset;
    const value = this.real(what);
    if (!Number.isFinite(value)) this.fail(`${what} is ${value}`, start);
    return value;
  }

  /**
   * `count` finiteReals into `target` from `at`. The common encodings (a
   * mantissa of up to 7 bytes, below 2^53, and a 1-byte exponent: every
   * float32 dlib writes, and nearly every double) are decoded inline, because
   * a 100 MB model holds 16 million of them and even a small one's thousands
   * are read by code not yet compiled; anything else goes through the checked
   * `finiteReal`, which also makes every error its own.
   */
  finiteReals(target: Float32Array | Float64Array, at: number, count: number, what: string): void {
    const { bytes } = this;
    for (let i = 0; i < count; i++) {
      const o = this.offset;
      const control = bytes[o];
      const length = control & 0x0f;
      if ((control & 0x70) === 0 && length >= 1 && length <= 7 && o + length + 2 < bytes.length) {
        let mantissa = 0;
        for (let k = length; k >= 1; k--) mantissa = mantissa * 256 + bytes[o + k];
        const e = o + length + 1;
        const exponentControl = bytes[e];
        if ((exponentControl & 0x7f) === 1 && mantissa <= Number.MAX_SAFE_INTEGER) {
          // 0 - m, not -m: a "negative zero" mantissa is the integer 0 to dlib.
          const signed = control & 0x80 ? 0 - mantissa : mantissa;
          target[at + i] = signed * POWERS_OF_TWO[255 + (exponentControl & 0x80 ? -bytes[e + 1] : bytes[e + 1])];
          this.offset = e + 2;
          continue;
        }
      }
      target[at + i] = this.finiteReal(what);
    }
  }

  /** A raw byte (dlib writes `char` and `uint8_t` as they are). */
  byte(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++];
  }

  bool(what: string): boolean {
    this.need(1, what);
    const b = this.bytes[this.offset];
    if (b !== 0x31 && b !== 0x30) this.fail(`bad bool byte 0x${b.toString(16).padStart(2, '0')} for ${what}`);
    this.offset++;
    return b === 0x31;
  }

  string(what: string): string {
    const start = this.offset;
    const length = this.count(`${what} length`, MAX_STRING_LENGTH);
    this.need(length, what, start);
    let s = '';
    for (let i = 0; i < length; i++) s += String.fromCharCode(this.bytes[this.offset + i]);
    this.offset += length;
    return s;
  }

  /** Reads a string only if the next bytes are one (for sniffing a payload's version tag). */
  peekString(): string | undefined {
    const [offset, ranOut] = [this.offset, this.ranOut];
    try {
      return this.string('version tag');
    } catch {
      return undefined;
    } finally {
      this.offset = offset;
      this.ranOut = ranOut;
    }
  }

  private shape4(what: string): [number, number, number, number] {
    return [this.count(`${what} num_samples`), this.count(`${what} k`), this.count(`${what} nr`), this.count(`${what} nc`)];
  }

  /**
   * A `resizable_tensor`: version 2, NCHW dims, raw little-endian float32
   * data. Every value must be finite: a NaN or infinite weight would make
   * every output NaN without any error.
   */
  tensor(what: string): DlibTensor {
    const start = this.offset;
    this.version(`${what} tensor`, 2);
    const shape = this.shape4(what);
    const size = shape[0] * shape[1] * shape[2] * shape[3];
    if (!Number.isSafeInteger(size * 4) || size * 4 > this.remaining) {
      this.ranOut = true;
      this.fail(`${what} tensor of shape [${shape.join(',')}] needs ${size * 4} bytes, ${this.remaining} left`, start);
    }
    const bytes = this.bytes.subarray(this.offset, this.offset + size * 4);
    // dlib stores little-endian floats: on a little-endian host (all usual ones) a copy is the decode.
    let data: Float32Array;
    if (LITTLE_ENDIAN_HOST) {
      // A copy, aligned: a Node Buffer's slice() would be a view into a shared pool.
      const aligned = new Uint8Array(bytes.byteLength);
      aligned.set(bytes);
      data = new Float32Array(aligned.buffer);
    } else {
      data = new Float32Array(size);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < size; i++) data[i] = view.getFloat32(i * 4, true);
    }
    for (let i = 0; i < size; i++) {
      if (!Number.isFinite(data[i])) this.fail(`${what} value ${i} is ${data[i]}: a network's weights must be finite`, this.offset + i * 4);
    }
    this.offset += size * 4;
    return { shape, data };
  }

  /** A tensor whose values are not needed (cached outputs and gradients in layer trailers). */
  skipTensor(what: string): void {
    const start = this.offset;
    this.version(`${what} tensor`, 2);
    const shape = this.shape4(what);
    const bytes = shape[0] * shape[1] * shape[2] * shape[3] * 4;
    if (!Number.isSafeInteger(bytes) || bytes > this.remaining) {
      this.ranOut = true;
      this.fail(`${what} tensor of shape [${shape.join(',')}] needs ${bytes} bytes, ${this.remaining} left`, start);
    }
    this.offset += bytes;
  }

  /** An `alias_tensor`: version 1 and a shape; it holds no data. */
  alias(what: string): AliasShape {
    this.version(`${what} alias`, 1);
    return this.shape4(what);
  }
}

/**
 * A dlib matrix's size: rows then cols, both negated in dlib's current
 * format (dlib reads either). Sizes of mixed signs are no size: the stored
 * numbers are reported as they are.
 */
export function matrixSize(r: DlibByteReader, what: string): { rows: number; cols: number } {
  const start = r.offset;
  const rows = r.int(`${what} rows`);
  const cols = r.int(`${what} cols`);
  if ((rows < 0 && cols > 0) || (rows > 0 && cols < 0)) {
    r.fail(`${what} is stored as a ${rows}x${cols} matrix: rows and cols must be both negated or neither`, start);
  }
  return { rows: Math.abs(rows), cols: Math.abs(cols) };
}
