import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { integerOption, parseArgs, UsageError } from './args.js';
import { loadBundledPipeline } from './bundled-pipeline.js';
import { encodePng } from './cluster-report.js';
import { forEachImage } from './each-image.js';

/**
 * `faces photo... [--upsample 1] [--landmarks model.dat] [--model face.dat] [--chips DIR]`:
 * one JSON line per face found: its rect, confidence, landmarks and descriptor.
 */
export async function facesCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['--upsample', '--landmarks', '--model', '--chips'], []);
  if (parsed.positional.length === 0) throw new UsageError('no photos');
  const upsample = integerOption(parsed, '--upsample', 1, 0);
  const chipsDir = parsed.options.get('--chips') as string | undefined;
  if (chipsDir) await mkdir(chipsDir, { recursive: true });
  const pipeline = await loadBundledPipeline({
    landmarks: parsed.options.get('--landmarks') as string | undefined,
    model: parsed.options.get('--model') as string | undefined,
  });
  try {
    const failures = await forEachImage(parsed.positional, async (image, file) => {
      const faces = await pipeline.detect(image, { upsample });
      for (const [i, face] of faces.entries()) {
        if (chipsDir) await writeFile(join(chipsDir, `${basename(file, extname(file))}_f${String(i).padStart(2, '0')}.png`), encodePng(face.chip));
        process.stdout.write(`${JSON.stringify({
          file, rect: face.rect, confidence: face.confidence, landmarks: face.landmarks, descriptor: Array.from(face.descriptor),
        })}\n`);
      }
    });
    return failures === 0 ? 0 : 1;
  } finally {
    pipeline.dispose();
  }
}
