import { DlibWasmError } from '../errors.js';
import type { RgbImage } from '../image.js';
import { decodeImage } from './decode-image.js';
import { readRegularFile } from './regular-file.js';

/** Errors that describe the user's input or files rather than a bug. */
export function isUserFacing(error: unknown): boolean {
  return error instanceof DlibWasmError || (error as NodeJS.ErrnoException)?.code !== undefined;
}

/**
 * Reports on stderr a file that could not be read, decoded or used; starts on
 * a line of its own when a progress bar holds the current one.
 */
export function reportFailure(file: string, message: string, drawingBar: boolean): void {
  process.stderr.write(`${drawingBar ? '\n' : ''}dlib-wasm: ${file}: ${message}\n`);
}

/**
 * Decodes each image file in turn and hands it to `use`. A file that cannot
 * be read, decoded or used (not a regular file, for one) is reported on
 * stderr and skipped; any other error is a bug and propagates. Returns the failures.
 */
export async function forEachImage(files: string[], use: (image: RgbImage, file: string) => Promise<void>): Promise<number> {
  let failures = 0;
  for (const file of files) {
    try {
      await use(await decodeImage(await readRegularFile(file)), file);
    } catch (error) {
      if (!isUserFacing(error)) throw error;
      failures++;
      reportFailure(file, (error as Error).message, false);
    }
  }
  return failures;
}
