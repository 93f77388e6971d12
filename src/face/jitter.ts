import { describeValue, integerArgument } from '../arguments.js';
import { DlibRand } from '../dlib/dlib-rand.js';
import { InputError } from '../errors.js';
import { describeRgbImage, MIN_SAMPLED_SIDE, type RgbImage } from '../image.js';
import type { ChipRegion, ImageChipExtractor } from './image-chip-extractor.js';

/** One jitter's random parameters, as dlib's `jitter_image` draws them. */
export interface JitterParameters {
  region: ChipRegion;
  flip: boolean;
}

/**
 * The region and flip of dlib's `jitter_image` for an N x N image: five
 * `get_random_double` draws, y translation first (GCC evaluates the call's
 * arguments right to left), then x, scale, angle in degrees and flip.
 */
export function drawJitter(size: number, rand: DlibRand): JitterParameters {
  integerArgument(size, "the jittered image's size", 8);
  checkRand(rand);
  const inner = size - 6; // shrink_rect(get_rect(img), 3)
  const dy = rand.doubleInRange(-0.02, 0.02);
  const dx = rand.doubleInRange(-0.02, 0.02);
  const scale = rand.doubleInRange(0.97, 0.99999);
  const degrees = rand.doubleInRange(-3, 3);
  const flip = rand.nextDouble() > 0.5;
  const tx = Math.floor(dx * inner + 0.5);
  const ty = Math.floor(dy * inner + 0.5);
  const box = Math.trunc(inner / scale);
  // center() of the inner rect [3, size-4]: integer division, then centered_rect's box/2.
  const cx = Math.trunc((3 + (size - 4) + 1) / 2) + tx;
  const cy = Math.trunc((3 + (size - 4) + 1) / 2) + ty;
  const left = cx - Math.trunc(box / 2);
  const top = cy - Math.trunc(box / 2);
  return {
    region: { rect: { left, top, right: left + box - 1, bottom: top + box - 1 }, angle: (degrees * Math.PI) / 180, rows: size, cols: size },
    flip,
  };
}

/** Mirrors an RGB image left to right. */
function flipLeftRight(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  const out = new Uint8Array(data.length);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) out.set(data.subarray((r * width + c) * 3, (r * width + c) * 3 + 3), (r * width + width - 1 - c) * 3);
  }
  return { width, height, data: out };
}

/**
 * dlib's `jitter_image`: the square image slightly rotated, zoomed and
 * shifted, and mirrored half the time, its randomness drawn from `rand`.
 */
export function jitterImage(extractor: ImageChipExtractor, image: RgbImage, rand: DlibRand): RgbImage {
  if (typeof extractor?.extractImageChip !== 'function') {
    throw new InputError(`jitterImage takes an ImageChipExtractor (loadImageChipExtractor()) first, got ${describeValue(extractor)}`);
  }
  checkRand(rand);
  const { width, height } = describeRgbImage(image, 'image', MIN_SAMPLED_SIDE);
  if (width !== height || width < 8) throw new InputError(`jitter needs a square image of at least 8x8, got ${width}x${height}`);
  const { region, flip } = drawJitter(width, rand);
  const crop = extractor.extractImageChip(image, region);
  return flip ? flipLeftRight(crop) : crop;
}

function checkRand(rand: DlibRand): void {
  if (!(rand instanceof DlibRand)) throw new InputError(`jitter draws from a DlibRand, got ${describeValue(rand)}`);
}
