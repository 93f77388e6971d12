import { readDlibNetwork, type ReadNetworkOptions } from './dlib/network-reader.js';
import { DlibNetwork, type EngineOptions } from './engine/network.js';

export interface LoadNetworkOptions extends ReadNetworkOptions, EngineOptions {}

/**
 * Loads any supported dlib network from its `.dat` bytes. Nets with tag,
 * skip or add_prev layers other than the face model need `printout`.
 */
export async function loadNetwork(bytes: Uint8Array | ArrayBuffer, options: LoadNetworkOptions = {}): Promise<DlibNetwork> {
  return DlibNetwork.create(readDlibNetwork(bytes, options), options);
}
