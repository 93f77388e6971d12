// Files that ship with the package, found relative to dist/cli/.
const models = new URL('../../models/', import.meta.url);
export const BUNDLED_MODEL = new URL('dlib_face_recognition_resnet_model_v1.dat', models);
export const BUNDLED_DETECTOR = new URL('frontal_face_detector.dat', models);
export const BUNDLED_CNN_DETECTOR = new URL('mmod_human_face_detector.dat', models);
export const BUNDLED_LANDMARKS = new URL('shape_predictor_5_face_landmarks_lfw.dat', models);
export const BUNDLED_GENDER = new URL('dnn_gender_classifier_v1.dat', models);
export const EXAMPLE_CHIPS = new URL('../../examples/chips/', import.meta.url);
