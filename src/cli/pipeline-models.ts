import { readFile } from 'node:fs/promises';
import { BUNDLED_DETECTOR, BUNDLED_LANDMARKS, BUNDLED_MODEL } from './paths.js';

/** The bytes of the pipeline's three models: the bundled ones, or the user's landmark or recognition model files. */
export async function readPipelineModels(files: { landmarks?: string; model?: string } = {}) {
  const [detector, landmarks, recognition] = await Promise.all([
    readFile(BUNDLED_DETECTOR), readFile(files.landmarks ?? BUNDLED_LANDMARKS), readFile(files.model ?? BUNDLED_MODEL),
  ]);
  return { detector, landmarks, recognition };
}
