import { loadFaceRecognitionModel } from '../face/face-recognition-model.js';
import { parseArgs, threadsOption, UsageError } from './args.js';
import { forEachImage } from './each-image.js';
import { BUNDLED_MODEL } from './paths.js';
import { readModelFile } from './model-file.js';

/** `descriptors [--model file.dat] [--threads N] [--accept-damaged-images] chips...`: one JSON line per chip. Returns the exit code. */
export async function descriptorsCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['--model', '--threads'], ['--accept-damaged-images']);
  if (parsed.positional.length === 0) throw new UsageError('no image files');
  const threads = threadsOption(parsed);
  const model = await readModelFile((parsed.options.get('--model') as string | undefined) ?? BUNDLED_MODEL, (bytes) =>
    loadFaceRecognitionModel(bytes, { threads }),
  );
  try {
    const failures = await forEachImage(
      parsed.positional,
      async (chip, file) => {
        const descriptor = await model.computeFaceDescriptor(chip);
        process.stdout.write(`${JSON.stringify({ file, descriptor: Array.from(descriptor) })}\n`);
      },
      { allowDamaged: parsed.options.has('--accept-damaged-images') },
    );
    return failures === 0 ? 0 : 1;
  } finally {
    model.dispose();
  }
}
