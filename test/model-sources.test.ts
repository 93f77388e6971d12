import { describe, expect, it } from 'vitest';
import { InputError, loadFaceRecognitionModel, loadFrontalFaceDetector, loadShapePredictor, type ModelSource } from '../src/index.js';
import { landmarkModel5Bytes } from './support/face-fixtures.js';
import { faceModelBytes, fixture, fixtureJson, fixturePng, maxAbsDiff } from './support/helpers.js';

const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
const bytes = faceModelBytes() as Uint8Array<ArrayBuffer>;

function chunked(data: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= data.length) return controller.close();
      controller.enqueue(data.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

describe('the model comes as bytes or as something that yields them', () => {
  it.each([
    ['a Uint8Array', () => bytes],
    ['an ArrayBuffer', () => bytes.slice().buffer],
    ['a fetch Response', () => new Response(bytes)],
    ['a Blob (a picked File)', () => new Blob([bytes])],
    ['a ReadableStream in odd-sized chunks', () => chunked(bytes, 65_537)],
  ])('%s', async (_, source) => {
    const model = await loadFaceRecognitionModel(source(), { threads: 1 });
    const descriptor = await model.computeFaceDescriptor(fixturePng(items[0].chip));
    expect(maxAbsDiff(descriptor, items[0].descriptor)).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });

  it('a failed response is an InputError that names its status, not a file format error', async () => {
    const response = new Response('not found', { status: 404, statusText: 'Not Found' });
    await expect(loadFaceRecognitionModel(response)).rejects.toThrow(new InputError("the model's response is 404 Not Found"));
  });

  it('anything else is an InputError', async () => {
    await expect(loadFaceRecognitionModel('models/dlib_face_recognition_resnet_model_v1.dat' as never)).rejects.toThrow(InputError);
    await expect(loadFaceRecognitionModel({} as never)).rejects.toThrow(InputError);
  });
});

describe('every loader takes the same model sources', () => {
  const detectorBytes = fixture('../../models/frontal_face_detector.dat') as Uint8Array<ArrayBuffer>;
  const landmarkBytes = landmarkModel5Bytes() as Uint8Array<ArrayBuffer>;
  const sources: Array<[string, (b: Uint8Array<ArrayBuffer>) => ModelSource]> = [
    ['an ArrayBuffer', (b) => b.slice().buffer],
    ['a fetch Response', (b) => new Response(b)],
    ['a Blob', (b) => new Blob([b])],
    ['a ReadableStream', (b) => chunked(b, 4099)],
  ];

  it.each(sources)('loadFrontalFaceDetector and loadShapePredictor take %s', async (_, source) => {
    const fromBytes = await loadFrontalFaceDetector(detectorBytes, { threads: 1 });
    const detector = await loadFrontalFaceDetector(source(detectorBytes), { threads: 1 });
    expect(detector.description).toEqual(fromBytes.description);
    fromBytes.dispose();
    detector.dispose();
    const image = { width: 40, height: 30, data: new Uint8Array(40 * 30 * 3).map((_, i) => (i * 37) & 255) };
    const rect = { left: 5, top: 5, right: 30, bottom: 25 };
    const predictor = await loadShapePredictor(source(landmarkBytes));
    expect(predictor.predict(image, rect)).toEqual((await loadShapePredictor(landmarkBytes)).predict(image, rect));
  });

  it('a failed response is the same InputError from each loader', async () => {
    const notFound = () => new Response('not found', { status: 404, statusText: 'Not Found' });
    const error = new InputError("the model's response is 404 Not Found");
    await expect(loadFrontalFaceDetector(notFound())).rejects.toThrow(error);
    await expect(loadShapePredictor(notFound())).rejects.toThrow(error);
  });
});
