import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { chineseWhispers } from '../face/chinese-whispers.js';
import { loadFaceRecognitionModel } from '../face/face-recognition-model.js';
import type { RgbImage } from '../image.js';
import { integerOption, parseArgs, UsageError } from './args.js';
import { readPipelineModels } from './pipeline-models.js';
import { writeClusterReport, type ClusteredFace } from './cluster-report.js';
import { LocateWorkers } from './locate-workers.js';

const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

/** The photos named, and those directly inside the folders named, in a stable order. */
async function listPhotos(paths: string[]): Promise<string[]> {
  const photos: string[] = [];
  for (const path of paths) {
    if ((await stat(path)).isDirectory()) {
      const names = (await readdir(path)).filter((n) => PHOTO_EXTENSIONS.has(extname(n).toLowerCase())).sort();
      photos.push(...names.map((n) => join(path, n)));
    } else {
      photos.push(path);
    }
  }
  return photos;
}

/** A progress line on stderr, redrawn in place when stderr is a terminal. */
function reportProgress(done: number, total: number, faces: number): void {
  if (!process.stderr.isTTY || total < 2) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} photos, ${faces} faces`);
  if (done === total) process.stderr.write('\n');
}

/**
 * `cluster <photos or folders...> --out DIR [--upsample 1] [--threshold 0.6] [--landmarks model.dat]`:
 * finds, aligns and describes every face, groups them by person with dlib's
 * chinese whispers, and writes the report (clusters.json, chips, contact sheet, index.html).
 */
export async function clusterCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['--out', '--upsample', '--threshold', '--landmarks', '--model'], ['--accept-damaged-images']);
  const out = parsed.options.get('--out');
  if (typeof out !== 'string') throw new UsageError('--out DIR is required');
  if (parsed.positional.length === 0) throw new UsageError('no photos or folders');
  const upsample = integerOption(parsed, '--upsample', 1, 0)!;
  const threshold = parsed.options.has('--threshold') ? Number(parsed.options.get('--threshold')) : 0.6;
  if (!(threshold > 0)) throw new UsageError(`--threshold must be a positive number, got ${String(parsed.options.get('--threshold'))}`);
  const photos = await listPhotos(parsed.positional);
  if (photos.length === 0) throw new UsageError('no .jpg, .jpeg or .png files found');

  // Memory stays flat however many photos: chips go to disk as they are cut, and wait for a
  // full batch of the network (across photos) before they are described.
  const unsorted = join(out, 'chips', 'unsorted');
  await mkdir(unsorted, { recursive: true });
  const { detector, landmarks, recognition: model } = await readPipelineModels({
    landmarks: parsed.options.get('--landmarks') as string | undefined,
    model: parsed.options.get('--model') as string | undefined,
  });
  // Photos are found and aligned on worker threads, one photo each, while this thread describes
  // the chips of those before them.
  const [workers, recognition] = await Promise.all([
    LocateWorkers.start({ detector, landmarks, upsample, allowDamaged: parsed.options.has('--accept-damaged-images'), chipDir: unsorted }, photos.length),
    loadFaceRecognitionModel(model),
  ]);
  const faces: Omit<ClusteredFace, 'cluster'>[] = [];
  let waiting: (Omit<ClusteredFace, 'cluster' | 'descriptor'> & { chip: RgbImage })[] = [];
  const describeWaiting = async () => {
    const descriptors = await recognition.computeFaceDescriptors(waiting.map((w) => w.chip));
    waiting.forEach(({ chip, ...face }, i) => faces.push({ ...face, descriptor: descriptors[i] }));
    waiting = [];
  };
  let failures: number;
  try {
    failures = await workers.forEachPhoto(photos, async (located, photo) => {
      for (const { rect, chipFile, chip } of located) waiting.push({ photo, rect, chipFile: chipFile!, chip });
      if (waiting.length >= recognition.network.batchSize) await describeWaiting();
    }, (done) => reportProgress(done, photos.length, faces.length + waiting.length));
    await describeWaiting();
  } finally {
    await workers.close();
    recognition.dispose();
  }
  const { labels } = chineseWhispers({ descriptors: faces.map((f) => f.descriptor) }, { threshold });
  const { clusters } = await writeClusterReport(out, faces.map((f, i) => ({ ...f, cluster: labels[i] })));
  await rm(unsorted, { recursive: true, force: true });
  const sizes = clusters.map((c) => c.length).join(', ');
  process.stdout.write(
    `${faces.length} face${faces.length === 1 ? '' : 's'} in ${photos.length} photo${photos.length === 1 ? '' : 's'}: ` +
    `${clusters.length} ${clusters.length === 1 ? 'person' : 'people'}` +
    `${clusters.length ? ` (${sizes} faces)` : ''}. Wrote ${join(out, 'index.html')} and ${join(out, 'contact-sheet.png')}\n`,
  );
  return failures === 0 ? 0 : 1;
}
