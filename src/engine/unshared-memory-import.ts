import { concatBytes } from '../concat-bytes.js';

/**
 * A kernel build for threads differs from its single-thread twin only in the memory it imports:
 * shared, with a maximum, against unshared without one (the kernels use no atomics). Rewriting
 * that import turns the one into the other, so the library embeds two builds, not four; a test
 * holds the result byte for byte to the single-thread build asc makes.
 */

const IMPORT_SECTION = 2;
const IMPORT_KINDS = { function: 0, table: 1, memory: 2, global: 3, tag: 4 };
const LIMITS_HAS_MAXIMUM = 1;
const LIMITS_SHARED = 2;

/** The module `bytes` with its shared memory import made unshared and unbounded. */
export function withUnsharedMemoryImport(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const reader = new ModuleReader(bytes);
  reader.at = 8; // magic and version
  while (reader.at < bytes.length) {
    const sectionStart = reader.at;
    const id = reader.byte();
    const size = reader.unsigned();
    const contentStart = reader.at;
    if (id === IMPORT_SECTION) {
      const { start, end, minimum } = findSharedMemoryLimits(reader);
      const content = concatBytes(bytes.subarray(contentStart, start), [0], unsignedLeb(minimum), bytes.subarray(end, contentStart + size));
      return concatBytes(
        bytes.subarray(0, sectionStart),
        [IMPORT_SECTION],
        unsignedLeb(content.length),
        content,
        bytes.subarray(contentStart + size),
      );
    }
    reader.at = contentStart + size;
  }
  throw new Error('the kernel build imports no memory');
}

/** Where the memory import's limits lie, in the import section `reader` stands at. */
function findSharedMemoryLimits(reader: ModuleReader): { start: number; end: number; minimum: number } {
  for (let count = reader.unsigned(); count > 0; count--) {
    reader.skipName(); // module
    reader.skipName(); // field
    const kind = reader.byte();
    if (kind === IMPORT_KINDS.memory) {
      const start = reader.at;
      const flags = reader.byte();
      const minimum = reader.unsigned();
      if (flags & LIMITS_HAS_MAXIMUM) reader.unsigned();
      if (!(flags & LIMITS_SHARED)) throw new Error('the kernel build imports an unshared memory already');
      return { start, end: reader.at, minimum };
    }
    if (kind === IMPORT_KINDS.function) reader.unsigned();
    else if (kind === IMPORT_KINDS.table) {
      reader.byte(); // element type
      reader.skipLimits();
    } else if (kind === IMPORT_KINDS.global) {
      reader.at += 2; // value type, mutability
    } else if (kind === IMPORT_KINDS.tag) {
      reader.byte(); // attribute
      reader.unsigned();
    } else throw new Error(`the kernel build has an import of unknown kind ${kind}`);
  }
  throw new Error('the kernel build imports no memory');
}

class ModuleReader {
  at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.at >= this.bytes.length) throw new Error(`the kernel build ends at byte ${this.at}, inside a section`);
    return this.bytes[this.at++];
  }

  unsigned(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.byte();
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  }

  skipName(): void {
    const length = this.unsigned(); // read first: `at += unsigned()` would add to the old `at`
    this.at += length;
  }

  skipLimits(): void {
    const flags = this.byte();
    this.unsigned();
    if (flags & LIMITS_HAS_MAXIMUM) this.unsigned();
  }
}

function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  do {
    const low = value % 128;
    value = Math.floor(value / 128);
    out.push(value > 0 ? low | 0x80 : low);
  } while (value > 0);
  return out;
}
