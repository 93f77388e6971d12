import { InputError } from './errors.js';

/**
 * A model file's bytes, or something that yields them: a fetch `Response`,
 * a `Blob` (a picked `File`) or a `ReadableStream` of bytes.
 */
export type ModelSource = Uint8Array | ArrayBuffer | Response | Blob | ReadableStream<Uint8Array>;

/** Reads a model source to its bytes; failed responses are errors, not files. */
export async function readModelSource(source: ModelSource): Promise<Uint8Array | ArrayBuffer> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return source;
  if (source === null || typeof source !== 'object')
    throw new InputError(`a model must be bytes, a Response, a Blob or a ReadableStream, got ${String(source)}`);
  // Duck-typed: a Response or stream from another realm or fetch implementation works too.
  if ('getReader' in source && typeof source.getReader === 'function') return readStream(source);
  if ('status' in source && 'ok' in source && !source.ok) {
    throw new InputError(`the model's response is ${source.status} ${source.statusText}${source.url ? ` for ${source.url}` : ''}`);
  }
  if ('arrayBuffer' in source && typeof source.arrayBuffer === 'function') return new Uint8Array(await source.arrayBuffer());
  throw new InputError('a model must be bytes, a Response, a Blob or a ReadableStream');
}

async function readStream(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8Array)) throw new InputError('a model stream must yield Uint8Array chunks');
    chunks.push(value);
    length += value.length;
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
