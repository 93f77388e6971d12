// Sections 2 and 3: dlib-wasm per layer shape and per face, each
// configuration in a child process of its own.
import { runChild } from '../support/child-process.mjs';

const LAYER_PROFILE_CHILD = new URL('./layer-profile-child.mjs', import.meta.url).pathname;
export const MS_PER_FACE_CHILD = new URL('./ms-per-face-child.mjs', import.meta.url).pathname;
export const COLD_START_CHILD = new URL('./cold-start-child.mjs', import.meta.url).pathname;

/** Per-shape step times at `batch`, for each thread count (a count the engine does not run comes back skipped). */
export async function measureLayerProfiles(threadCounts, batch) {
  const profiles = [];
  for (const threads of threadCounts) profiles.push(await runChild(LAYER_PROFILE_CHILD, ['--threads', threads, '--batch', batch]));
  return profiles;
}

/**
 * ms/face for every thread count and batch size. A thread count the engine
 * does not run (its backend.threads says otherwise) is reported once,
 * skipped, and not tried at the other batch sizes.
 */
export async function measureMsPerFace(threadCounts, batches) {
  const rows = [];
  for (const threads of threadCounts) {
    for (const batch of batches) {
      const row = await runChild(MS_PER_FACE_CHILD, ['--threads', threads, '--batch', batch]);
      rows.push(row);
      if (row.skipped) break;
    }
  }
  return rows;
}
