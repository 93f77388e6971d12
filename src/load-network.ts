import { readDlibNetwork, readNetwork, type ReadNetworkOptions } from './dlib/network-reader.js';
import { readNetworkAndShapePredictor } from './dlib/network-and-shape-predictor.js';
import type { NetworkDescription } from './dlib/network-description.js';
import { DlibNetwork, type EngineOptions } from './engine/network.js';
import { DatFormatError } from './errors.js';
import { layerOp } from './plan/layer-ops.js';
import { readModelSource, type ModelSource } from './model-source.js';
import { optionsObject } from './arguments.js';

export interface LoadNetworkOptions extends ReadNetworkOptions, EngineOptions {}

/**
 * Refuses at load what the engine cannot run yet: a net of no fixed input
 * size is planned only when it first runs, which is too late to say so.
 */
function refuseWhatCannotRun(net: NetworkDescription): void {
  for (const layer of net.layers) layerOp(layer);
}

/**
 * The net of a file. A file holding a net and then a shape predictor (dlib's
 * vehicle detectors, which dlib reads as `net >> sp`) gives its net, the
 * shape predictor checked and left (readNetworkAndShapePredictor reads both);
 * any other bytes after the net are a DatFormatError where the net ends.
 */
function readNetworkOfFile(bytes: Uint8Array | ArrayBuffer, options: ReadNetworkOptions): NetworkDescription {
  const { description, end, length } = readNetwork(bytes, options, 'loadNetwork');
  if (end === length) return description;
  try {
    return readNetworkAndShapePredictor(bytes, options).network;
  } catch (error) {
    // Not even the start of a shape predictor: say what readDlibNetwork says of stray bytes.
    if (error instanceof DatFormatError && error.offset === end) readDlibNetwork(bytes, options);
    throw error;
  }
}

/**
 * Loads any supported dlib network from its `.dat` (bytes or a source of them). Nets with tag,
 * skip, add_prev or concat layers other than the face model need `printout`.
 */
export async function loadNetwork(source: ModelSource, options?: LoadNetworkOptions): Promise<DlibNetwork> {
  options = optionsObject(options, "loadNetwork's options");
  const description = readNetworkOfFile(await readModelSource(source), options);
  refuseWhatCannotRun(description);
  return DlibNetwork.create(description, options);
}
