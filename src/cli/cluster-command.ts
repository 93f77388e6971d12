import { mkdir, rm } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { chineseWhispers } from '../face/chinese-whispers.js';
import { detectorOption, parseArgs, threadsOption, upsampleOption, UsageError } from './args.js';
import { writeClusterReport, type ClusteredFace } from './cluster-report.js';
import { FaceBatchQueue } from './face-batch-queue.js';
import { listPhotos } from './photo-files.js';
import type { LocatedPhotoFace } from './photo-locator-pool.js';
import { startPhotoPipeline } from './pipeline-models.js';
import { Progress } from './progress.js';
import { realLocation, StagedFolder } from './staged-folder.js';

/** What a cluster report folder holds: one holding only these, clusters.json among them, is an earlier report that a rerun replaces. */
const REPORT_ENTRIES = new Set(['chips', 'clusters.json', 'contact-sheet.png', 'index.html']);

/** Why the existing folder `--out` names is not an earlier report that may be replaced, if it is not. */
function refuseUnlessReport(entries: string[]): string | undefined {
  if (entries.length === 0) return undefined;
  const foreign = entries.filter((e) => !REPORT_ENTRIES.has(e)).sort();
  if (foreign.length > 0)
    return `holds files that are not part of a cluster report (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''})`;
  if (!entries.includes('clusters.json')) return 'has no clusters.json, so it is not an earlier cluster report';
  return undefined;
}

/**
 * `--out` may not be, or hold, a photo or folder to cluster: replacing it
 * would delete the photos, and a rerun would read the report's images as photos.
 */
async function refuseOutputAmongInputs(out: string, inputs: string[]): Promise<void> {
  const location = await realLocation(out);
  for (const input of inputs) {
    const real = await realLocation(input).catch(() => undefined);
    if (real !== undefined && (real === location || real.startsWith(location + sep))) {
      throw new UsageError(`--out ${out} is or holds the input ${input}: choose an output folder apart from the photos`);
    }
  }
}

/**
 * `cluster <photos or folders...> --out DIR [--detector hog|cnn] [--upsample 1] [--threshold 0.6] [--landmarks model.dat] [--quiet] [--threads N]`:
 * finds, aligns and describes every face, groups them by person with dlib's
 * chinese whispers, and writes the report (clusters.json, chips, contact sheet,
 * index.html). The report is written beside DIR and replaces it only once
 * complete: DIR is one run's report, or as it was.
 */
export async function clusterCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(
    args,
    ['--out', '--upsample', '--threshold', '--landmarks', '--model', '--threads', '--detector'],
    ['--quiet', '--accept-damaged-images'],
  );
  const out = parsed.options.get('--out');
  if (typeof out !== 'string') throw new UsageError('--out DIR is required');
  if (parsed.positional.length === 0) throw new UsageError('no photos or folders');
  const upsample = upsampleOption(parsed);
  const threads = threadsOption(parsed);
  const threshold = parsed.options.has('--threshold') ? Number(parsed.options.get('--threshold')) : 0.6;
  if (!(threshold > 0)) throw new UsageError(`--threshold must be a positive number, got ${String(parsed.options.get('--threshold'))}`);
  await refuseOutputAmongInputs(out, parsed.positional);
  const photos = await listPhotos(parsed.positional);
  if (photos.length === 0) throw new UsageError('no .jpg, .jpeg or .png files found');

  const staged = await StagedFolder.create(out, refuseUnlessReport);
  try {
    // Memory stays flat however many photos: chips go to disk as they are cut, and wait for a
    // full batch of the network (across photos) before they are described.
    const unsorted = join(staged.path, 'chips', 'unsorted');
    await mkdir(unsorted, { recursive: true });
    // Photos are found and aligned on worker threads, one photo each, while this thread describes
    // the chips of those before them.
    const { workers, recognition } = await startPhotoPipeline(
      {
        detector: detectorOption(parsed),
        landmarks: parsed.options.get('--landmarks') as string | undefined,
        model: parsed.options.get('--model') as string | undefined,
      },
      { upsample, allowDamaged: parsed.options.has('--accept-damaged-images'), chipDir: unsorted },
      photos.length,
      threads,
      // Each photo's faces described as it comes, while the workers locate the next ones.
      { describesWhileLocating: true },
    );
    const faces: Omit<ClusteredFace, 'cluster'>[] = [];
    let located = 0;
    const queue = new FaceBatchQueue<string, LocatedPhotoFace, Float32Array>(
      recognition.batchSize,
      (waiting) => recognition.computeFaceDescriptors(waiting.map((f) => f.chip)),
      async (photo, described, descriptors) => {
        described.forEach(({ rect, chipFile }, i) => faces.push({ photo, rect, chipFile: chipFile!, descriptor: descriptors[i] }));
        workers.recycleChips(described);
      },
    );
    const progress = new Progress(photos.length, parsed.options.has('--quiet'));
    let failures: number;
    try {
      failures = await workers.forEachPhoto(
        photos,
        async (found, photo) => {
          located += found.length;
          await queue.add(photo, found);
        },
        {
          update: (done) => progress.update(done, located),
          drawingBar: progress.drawingBar,
        },
      );
      await queue.finish();
      // A model that could not load fails the run, though no face needed it.
      await recognition.loaded();
    } finally {
      await workers.close();
      await recognition.dispose();
    }
    const { labels } = chineseWhispers({ descriptors: faces.map((f) => f.descriptor) }, { threshold });
    const { clusters } = await writeClusterReport(
      staged.path,
      faces.map((f, i) => ({ ...f, cluster: labels[i] })),
    );
    await rm(unsorted, { recursive: true, force: true });
    staged.commit();
    const sizes = clusters.map((c) => c.length).join(', ');
    process.stdout.write(
      `${faces.length} face${faces.length === 1 ? '' : 's'} in ${photos.length} photo${photos.length === 1 ? '' : 's'}: ` +
        `${clusters.length} ${clusters.length === 1 ? 'person' : 'people'}` +
        `${clusters.length ? ` (${sizes} faces)` : ''}. Wrote ${join(out, 'index.html')} and ${join(out, 'contact-sheet.png')}\n`,
    );
    return failures === 0 ? 0 : 1;
  } finally {
    staged.discard();
  }
}
