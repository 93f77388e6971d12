import type { LayerDescription, NetworkDescription } from './network-description.js';

const EMPTY = new Float32Array(0);

/**
 * A network's description without its weights: every con layer's `filters`
 * and fc layer's `weights` empty, all else as it is (each layer's sizes, the
 * affine and bn values that decide how the layers fuse, the loss and input).
 * Kept beside the net's packed constants (PlacedConstantsImage.complete), it
 * is all the engine needs of the net: a few hundred KB, where the weights are megabytes.
 */
export function networkOutline(description: NetworkDescription): NetworkDescription {
  const outline = (layer: LayerDescription): LayerDescription => {
    if (layer.kind === 'con') return { ...layer, filters: EMPTY };
    if (layer.kind === 'fc') return { ...layer, weights: EMPTY };
    return layer;
  };
  return { ...description, layers: description.layers.map(outline) };
}
