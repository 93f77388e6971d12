import { DatFormatError, InputError, TopologyError, UnsupportedLayerError } from '../errors.js';
import { filePath, readRegularFile } from './regular-file.js';

/**
 * The model in `file`, read and made by `make`. A run reads several models
 * (detector, landmarks, recognition), so a file that cannot be read as one
 * says which it is: its path goes before the message, which keeps the error's
 * class, byte offset and layer.
 */
export async function readModelFile<T>(file: string | URL, make: (bytes: Buffer) => T | Promise<T>): Promise<T> {
  try {
    return await make(await readRegularFile(file));
  } catch (error) {
    if (
      error instanceof DatFormatError ||
      error instanceof TopologyError ||
      error instanceof UnsupportedLayerError ||
      error instanceof InputError
    ) {
      error.message = `${filePath(file)}: ${error.message}`;
    }
    throw error;
  }
}
