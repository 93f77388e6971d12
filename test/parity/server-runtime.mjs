// The parity check in a server runtime (Node, Deno, Bun): `<runtime>
// server-runtime.mjs payload.json` prints the result as one JSON line. It
// imports the package's built ESM as it is; node:fs and node:process are this
// harness's, which all three runtimes have.
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import * as dlib from '../../dist/index.js';
import { runParityCheck } from './parity-check.js';

const payload = JSON.parse(await readFile(process.argv[2], 'utf8'));
const model = await readFile(new URL('../../models/dlib_face_recognition_resnet_model_v1.dat', import.meta.url));
const result = await runParityCheck(dlib, { model: new Uint8Array(model), payload });
console.log(JSON.stringify({ ...result, runtime: globalThis.navigator?.userAgent ?? `Node.js/${process.versions.node}` }));
