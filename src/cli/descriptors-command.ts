import { readFile } from 'node:fs/promises';
import { DlibWasmError } from '../errors.js';
import { loadFaceRecognitionModel } from '../face/face-recognition-model.js';
import { parseArgs, UsageError } from './args.js';
import { decodeImage } from './decode-image.js';
import { BUNDLED_MODEL } from './paths.js';

/** `descriptors [--model file.dat] chips...`: one JSON line per chip. Returns the exit code. */
export async function descriptorsCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['--model'], []);
  if (parsed.positional.length === 0) throw new UsageError('no image files');
  const model = await loadFaceRecognitionModel(await readFile(parsed.options.get('--model') as string | undefined ?? BUNDLED_MODEL));
  let failures = 0;
  try {
    for (const file of parsed.positional) {
      try {
        const descriptor = await model.computeFaceDescriptor(await decodeImage(await readFile(file)));
        process.stdout.write(`${JSON.stringify({ file, descriptor: Array.from(descriptor) })}\n`);
      } catch (error) {
        if (!isUserFacing(error)) throw error;
        failures++;
        process.stderr.write(`dlib-wasm: ${file}: ${(error as Error).message}\n`);
      }
    }
  } finally {
    model.dispose();
  }
  return failures === 0 ? 0 : 1;
}

/** Errors that describe the user's input or files rather than a bug. */
export function isUserFacing(error: unknown): boolean {
  return error instanceof DlibWasmError || (error as NodeJS.ErrnoException)?.code !== undefined;
}
