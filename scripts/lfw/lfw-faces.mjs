// dlib's LFW protocol for finding the one face of each image (shared/reference/lfw/results.json):
// the HOG detector at 1x, upsampled once if it finds nothing; of several faces the one nearest
// the image centre; if none, a median-sized box centred in the image.
import { getFaceChipDetails } from '../../dist/index.js';

/** The median face box of dlib's LFW run, used where no face is found. */
export const FALLBACK_BOX = { width: 105, height: 104 };

const centreDistance = (r, width, height) =>
  Math.hypot((r.left + r.right) / 2 - (width - 1) / 2, (r.top + r.bottom) / 2 - (height - 1) / 2);

/**
 * The face rect dlib's protocol takes, and how it was found: level 1 at 1x,
 * 2 after upsampling once, 0 for the centred fallback box.
 */
export function protocolFace(detector, image) {
  for (const [level, upsample] of [
    [1, 0],
    [2, 1],
  ]) {
    const found = detector.detectFaces(image, { upsample });
    if (found.length > 0) {
      const nearest = found.reduce((best, d) =>
        centreDistance(d.rect, image.width, image.height) < centreDistance(best.rect, image.width, image.height) ? d : best,
      );
      return { level, faces: found.length, rect: nearest.rect };
    }
  }
  const left = Math.floor((image.width - FALLBACK_BOX.width) / 2);
  const top = Math.floor((image.height - FALLBACK_BOX.height) / 2);
  return { level: 0, faces: 0, rect: { left, top, right: left + FALLBACK_BOX.width - 1, bottom: top + FALLBACK_BOX.height - 1 } };
}

/** Each image's protocol face, landmarks and descriptor; the network runs in batches. */
export async function protocolDescriptors(pipeline, images) {
  const faces = images.map((image) => {
    const face = protocolFace(pipeline.detector, image);
    const landmarks = pipeline.shapePredictor.predict(image, face.rect);
    const chip = pipeline.chips.extractImageChip(image, getFaceChipDetails(landmarks, 150, 0.25));
    return { ...face, landmarks, chip };
  });
  const descriptors = await pipeline.recognition.computeFaceDescriptors(faces.map((f) => f.chip));
  return faces.map(({ chip, ...face }, i) => ({ ...face, descriptor: descriptors[i] }));
}
