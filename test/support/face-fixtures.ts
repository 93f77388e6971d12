import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../../src/cli/decode-image.js';
import type { Point, Rectangle, RgbImage } from '../../src/index.js';
import { fixture, fixtureJson } from './helpers.js';

/** One face of dlib's pipeline run (`faces/*.json` with 68 points, `faces5/*.json` with 5). */
export interface FaceFixture {
  id: string;
  image: string;
  detection: { rect: Rectangle };
  landmarks: Point[];
  chip_details: {
    rect: Rectangle;
    angle: number;
    rows: number;
    cols: number;
    pyramid_level: number;
    image_to_chip_affine: { m: [[number, number], [number, number]]; b: [number, number] };
  };
  descriptor: number[];
  /** dlib's chip, under test/fixtures/. */
  chipPng: string;
}

/** Every face of one run: `faces` (dlib's 68-point model) or `faces5` (the bundled 5-point one). */
export function faceFixtures(set: 'faces' | 'faces5'): FaceFixture[] {
  const files = readdirSync(fileURLToPath(new URL(`../fixtures/${set}/`, import.meta.url)))
    .filter((f) => /_f\d+\.json$/.test(f))
    .sort();
  return files.map((file) => {
    const json = fixtureJson(`${set}/${file}`);
    return {
      ...json,
      landmarks: set === 'faces' ? json.landmarks_68 : json.landmarks_5,
      chipPng: set === 'faces' ? `chips/faces/${json.id}.png` : `faces5/${json.id}.png`,
    };
  });
}

const photos = new Map<string, Promise<RgbImage>>();

/** A photo under fixtures/photos/, decoded (once) to exactly dlib's pixels. */
export function photo(name: string): Promise<RgbImage> {
  let decoded = photos.get(name);
  if (!decoded) {
    decoded = decodeImage(fixture(`photos/${name}`));
    photos.set(name, decoded);
  }
  return decoded;
}

export const LANDMARK_MODEL_68 = '/usr/share/dlib/shape_predictor_68_face_landmarks.dat';

/** dlib's 68-point model from Debian's libdlib-data: too big to bundle, so the tests that need it say how to get it. */
export function landmarkModel68Bytes(): Uint8Array {
  if (!existsSync(LANDMARK_MODEL_68)) {
    throw new Error(
      `${LANDMARK_MODEL_68} is missing: install dlib's 68-point landmark model with \`apt-get install -y libdlib-data\` (Debian/Ubuntu), as npm test does (scripts/install-test-runtimes.sh)`,
    );
  }
  return new Uint8Array(readFileSync(LANDMARK_MODEL_68));
}

export function landmarkModel5Bytes(): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL('../../models/shape_predictor_5_face_landmarks_lfw.dat', import.meta.url))));
}
