import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KERNEL_BUILDS, KernelHarness } from '../support/kernel-harness.js';

// u8_zero_spans: each (offset, bytes) span from the base zeroed, every other byte as it was.

describe.each(KERNEL_BUILDS)('u8_zero_spans (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  it('zeroes the spans, of any length and alignment, split in two calls, and nothing else', () => {
    const spans = [0, 3, 5, 1, 7, 40, 64, 0, 100, 17, 200, 56];
    const before = Uint8Array.from({ length: 256 }, (_, i) => 1 + (i % 250));
    const region = h.u8(before);
    const table = h.alloc(4 * spans.length);
    new Uint32Array(h.memory.buffer, table, spans.length).set(spans);
    h.k.u8_zero_spans(region, table, 3, 6);
    h.k.u8_zero_spans(region, table, 0, 3);
    const expected = before.slice();
    for (let i = 0; i < spans.length; i += 2) expected.fill(0, spans[i], spans[i] + spans[i + 1]);
    expect(Array.from(h.readU8(region, 256))).toEqual(Array.from(expected));
    h.expectGuardsIntact();
  });
});
