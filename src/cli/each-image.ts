import { readFile } from 'node:fs/promises';
import { DlibWasmError } from '../errors.js';
import type { RgbImage } from '../image.js';
import { decodeImage, type DecodeOptions } from './decode-image.js';

/** Errors that describe the user's input or files rather than a bug. */
export function isUserFacing(error: unknown): boolean {
  return error instanceof DlibWasmError || (error as NodeJS.ErrnoException)?.code !== undefined;
}

/**
 * Reports on stderr a file that could not be read, decoded or used; starts on
 * a line of its own where a progress bar is being redrawn.
 */
export function reportFailure(file: string, message: string, progressShown: boolean): void {
  process.stderr.write(`${progressShown && process.stderr.isTTY ? '\n' : ''}dlib-wasm: ${file}: ${message}\n`);
}

/** Reports on stderr what is wrong with a file that was used anyway (a damaged JPEG accepted). */
export function reportWarnings(file: string, warnings: string[], progressShown: boolean): void {
  for (const warning of warnings) reportFailure(file, `warning: ${warning}; used as far as it decodes`, progressShown);
}

/**
 * Decodes each image file in turn and hands it to `use`. A file that cannot
 * be read, decoded or used is reported on stderr and skipped; any other error
 * is a bug and propagates. `afterEach` sees the progress. Returns the failures.
 */
export async function forEachImage(
  files: string[], use: (image: RgbImage, file: string) => Promise<void>, afterEach?: (done: number) => void, decodeOptions: DecodeOptions = {},
): Promise<number> {
  let failures = 0;
  for (const [i, file] of files.entries()) {
    try {
      const image = await decodeImage(await readFile(file), decodeOptions);
      reportWarnings(file, image.warnings, afterEach !== undefined);
      await use(image, file);
    } catch (error) {
      if (!isUserFacing(error)) throw error;
      failures++;
      reportFailure(file, (error as Error).message, afterEach !== undefined);
    }
    afterEach?.(i + 1);
  }
  return failures;
}
