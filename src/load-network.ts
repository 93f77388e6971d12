import { readDlibNetwork, type ReadNetworkOptions } from './dlib/network-reader.js';
import type { NetworkDescription } from './dlib/network-description.js';
import { DlibNetwork, type EngineOptions } from './engine/network.js';
import { UnsupportedLayerError } from './errors.js';
import { layerOp } from './plan/layer-ops.js';
import { readModelSource, type ModelSource } from './model-source.js';
import { optionsObject } from './arguments.js';

export interface LoadNetworkOptions extends ReadNetworkOptions, EngineOptions {}

/**
 * Refuses at load what the engine cannot run yet: a net of no fixed input
 * size is planned only when it first runs, which is too late to say so.
 */
function refuseWhatCannotRun(net: NetworkDescription): void {
  if (net.input.kind !== 'input_rgb_image') throw new UnsupportedLayerError(`${net.input.kind} cannot be run yet`, net.input.index);
  for (const layer of net.layers) layerOp(layer);
}

/**
 * Loads any supported dlib network from its `.dat` (bytes or a source of them). Nets with tag,
 * skip, add_prev or concat layers other than the face model need `printout`.
 */
export async function loadNetwork(source: ModelSource, options?: LoadNetworkOptions): Promise<DlibNetwork> {
  options = optionsObject(options, "loadNetwork's options");
  const description = readDlibNetwork(await readModelSource(source), options);
  refuseWhatCannotRun(description);
  return DlibNetwork.create(description, options);
}
