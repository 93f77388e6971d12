import { writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { InputError } from '../errors.js';
import { loadGenderClassifier } from '../face/gender-classifier.js';
import { detectorOption, parseArgs, threadsOption, upsampleOption, UsageError } from './args.js';
import { encodePng } from './encode-png.js';
import { BUNDLED_GENDER } from './paths.js';
import { startPhotoPipeline } from './pipeline-models.js';
import { makeFolders, readRegularFile } from './regular-file.js';

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

/**
 * `faces photo... [--detector hog|cnn] [--upsample 1] [--landmarks model.dat] [--model face.dat] [--chips DIR] [--gender] [--threads N]`:
 * one JSON line per face found: its rect, confidence, landmarks and descriptor
 * (its gender with --gender, its chip's file with --chips). Photos are found
 * and aligned on worker threads, in parallel; the lines come in photo order.
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
    ? await readRegularFile(BUNDLED_GENDER)
        .then((bytes) => loadGenderClassifier(bytes, { threads }))
        .catch(async (error: unknown) => {
          await workers.close();
          recognition.dispose();
          throw error;
        })
    : undefined;
  try {
    const failures = await workers.forEachPhoto(photos, async (faces, file, index) => {
      const descriptors = await recognition.computeFaceDescriptors(faces.map((f) => f.chip));
      const genders = await gender?.classifyChips(faces.map((f) => f.genderChip!));
      for (const [i, face] of faces.entries()) {
        const chip = chipsDir === undefined ? undefined : join(chipsDir, `${stems[index]}_f${String(i).padStart(2, '0')}.png`);
        if (chip !== undefined) await writeFile(chip, encodePng(face.chip));
        process.stdout.write(
          `${JSON.stringify({
            file,
            rect: face.rect,
            confidence: face.confidence,
            landmarks: face.landmarks,
            descriptor: Array.from(descriptors[i]),
            gender: genders?.[i],
            chip,
          })}\n`,
        );
      }
    });
    return failures === 0 ? 0 : 1;
  } finally {
    await workers.close();
    recognition.dispose();
    gender?.dispose();
  }
}
