import { readFileSync } from 'node:fs';

const MODEL = new URL('../../models/dlib_face_recognition_resnet_model_v1.dat', import.meta.url);

/** The bundled dlib face recognition model, as the library takes it: bytes. */
export function readModelBytes() {
  return readFileSync(MODEL);
}
