import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { faceDetectorLoader, placeFaces } from '../face/face-pipeline.js';
import { loadFrontalFaceDetector } from '../face/hog-detector.js';
import { genderChipDetails } from '../face/gender-classifier.js';
import { loadImageChipExtractor } from '../face/image-chip-extractor.js';
import type { FaceDetection } from '../face/hog-detector.js';
import type { ShapePredictor } from '../face/shape-predictor.js';
import type { PixelBuffer } from './simd-jpeg-decoder.js';
import { decodeImage } from './decode-image.js';
import { keepFilterbank } from './detector-filterbank-cache.js';
import { isUserFacing } from './each-image.js';
import { encodePng } from './encode-png.js';
import type { LocatedPhotoFace, LocateJob, LocateReply, PhotoLocatorSettings } from './photo-locator-pool.js';
import { readRegularFile } from './regular-file.js';

/** An error as a locate reply or start message carries it: a user-facing one's message, else its stack. */
export const describeLocateError = (error: unknown) =>
  isUserFacing(error) ? (error as Error).message : String((error as Error)?.stack ?? error);

/** Finds, aligns and saves the faces of one photo at a time: what a locate worker does (or the calling thread, in its stead). */
export interface PhotoLocator {
  /** Locates a job's photo, from `bytes` if its file is already being read (read-ahead), else reading it first. */
  locate(job: LocateJob, bytes?: Promise<Uint8Array>): Promise<LocateReply>;
  /** Takes back face chips' pixels once they are used: the next photos' chips go into them. */
  recycleChips(chips: Uint8Array[]): void;
  /** Frees the detector and the chip cutter: their memory, and the detector's worker threads (which keep Deno running). */
  dispose(): void;
}

/**
 * Loads the detector and chips while `shapePredictor` loads (a worker is
 * sent the landmark model meanwhile; the calling thread reads it meanwhile),
 * and is ready once they are: the first photo is decoded and searched while
 * the landmark model is still read (65 MB for dlib's 68-point model).
 */
export async function loadPhotoLocator(
  { detector, detectorKind, upsample, chipDir, genderChips, detectorThreads, allowDamaged, filterbank }: PhotoLocatorSettings,
  shapePredictor: Promise<ShapePredictor>,
): Promise<PhotoLocator> {
  const [loadedDetector, chips] = await Promise.all([
    detectorKind === 'hog'
      ? loadFrontalFaceDetector(detector, { threads: detectorThreads, filterbank: filterbank?.terms }).then((hog) => {
          // Kept for the next run where the cache had none (every worker writes the same entry, whole).
          if (filterbank?.entry && !filterbank.terms) keepFilterbank(filterbank.entry, hog.filterbank).catch(() => undefined);
          return hog;
        })
      : faceDetectorLoader(detectorKind)(detector, { threads: detectorThreads }),
    loadImageChipExtractor(),
  ]);
  // A locator has one photo at a time (it claims the next once done): each is decoded over the last.
  const pixels: PixelBuffer = {};
  // Fresh memory costs more than cutting a chip (~17 pages a chip, and the heap gives them back between photos).
  const spareChips: Uint8Array[] = [];
  const failed = (job: number, error: unknown): LocateReply =>
    isUserFacing(error) ? { job, failure: describeLocateError(error) } : { job, bug: describeLocateError(error) };
  return {
    async locate({ job, file }, bytes) {
      let image: Awaited<ReturnType<typeof decodeImage>>;
      let detections: FaceDetection[];
      try {
        image = await decodeImage(await (bytes ?? readRegularFile(file)), { allowDamaged, pixels });
        detections = await loadedDetector.detectFaces(image, { upsample });
      } catch (error) {
        return failed(job, error);
      }
      // Outside the photo's try: a landmark model that fails to load fails the run, not each photo.
      const parts = { shapePredictor: await shapePredictor, chips };
      try {
        const faces = await Promise.all(
          placeFaces(parts, image, detections, spareChips).map(async ({ rect, confidence, landmarks, chip }, k) => {
            const face: LocatedPhotoFace = { rect, confidence, landmarks, chip };
            if (genderChips) face.genderChip = chips.extractImageChip(image, genderChipDetails(landmarks));
            if (chipDir !== undefined) {
              face.chipFile = join(chipDir, `${job}-${k}.png`);
              await writeFile(face.chipFile, encodePng(chip));
            }
            return face;
          }),
        );
        return { job, faces, warnings: image.warnings };
      } catch (error) {
        return failed(job, error);
      }
    },
    recycleChips(chips) {
      for (const chip of chips) spareChips.push(chip);
    },
    dispose() {
      loadedDetector.dispose();
      chips.dispose();
      spareChips.length = 0;
    },
  };
}
