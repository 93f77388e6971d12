import { DlibWasmError } from '../errors.js';
import type { RgbImage } from '../image.js';
import { decodeImage, type DecodeOptions } from './decode-image.js';
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

/** Reports on stderr what is wrong with a file that was used anyway (a damaged JPEG accepted). */
export function reportWarnings(file: string, warnings: string[], drawingBar: boolean): void {
  for (const warning of warnings) reportFailure(file, `warning: ${warning}; used as far as it decodes`, drawingBar);
}

/**
 * Decodes each image file in turn and hands it to `use`. A file that cannot
 * be read, decoded or used (not a regular file, for one) is reported on
 * stderr and skipped; any other error is a bug and propagates. Returns the failures.
 * `use` is done with an image when it settles: the next one's pixels go where its were.
 */
export async function forEachImage(
  files: string[],
  use: (image: RgbImage, file: string) => Promise<void>,
  decodeOptions: DecodeOptions = {},
): Promise<number> {
  let failures = 0;
  const options: DecodeOptions = { ...decodeOptions, pixels: {} };
  for (const file of files) {
    try {
      const image = await decodeImage(await readRegularFile(file), options);
      reportWarnings(file, image.warnings, false);
      await use(image, file);
    } catch (error) {
      if (!isUserFacing(error)) throw error;
      failures++;
      reportFailure(file, (error as Error).message, false);
    }
  }
  return failures;
}
