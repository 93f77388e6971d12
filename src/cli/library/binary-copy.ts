import { InputError } from '../../errors.js';

/** PostgreSQL's binary COPY signature: "PGCOPY\n\377\r\n\0". */
const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];

/**
 * The rows of PostgreSQL's binary COPY format (`COPY ... TO ... WITH (FORMAT
 * binary)`): each row's fields as views of `bytes` in the column order, null
 * for SQL NULL. Values stay in PostgreSQL's binary form (an integer is 4
 * big-endian bytes, a bytea its bytes): see `int4` below.
 */
export function binaryCopyRows(bytes: Uint8Array): (Uint8Array | null)[][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const broken = (what: string, at: number): never => {
    throw new InputError(`the database's binary COPY output is damaged: ${what} at byte ${at} of ${bytes.length}`);
  };
  const need = (at: number, count: number) => at + count <= bytes.length || broken(`${count} bytes cut short`, at);
  need(0, SIGNATURE.length + 8);
  if (SIGNATURE.some((byte, i) => bytes[i] !== byte)) broken('no PGCOPY signature', 0);
  let at = SIGNATURE.length + 4;
  at += 4 + view.getUint32(at);
  const rows: (Uint8Array | null)[][] = [];
  for (;;) {
    need(at, 2);
    const fields = view.getInt16(at);
    at += 2;
    if (fields === -1) return rows;
    if (fields < 0) broken(`a field count of ${fields}`, at - 2);
    const row: (Uint8Array | null)[] = [];
    for (let f = 0; f < fields; f++) {
      need(at, 4);
      const length = view.getInt32(at);
      at += 4;
      if (length === -1) {
        row.push(null);
        continue;
      }
      if (length < 0) broken(`a field length of ${length}`, at - 4);
      need(at, length);
      row.push(bytes.subarray(at, at + length));
      at += length;
    }
    rows.push(row);
  }
}

/** A binary COPY field of type integer (int4), or null. */
export const int4 = (field: Uint8Array | null): number | null =>
  field === null ? null : new DataView(field.buffer, field.byteOffset, 4).getInt32(0);
