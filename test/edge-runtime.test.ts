import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityPayload, type ParityResult } from './parity/parity-payload.js';
import { runtimeBinary } from './support/runtime-binaries.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const folder = `${root}build/edge`;
const MODEL = 'dlib_face_recognition_resnet_model_v1.dat';

/** A port free on loopback right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** Bundles test/edge/worker.js with the package as a Workers deployment tool does; .wasm and .dat stay module imports. */
async function bundleWorker(): Promise<void> {
  const build = await rolldown({ input: `${root}test/edge/worker.js`, platform: 'browser', external: ['kernels-simd.wasm', MODEL] });
  await build.write({ file: `${folder}/worker.js`, format: 'esm' });
  await build.close();
}

function workerdConfig(port: number): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .parityWorker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const parityWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "kernels-simd.wasm", wasm = embed "../../dist/wasm/kernels-simd.wasm"),
    (name = "${MODEL}", data = embed "../../models/${MODEL}"),
  ],
  compatibilityDate = "2025-01-01",
);
`;
}

let workerd: ChildProcess;
let url: string;
const payload = JSON.stringify(parityPayload());

beforeAll(async () => {
  const binary = runtimeBinary('workerd');
  mkdirSync(folder, { recursive: true });
  await bundleWorker();
  const port = await freePort();
  writeFileSync(`${folder}/config.capnp`, workerdConfig(port));
  workerd = spawn(binary, ['serve', `${folder}/config.capnp`], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 120_000 });
  url = `http://127.0.0.1:${port}`;
  // Up once it answers: a bounded number of tries.
  for (let attempt = 0; ; attempt++) {
    if (workerd.exitCode !== null) throw new Error(`workerd exited with ${workerd.exitCode}`);
    const answered = await fetch(`${url}/embedded`, { method: 'POST', body: '{"chips":[],"descriptors":[]}' }).then(
      () => true,
      () => false,
    );
    if (answered) break;
    if (attempt === 100) throw new Error('workerd did not answer within 10 s');
    await new Promise((done) => setTimeout(done, 100));
  }
});

afterAll(() => {
  workerd?.kill();
});

async function check(path: string): Promise<ParityResult & { error?: string }> {
  const result = await (await fetch(`${url}${path}`, { method: 'POST', body: payload })).json();
  console.log(`workerd ${path}: ${JSON.stringify(result)}`);
  return result;
}

describe("Cloudflare's workerd (an edge runtime: no workers, no compiling wasm from bytes)", () => {
  it("gives dlib's descriptors from the packaged wasm imported as a module, on 1 thread", async () => {
    const result = await check('/');
    expect(result.runtime).toBe('Cloudflare-Workers');
    expect(result.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(result.backend).toEqual({ simd: true, relaxedSimd: false, threads: 1 });
    expect(result.workersStarted).toBeNull();
  });

  it('refuses the embedded wasm, and the error says to pass wasm.module', async () => {
    const result = await check('/embedded');
    expect(result.error).toMatch(
      /^DlibWasmError: could not compile the kernels \(CompileError: .*disallowed by embedder\)\..* pass wasm: \{ module \} with dlib-wasm\/wasm\/kernels-(relaxed-)?simd\.wasm/,
    );
  });
});
