// A CNN detector's net (dlib's mmod .dat files) with a plain RGB input layer
// instead of its image pyramid: what its convolutions see, on an image of the
// size of the tiled pyramid, until the pyramid input itself is measured.
import { readFileSync } from 'node:fs';
import { DlibNetwork, readDlibNetworkPrefix } from '../../dist/index.js';

/** `name` of test/fixtures/dlib-models, its input layer replaced by input_rgb_image with the same mean. */
export async function loadPlainInputDetector(name, options) {
  const bytes = readFileSync(new URL(`../../test/fixtures/dlib-models/${name}.dat`, import.meta.url));
  // The prefix: the vehicle detectors' files hold a shape predictor after the net.
  const d = readDlibNetworkPrefix(bytes).description;
  return DlibNetwork.create({ ...d, input: { kind: 'input_rgb_image', index: d.input.index, mean: d.input.mean } }, options);
}

/** A deterministic photo-like RGB image: gradients and noise, no constant regions. */
export function syntheticImage(width, height) {
  const data = new Uint8Array(width * height * 3);
  let seed = 12345;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const p = Math.floor(i / 3);
    data[i] = ((((p % width) * 255) / width + (Math.floor(p / width) * 128) / height + (seed >>> 26)) & 0xff) >>> 0;
  }
  return { width, height, data };
}
