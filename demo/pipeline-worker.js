// The demo's face pipeline, off the page's main thread: a whole photo's
// detection never blocks the page, and the package's own threads (started
// from here) may block on Atomics, which a page's main thread may not.
// Messages are handled one at a time, in order.
import { FACE_CHIP_SIZE, getFaceChipDetails, loadFacePipeline, loadShapePredictor } from '../dist/index.js';

const MODELS = '../models/';
/** What dlib's examples cut for the network: 150x150 chips with 25% padding. */
const CHIP_PADDING = 0.25;

let pipeline;
/** The bundled 5-point predictor, or a dlib shape predictor the user picked. */
let shapePredictor;

const model = (name) => fetch(MODELS + name);

async function load() {
  pipeline = await loadFacePipeline({
    detector: await model('frontal_face_detector.dat'),
    landmarks: await model('shape_predictor_5_face_landmarks_lfw.dat'),
    recognition: await model('dlib_face_recognition_resnet_model_v1.dat'),
  });
  shapePredictor = pipeline.shapePredictor;
  return { backend: pipeline.recognition.backend, crossOriginIsolated: globalThis.crossOriginIsolated };
}

async function useLandmarks({ file }) {
  shapePredictor = file ? await loadShapePredictor(new Uint8Array(await file.arrayBuffer())) : pipeline.shapePredictor;
  return { name: file ? file.name : null };
}

/** RGBA bytes as stored in the file: no colour conversion, no premultiplied alpha. */
function pixels(bitmap) {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

const rgba = ({ width, height, data }) => {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < out.length; i += 4, j += 3) {
    out[i] = data[j];
    out[i + 1] = data[j + 1];
    out[i + 2] = data[j + 2];
    out[i + 3] = 255;
  }
  return out;
};

/**
 * The faces of an image, each stage timed on its own (the pipeline's
 * `detect` does the same in one call). `progress` reports the stage.
 */
async function facesOf(image, upsample, progress) {
  const timings = {};
  let started = performance.now();
  const lap = (stage) => {
    const now = performance.now();
    timings[stage] = now - started;
    started = now;
  };
  // An aligned chip is a photo too: it is its own face, with no detection.
  if (image.width === FACE_CHIP_SIZE && image.height === FACE_CHIP_SIZE) {
    const [descriptor] = await pipeline.recognition.computeFaceDescriptors([image]);
    lap('descriptors');
    const rect = { left: 0, top: 0, right: FACE_CHIP_SIZE - 1, bottom: FACE_CHIP_SIZE - 1 };
    return { faces: [{ rect, landmarks: [], chip: new Uint8ClampedArray(image.data), descriptor, aligned: true }], timings };
  }
  progress(`detecting faces in ${image.width}×${image.height} pixels, upsampled ${upsample} time${upsample === 1 ? '' : 's'}…`);
  const detections = pipeline.detector.detectFaces(image, { upsample });
  lap('detect');
  progress(`${detections.length} faces: landmarks…`);
  const landmarks = detections.map((d) => shapePredictor.predict(image, d.rect));
  lap('landmarks');
  const chips = landmarks.map((points) => pipeline.chips.extractImageChip(image, getFaceChipDetails(points, FACE_CHIP_SIZE, CHIP_PADDING)));
  lap('chips');
  progress(`${detections.length} faces: descriptors…`);
  const descriptors = await pipeline.recognition.computeFaceDescriptors(chips);
  lap('descriptors');
  const faces = detections.map((d, i) => ({
    rect: d.rect,
    confidence: d.confidence,
    landmarks: landmarks[i],
    chip: rgba(chips[i]),
    descriptor: descriptors[i],
  }));
  return { faces, timings };
}

async function photo({ file, upsample }, progress) {
  const started = performance.now();
  const image = pixels(await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' }));
  const decode = performance.now() - started;
  const { faces, timings } = await facesOf(image, upsample, progress);
  return { width: image.width, height: image.height, faces, timings: { decode, ...timings } };
}

async function frame({ bitmap, upsample }) {
  const image = pixels(bitmap);
  const { faces } = await facesOf(image, upsample, () => {});
  return { width: image.width, height: image.height, faces: faces.map(({ chip, ...face }) => face) };
}

const handlers = { load, useLandmarks, photo, frame };
let queue = Promise.resolve();

self.onmessage = ({ data: { id, type, ...request } }) => {
  const progress = (text) => self.postMessage({ id, progress: text });
  queue = queue.then(async () => {
    try {
      self.postMessage({ id, result: await handlers[type](request, progress) });
    } catch (error) {
      self.postMessage({ id, error: `${error.name}: ${error.message}` });
    }
  });
};
