// The Web Worker script that threads start from where a page's
// Content-Security-Policy forbids blob: workers: pass its URL as the
// `workerUrl` option (it is `dlib-wasm/worker`, served with the rest of dist/).
import { serveWorkerInit } from './engine/web-workers.js';
import { workerMain } from './engine/worker-main.js';

serveWorkerInit(workerMain);
