import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { FaceMatcher, UNKNOWN_PERSON } from '../face/face-matcher.js';
import { SAME_PERSON_THRESHOLD } from '../face/descriptor-distance.js';
import { detectorOption, parseArgs, threadsOption, upsampleOption, UsageError } from './args.js';
import { FaceBatchQueue } from './face-batch-queue.js';
import { isPhotoName, listPhotos } from './photo-files.js';
import type { LocatedPhotoFace } from './photo-locator-pool.js';
import { startPhotoPipeline } from './pipeline-models.js';

/** A photo of a known person. */
interface KnownPhoto {
  photo: string;
  name: string;
}

/**
 * The known people of KNOWN_DIR: each sub-folder is a person (every photo
 * directly in it), each photo directly in it is one (its name without
 * extension), sorted by name. A file that is not a regular one is kept, to be
 * reported and skipped when it is read.
 */
async function knownPhotos(knownDir: string): Promise<KnownPhoto[]> {
  if (!(await stat(knownDir).catch(() => undefined))?.isDirectory()) throw new UsageError(`KNOWN_DIR ${knownDir} is not a folder`);
  const known: KnownPhoto[] = [];
  for (const entry of (await readdir(knownDir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(knownDir, entry.name);
    // stat, not the entry's own type: a symbolic link to a person's folder is that folder.
    if ((await stat(path).catch(() => undefined))?.isDirectory()) {
      for (const photo of await listPhotos([path])) known.push({ photo, name: entry.name });
    } else if (isPhotoName(entry.name)) {
      known.push({ photo: path, name: basename(entry.name, extname(entry.name)) });
    }
  }
  return known;
}

/**
 * `recognize KNOWN_DIR <photos or folders...> [--tolerance 0.6] [--show-distance] [--threads N]
 * [--detector hog|cnn] [--upsample 1] [--landmarks model.dat] [--model face.dat]`: as
 * face_recognition's CLI, tells who each face of the photos is: `path,name`
 * (`path,name,distance` with --show-distance) a face, in photo order and the
 * detector's order, with unknown_person when no known face is within the
 * tolerance, and `path,no_persons_found` for a photo without a face.
 */
export async function recognizeCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(
    args,
    ['--tolerance', '--threads', '--detector', '--upsample', '--landmarks', '--model'],
    ['--show-distance', '--accept-damaged-images'],
  );
  const [knownDir, ...unknownPaths] = parsed.positional;
  if (knownDir === undefined) throw new UsageError('recognize needs KNOWN_DIR and the photos or folders to recognize');
  if (unknownPaths.length === 0) throw new UsageError('no photos or folders to recognize');
  const tolerance = parsed.options.has('--tolerance') ? Number(parsed.options.get('--tolerance')) : SAME_PERSON_THRESHOLD;
  if (!(tolerance > 0) || !Number.isFinite(tolerance)) {
    throw new UsageError(`--tolerance must be a positive number, got ${String(parsed.options.get('--tolerance'))}`);
  }
  const detector = detectorOption(parsed);
  const upsample = upsampleOption(parsed);
  const threads = threadsOption(parsed);
  const showDistance = parsed.options.has('--show-distance');
  const known = await knownPhotos(knownDir);
  if (known.length === 0) throw new UsageError(`KNOWN_DIR ${knownDir} holds no .jpg, .jpeg or .png files, directly or in sub-folders`);
  const unknown = await listPhotos(unknownPaths);
  if (unknown.length === 0) throw new UsageError('no .jpg, .jpeg or .png files found to recognize');

  // Known photos first, in one run with the others: by the first unknown photo, every known face is in.
  const photos = [...known.map((k) => k.photo), ...unknown];
  const matcher = await FaceMatcher.create();
  try {
    const { workers, recognition } = await startPhotoPipeline(
      {
        detector,
        landmarks: parsed.options.get('--landmarks') as string | undefined,
        model: parsed.options.get('--model') as string | undefined,
      },
      { upsample, allowDamaged: parsed.options.has('--accept-damaged-images') },
      photos.length,
      threads,
      // Each photo's faces described as it comes, while the workers locate the next ones.
      { describesWhileLocating: true },
    );
    try {
      // Known photos' first faces and the others' faces described in full batches across photos, handed on in photo order.
      const queue = new FaceBatchQueue<{ photo: string; index: number }, LocatedPhotoFace, Float32Array>(
        recognition.batchSize,
        (faces) => recognition.computeFaceDescriptors(faces.map((f) => f.chip)),
        async ({ photo, index }, faces, descriptors) => {
          workers.recycleChips(faces);
          if (index < known.length) {
            if (faces.length > 0) matcher.add(known[index].name, descriptors[0]);
            return;
          }
          if (index === known.length && matcher.size === 0) {
            process.stderr.write(`dlib-wasm: warning: no faces found in the known photos: every face is ${UNKNOWN_PERSON}\n`);
          }
          if (faces.length === 0) {
            process.stdout.write(`${photo},no_persons_found\n`);
            return;
          }
          for (const { name, distance } of matcher.findBestMatches(descriptors, tolerance)) {
            process.stdout.write(showDistance ? `${photo},${name},${distance}\n` : `${photo},${name}\n`);
          }
        },
      );
      const failures = await workers.forEachPhoto(photos, async (faces, photo, index) => {
        if (index < known.length) {
          // As face_recognition's scan_known_people: the first face of a known photo, with a warning if it has others or none.
          if (faces.length === 0) process.stderr.write(`dlib-wasm: warning: no faces found in ${photo}: ignoring the file\n`);
          if (faces.length > 1) {
            process.stderr.write(`dlib-wasm: warning: more than one face found in ${photo}: only the first is considered\n`);
          }
          await queue.add({ photo, index }, faces.slice(0, 1));
          return;
        }
        await queue.add({ photo, index }, faces);
      });
      await queue.finish();
      // A model that could not load fails the run, though no face needed it.
      await recognition.loaded();
      return failures === 0 ? 0 : 1;
    } finally {
      await workers.close();
      await recognition.dispose();
    }
  } finally {
    matcher.dispose();
  }
}
