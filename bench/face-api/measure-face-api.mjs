// Section 5: face-api on tfjs-wasm, each configuration in a child process of
// its own (tfjs's backend and thread count are process-global).
import { runChild } from '../support/child-process.mjs';

export const MS_PER_FACE_CHILD = new URL('./ms-per-face-child.mjs', import.meta.url).pathname;
export const COLD_START_CHILD = new URL('./cold-start-child.mjs', import.meta.url).pathname;

/**
 * ms/face for every thread count and batch size. Every thread count runs
 * even where tfjs uses fewer threads than asked: the rows say what it used.
 */
export async function measureFaceApi(threadCounts, batches) {
  const rows = [];
  for (const threads of threadCounts) {
    for (const batch of batches) rows.push(await runChild(MS_PER_FACE_CHILD, ['--threads', threads, '--batch', batch]));
  }
  return rows;
}
