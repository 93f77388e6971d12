// Files that ship with the package, found relative to dist/cli/.
export const BUNDLED_MODEL = new URL('../../models/dlib_face_recognition_resnet_model_v1.dat', import.meta.url);
export const EXAMPLE_CHIPS = new URL('../../examples/chips/', import.meta.url);
