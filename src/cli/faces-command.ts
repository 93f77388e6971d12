import { writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { InputError } from '../errors.js';
import { type GenderEstimate, loadGenderClassifier } from '../face/gender-classifier.js';
import { detectorOption, parseArgs, threadsOption, upsampleOption, UsageError } from './args.js';
import { encodePng } from './encode-png.js';
import { FaceBatchQueue } from './face-batch-queue.js';
import { BUNDLED_GENDER } from './paths.js';
import type { LocatedPhotoFace } from './photo-locator-pool.js';
import { startPhotoPipeline } from './pipeline-models.js';
import { makeFolders } from './regular-file.js';
import { readModelFile } from './model-file.js';

/**
 * The stem of each photo's chip files: its name without extension, and for a
 * name an earlier photo of the run already has (`a/x.jpg`, `b/x.jpg`), the
 * first of `x-2`, `x-3`, ... that is free. Chips are `<stem>_f00.png`, `_f01`...
 */
export function chipStems(photos: string[]): string[] {
  const taken = new Set<string>();
  return photos.map((photo) => {
    const name = basename(photo, extname(photo));
    let stem = name;
    for (let n = 2; taken.has(stem); n++) stem = `${name}-${n}`;
    taken.add(stem);
    return stem;
  });
}

/** A photo of the run: its file as given, and its place among them. */
interface PhotoOfRun {
  file: string;
  index: number;
}

/** What the faces command adds to a located face: its descriptor, and its gender with --gender. */
interface DescribedFace {
  descriptor: Float32Array;
  gender: GenderEstimate | undefined;
}

/**
 * `faces photo... [--detector hog|cnn] [--upsample 1] [--landmarks model.dat] [--model face.dat] [--chips DIR] [--gender] [--threads N]`:
 * one JSON line per face found: its rect, confidence, landmarks and descriptor
 * (its gender with --gender, its chip's file with --chips). Photos are found
 * and aligned on worker threads, in parallel; their faces are described in
 * full batches across photos (FaceBatchQueue), and the lines come in photo
 * order, each photo's once its last face is described.
 */
export async function facesCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(
    args,
    ['--upsample', '--landmarks', '--model', '--chips', '--threads', '--detector'],
    ['--accept-damaged-images', '--gender'],
  );
  const photos = parsed.positional;
  if (photos.length === 0) throw new UsageError('no photos');
  const upsample = upsampleOption(parsed);
  const threads = threadsOption(parsed);
  const withGender = parsed.options.has('--gender');
  const chipsDir = parsed.options.get('--chips') as string | undefined;
  if (chipsDir) {
    await makeFolders(chipsDir).catch((error: Error) => {
      throw new InputError(`cannot create the chips folder ${chipsDir}: ${error.message}`);
    });
  }
  const stems = chipStems(photos);
  const { workers, recognition } = await startPhotoPipeline(
    {
      detector: detectorOption(parsed),
      landmarks: parsed.options.get('--landmarks') as string | undefined,
      model: parsed.options.get('--model') as string | undefined,
    },
    { upsample, allowDamaged: parsed.options.has('--accept-damaged-images'), genderChips: withGender },
    photos.length,
    threads,
    // Each photo's faces described as it comes, while the workers locate the next ones.
    { describesWhileLocating: true },
  );
  const gender = withGender
    ? await readModelFile(BUNDLED_GENDER, (bytes) => loadGenderClassifier(bytes, { threads })).catch(async (error: unknown) => {
        await workers.close();
        await recognition.dispose();
        throw error;
      })
    : undefined;
  try {
    const queue = new FaceBatchQueue<PhotoOfRun, LocatedPhotoFace, DescribedFace>(
      recognition.batchSize,
      async (faces) => {
        const descriptors = await recognition.computeFaceDescriptors(faces.map((f) => f.chip));
        const genders = await gender?.classifyChips(faces.map((f) => f.genderChip!));
        return descriptors.map((descriptor, i) => ({ descriptor, gender: genders?.[i] }));
      },
      async ({ file, index }, faces, described) => {
        for (const [i, face] of faces.entries()) {
          const chip = chipsDir === undefined ? undefined : join(chipsDir, `${stems[index]}_f${String(i).padStart(2, '0')}.png`);
          if (chip !== undefined) await writeFile(chip, encodePng(face.chip));
          process.stdout.write(
            `${JSON.stringify({
              file,
              rect: face.rect,
              confidence: face.confidence,
              landmarks: face.landmarks,
              descriptor: Array.from(described[i].descriptor),
              gender: described[i].gender,
              chip,
            })}\n`,
          );
        }
        workers.recycleChips(faces);
      },
    );
    const failures = await workers.forEachPhoto(photos, (faces, file, index) => queue.add({ file, index }, faces));
    await queue.finish();
    // A model that could not load fails the run, though no face needed it.
    await recognition.loaded();
    return failures === 0 ? 0 : 1;
  } finally {
    await workers.close();
    await recognition.dispose();
    gender?.dispose();
  }
}
