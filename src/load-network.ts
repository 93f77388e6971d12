import { readDlibNetwork, type ReadNetworkOptions } from './dlib/network-reader.js';
import { DlibNetwork, type EngineOptions } from './engine/network.js';
import { readModelSource, type ModelSource } from './model-source.js';
import { optionsObject } from './arguments.js';

export interface LoadNetworkOptions extends ReadNetworkOptions, EngineOptions {}

/**
 * Loads any supported dlib network from its `.dat` (bytes or a source of them). Nets with tag,
 * skip or add_prev layers other than the face model need `printout`.
 */
export async function loadNetwork(source: ModelSource, options?: LoadNetworkOptions): Promise<DlibNetwork> {
  options = optionsObject(options, "loadNetwork's options");
  return DlibNetwork.create(readDlibNetwork(await readModelSource(source), options), options);
}
