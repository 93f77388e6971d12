import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { loadFaceRecognitionModel } from '../face/face-recognition-model.js';
import { integerOption, parseArgs, UsageError } from './args.js';
import { readPipelineModels } from './pipeline-models.js';
import { encodePng } from './cluster-report.js';
import { LocateWorkers } from './locate-workers.js';

/**
 * `faces photo... [--upsample 1] [--landmarks model.dat] [--model face.dat] [--chips DIR]`:
 * one JSON line per face found: its rect, confidence, landmarks and descriptor.
 * Photos are found and aligned on worker threads, in parallel; the lines come in photo order.
 */
export async function facesCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['--upsample', '--landmarks', '--model', '--chips'], ['--accept-damaged-images']);
  const photos = parsed.positional;
  if (photos.length === 0) throw new UsageError('no photos');
  const upsample = integerOption(parsed, '--upsample', 1, 0)!;
  const chipsDir = parsed.options.get('--chips') as string | undefined;
  if (chipsDir) await mkdir(chipsDir, { recursive: true });
  const { detector, landmarks, recognition: model } = await readPipelineModels({
    landmarks: parsed.options.get('--landmarks') as string | undefined,
    model: parsed.options.get('--model') as string | undefined,
  });
  const [workers, recognition] = await Promise.all([
    LocateWorkers.start({ detector, landmarks, upsample, allowDamaged: parsed.options.has('--accept-damaged-images') }, photos.length),
    loadFaceRecognitionModel(model),
  ]);
  try {
    const failures = await workers.forEachPhoto(photos, async (faces, file) => {
      const descriptors = await recognition.computeFaceDescriptors(faces.map((f) => f.chip));
      for (const [i, face] of faces.entries()) {
        if (chipsDir) await writeFile(join(chipsDir, `${basename(file, extname(file))}_f${String(i).padStart(2, '0')}.png`), encodePng(face.chip));
        process.stdout.write(`${JSON.stringify({
          file, rect: face.rect, confidence: face.confidence, landmarks: face.landmarks, descriptor: Array.from(descriptors[i]),
        })}\n`);
      }
    });
    return failures === 0 ? 0 : 1;
  } finally {
    await workers.close();
    recognition.dispose();
  }
}
