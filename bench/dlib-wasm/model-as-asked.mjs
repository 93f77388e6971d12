import { parseArgs } from 'node:util';
import { loadFaceRecognitionModel } from '../../dist/index.js';
import { reportToParent } from '../support/child-process.mjs';
import { readModelBytes } from './model-bytes.mjs';

/**
 * The face model with the `--threads` and `--batch` a child was started with.
 * Where the engine runs fewer threads than asked (no shared memory, no
 * workers), there is nothing to measure: the parent is told it was skipped
 * and `undefined` comes back.
 */
export async function loadModelAsAsked() {
  const { values } = parseArgs({ options: { threads: { type: 'string' }, batch: { type: 'string' } } });
  const threads = Number(values.threads);
  const batch = Number(values.batch);
  const model = await loadFaceRecognitionModel(readModelBytes(), { batchSize: batch, threads });
  const asked = { threadsRequested: threads, batch, backend: model.backend };
  if (model.backend.threads !== threads) {
    reportToParent({ ...asked, skipped: true });
    return undefined;
  }
  return { model, batch, asked };
}
