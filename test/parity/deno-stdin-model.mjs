// Deno with no permission at all: the model streamed in on stdin (a
// ReadableStream), threads and all. Any file, environment or system access
// by the package would be refused. Prints the backend and the descriptor of
// an all-black chip.
import { loadFaceRecognitionModel } from '../../dist/index.js';

const model = await loadFaceRecognitionModel(Deno.stdin.readable);
const descriptor = await model.computeFaceDescriptor({ width: 150, height: 150, data: new Uint8Array(150 * 150 * 3) });
console.log(JSON.stringify({ backend: model.backend, descriptor: Array.from(descriptor) }));
model.dispose();
