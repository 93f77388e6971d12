import { InputError } from '../errors.js';

/* The options of dlib's face detectors (HOG and CNN) and of DlibNetwork.detect, and their checks. */

export interface DetectFacesOptions {
  /**
   * Times the image is up-sampled 2x (dlib's `pyramid_up`) before scanning,
   * so that faces down to about 40x40 (once) or 20x20 (twice) pixels are
   * found; dlib's Python `detector(img, upsample)`. Default 1
   * (DEFAULT_UPSAMPLE), as dlib's examples detect and the face pipeline does.
   */
  upsample?: number;
  /** Added to every filter's threshold: negative finds more (and worse) faces. Default 0. */
  adjustThreshold?: number;
}

/** The up-sampling detectFaces does unless told: faces down to about 40x40 pixels. */
export const DEFAULT_UPSAMPLE = 1;
/** The most up-sampling accepted: each doubles the image's sides. */
export const MAX_UPSAMPLE = 8;

/** A detector's options checked, with their defaults (`what` names them in errors). */
export function checkDetectOptions(
  options: DetectFacesOptions,
  defaultUpsample = DEFAULT_UPSAMPLE,
  what = 'detectFaces options',
): { upsample: number; adjustThreshold: number } {
  if (options === null || typeof options !== 'object') throw new InputError(`${what} must be an object`);
  const { upsample = defaultUpsample, adjustThreshold = 0 } = options;
  if (!Number.isInteger(upsample) || upsample < 0 || upsample > MAX_UPSAMPLE) {
    throw new InputError(`upsample must be an integer from 0 to ${MAX_UPSAMPLE}, not ${String(upsample)}`);
  }
  if (typeof adjustThreshold !== 'number' || !Number.isFinite(adjustThreshold)) {
    throw new InputError(`adjustThreshold must be a finite number, not ${String(adjustThreshold)}`);
  }
  return { upsample, adjustThreshold };
}
