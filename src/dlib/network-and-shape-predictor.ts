import { DatFormatError } from '../errors.js';
import { readShapePredictor, type ShapePredictorModel } from './shape-predictor-reader.js';
import type { NetworkDescription } from './network-description.js';
import { readNetwork, type ReadNetworkOptions } from './network-reader.js';

export interface NetworkAndShapePredictor {
  network: NetworkDescription;
  shapePredictor: ShapePredictorModel;
  /** The shape predictor's bytes (the file's rest, from where the network ends): `loadShapePredictor` takes them. */
  shapePredictorBytes: Uint8Array;
}

/** A DatFormatError of the part read alone, at its byte in the whole file. */
function inFile(error: DatFormatError, start: number): DatFormatError {
  const what = error.message.replace(/ \((?:in layer<\d+> )?at byte \d+\)$/, '');
  return new DatFormatError(`shape predictor after the network: ${what}`, error.offset + start, error.layerIndex);
}

/**
 * Reads a file holding a network and then a shape predictor, as dlib's
 * vehicle detectors do (dlib reads them with `deserialize(file) >> net >> sp`).
 * Errors in the shape predictor are DatFormatErrors at their byte in the whole file.
 */
export function readNetworkAndShapePredictor(source: Uint8Array | ArrayBuffer, options?: ReadNetworkOptions): NetworkAndShapePredictor {
  const { description, end, length } = readNetwork(source, options, 'readNetworkAndShapePredictor');
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  if (end === length) throw new DatFormatError('the file ends with the network: no shape predictor follows it', end);
  const shapePredictorBytes = bytes.subarray(end);
  try {
    return { network: description, shapePredictor: readShapePredictor(shapePredictorBytes), shapePredictorBytes };
  } catch (error) {
    throw error instanceof DatFormatError ? inFile(error, end) : error;
  }
}
