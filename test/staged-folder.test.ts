import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { StagedFolder } from '../src/cli/staged-folder.js';

const parent = mkdtempSync(join(tmpdir(), 'dlib-wasm-staged-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

// A thread writing files into a folder as fast as it can, as locate workers write a run's chips: until
// the folder is gone from its path, then it says how many it wrote.
const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeFileSync } = require('node:fs');
let written = 0;
parentPort.postMessage('started');
for (;;) {
  try { writeFileSync(workerData + '/chip-' + written + '.png', Buffer.alloc(4096)); written++; } catch { break; }
}
parentPort.postMessage(written);
`;

describe("cluster --out's staged folder", () => {
  it('is removed whole while other threads are still writing files into it (an interrupted run on a loaded machine)', async () => {
    const target = join(parent, 'out');
    const staged = await StagedFolder.create(target, () => undefined);
    const writers = Array.from({ length: 3 }, () => new Worker(WRITER, { eval: true, workerData: staged.path }));
    await Promise.all(writers.map((worker) => new Promise((started) => worker.once('message', started))));
    const written = writers.map((worker) => new Promise<number>((done) => worker.once('message', done)));
    // Thousands of files in it by now, more coming: rm's retries alone lose that race.
    while (readdirSync(staged.path).length < 2000) await new Promise((tick) => setTimeout(tick, 5));
    expect(() => staged.discard()).not.toThrow();
    for (const count of await Promise.all(written)) expect(count).toBeGreaterThan(0);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });
});
