import { readFile } from 'node:fs/promises';
import { loadFacePipeline, type FacePipeline } from '../face/face-pipeline.js';
import { BUNDLED_DETECTOR, BUNDLED_LANDMARKS, BUNDLED_MODEL } from './paths.js';

/** The bytes of the pipeline's three models: the bundled ones, or the user's landmark or recognition model files. */
export async function readPipelineModels(files: { landmarks?: string; model?: string } = {}) {
  const [detector, landmarks, recognition] = await Promise.all([
    readFile(BUNDLED_DETECTOR), readFile(files.landmarks ?? BUNDLED_LANDMARKS), readFile(files.model ?? BUNDLED_MODEL),
  ]);
  return { detector, landmarks, recognition };
}

/** The face pipeline on the bundled models, or on the user's landmark or recognition model files. */
export async function loadBundledPipeline(files: { landmarks?: string; model?: string } = {}): Promise<FacePipeline> {
  return loadFacePipeline(await readPipelineModels(files));
}
