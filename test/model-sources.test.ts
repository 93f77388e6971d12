import { describe, expect, it } from 'vitest';
import { InputError, loadFaceRecognitionModel } from '../src/index.js';
import { faceModelBytes, fixtureJson, fixturePng, maxAbsDiff } from './helpers.js';

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
