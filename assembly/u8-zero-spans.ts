/**
 * Zeroes stretches of memory: span i is `bytes` bytes from `base + offset`,
 * its (offset u32, bytes u32) pair at `spans + 8i` (the padding of a tensor
 * that kernels write only in parts, as a tiled pyramid's).
 *
 * Work: spans [spanStart, spanEnd).
 */
export function u8_zero_spans(base: usize, spans: usize, spanStart: i32, spanEnd: i32): void {
  for (let i = spanStart; i < spanEnd; i++) {
    const e = spans + (<usize>i << 3);
    memory.fill(base + <usize>load<u32>(e), 0, <usize>load<u32>(e, 4));
  }
}
