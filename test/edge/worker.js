// The parity check in Cloudflare's workerd, an edge runtime: no workers, no
// file system, and no compiling wasm from bytes. So the kernels come as a
// module import of the package's dist/wasm/kernels-simd.wasm (a compiled
// WebAssembly.Module, as Cloudflare Workers import .wasm files), the model as
// a data module. POST the parity payload to / for the check; to /embedded to
// try the embedded wasm, which the runtime refuses.
import * as dlib from '../../dist/index.js';
import { runParityCheck } from '../parity/parity-check.js';
import kernels from 'kernels-simd.wasm';
import model from 'dlib_face_recognition_resnet_model_v1.dat';

export default {
  async fetch(request) {
    const payload = await request.json();
    const embedded = new URL(request.url).pathname === '/embedded';
    try {
      const result = await runParityCheck(dlib, { model, payload, options: embedded ? {} : { wasm: { module: kernels } } });
      return Response.json({ ...result, runtime: navigator.userAgent });
    } catch (error) {
      return Response.json({ error: `${error.name}: ${error.message}` });
    }
  },
};
