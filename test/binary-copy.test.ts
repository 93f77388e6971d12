import { describe, expect, it } from 'vitest';
import { binaryCopyRows, int4 } from '../src/cli/library/binary-copy.js';
import { InputError } from '../src/errors.js';

/** PostgreSQL's binary COPY bytes of `rows` (fields as raw bytes, null for NULL), as the server writes them. */
function copyBytes(rows: (number[] | null)[][], headerExtension: number[] = []): Uint8Array {
  const out: number[] = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
  const int32 = (v: number) => out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  const int16 = (v: number) => out.push((v >>> 8) & 255, v & 255);
  const bytes = (values: number[]) => {
    for (const v of values) out.push(v);
  };
  int32(0);
  int32(headerExtension.length);
  bytes(headerExtension);
  for (const row of rows) {
    int16(row.length);
    for (const field of row) {
      if (field === null) int32(-1);
      else {
        int32(field.length);
        bytes(field);
      }
    }
  }
  int16(-1);
  return Uint8Array.from(out);
}

describe('binaryCopyRows', () => {
  it('reads integers, NULLs and bytea fields in column order, past a header extension', () => {
    const rows = binaryCopyRows(
      copyBytes(
        [
          [[0, 0, 1, 2], null, [9, 8, 7]],
          [[255, 255, 255, 254], [0, 0, 0, 5], []],
        ],
        [1, 2, 3],
      ),
    );
    expect(rows.map((row) => [int4(row[0]), int4(row[1]), row[2] && [...row[2]]])).toEqual([
      [258, null, [9, 8, 7]],
      [-2, 5, []],
    ]);
  });

  it('says where the bytes are damaged instead of reading past them', () => {
    const whole = copyBytes([
      [
        [0, 0, 0, 1],
        [1, 2, 3, 4],
      ],
    ]);
    expect(() => binaryCopyRows(whole.subarray(0, whole.length - 3))).toThrow(/4 bytes cut short at byte 33 of 36/);
    expect(() => binaryCopyRows(Uint8Array.from([1, 2, 3]))).toThrow(InputError);
    const unsigned = whole.slice();
    unsigned[0] = 0x51;
    expect(() => binaryCopyRows(unsigned)).toThrow(/no PGCOPY signature at byte 0/);
  });
});
