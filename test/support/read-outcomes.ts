import { expect } from 'vitest';
import { DatFormatError, DlibWasmError } from '../../src/index.js';

/** The typed errors a reader may end in on damaged bytes. */
const READER_ERRORS = ['DatFormatError', 'UnsupportedLayerError', 'TopologyError'];

/**
 * Reads each damaged copy and counts how it ended: 'read', or the error's class. Anything but a
 * reader's typed error fails the test, and so does a DatFormatError whose offset is outside the bytes.
 */
export function readOutcomes(copies: Iterable<Uint8Array>, read: (bytes: Uint8Array, index: number) => unknown): Map<string, number> {
  const outcomes = new Map<string, number>();
  let index = 0;
  for (const bytes of copies) {
    let error: unknown;
    try {
      read(bytes, index++);
    } catch (e) {
      error = e;
    }
    const outcome = error === undefined ? 'read' : error instanceof DlibWasmError ? error.name : `untyped ${String(error)}`;
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    if (error instanceof DatFormatError) {
      expect(error.offset).toBeGreaterThanOrEqual(0);
      expect(error.offset).toBeLessThanOrEqual(bytes.length);
    }
  }
  expect([...outcomes.keys()].filter((outcome) => outcome !== 'read' && !READER_ERRORS.includes(outcome))).toEqual([]);
  return outcomes;
}
