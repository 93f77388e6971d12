import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
// The pool starts its workers from the built file beside it: the CLI as `npm run build` builds it.
import { openLandmarkModel } from '../dist/cli/landmark-model-cache.js';
import { PhotoLocatorPool, shareCores } from '../dist/cli/photo-locator-pool.js';

/** A pool on one thread (--threads 1) with the bundled HOG detector and 5-point model, upsample 1. */
const startOneThreadPool = () =>
  PhotoLocatorPool.start(
    {
      detector: readFileSync('models/frontal_face_detector.dat'),
      detectorKind: 'hog',
      landmarks: openLandmarkModel('models/shape_predictor_5_face_landmarks_lfw.dat'),
      upsample: 1,
    },
    2,
    1,
    true,
  );

describe("the CLI's locate workers and the network share the cores they are given", () => {
  it('a worker per core (no more than the photos); the network on one thread beside several, on all of them beside one or after them', () => {
    // faces, cluster, recognize: each photo described as it comes.
    expect(shareCores(36, 1, true)).toEqual({ workers: 1, detectorThreads: 1, networkThreads: 1, useCores: 1 });
    expect(shareCores(36, 2, true)).toEqual({ workers: 2, detectorThreads: 1, networkThreads: 1, useCores: 1 });
    expect(shareCores(1, 2, true)).toEqual({ workers: 1, detectorThreads: 2, networkThreads: 2, useCores: 2 });
    expect(shareCores(2, 5, true)).toEqual({ workers: 2, detectorThreads: 2, networkThreads: 1, useCores: 1 });
    // index: the photos described once located, the workers waiting.
    expect(shareCores(36, 2, false)).toEqual({ workers: 2, detectorThreads: 1, networkThreads: 2, useCores: 0 });
  });

  it('on one thread, the calling thread locates the photos itself, never while it uses the one before', async () => {
    const photo = 'test/fixtures/photos/bald_guys.jpg';
    const pool = await startOneThreadPool();
    const cpuMsWhileUsing: number[] = [];
    const faces: number[] = [];
    try {
      await pool.forEachPhoto([photo, photo], async (located) => {
        faces.push(located.length);
        // The whole process's CPU (workers included) while this thread only waits: a worker
        // locating the next photo (a second and more of work) would be most of it.
        const before = process.cpuUsage();
        await sleep(800);
        const { user, system } = process.cpuUsage(before);
        cpuMsWhileUsing.push((user + system) / 1000);
      });
    } finally {
      await pool.close();
    }
    // A worker would only ever run while this thread waits: none is started.
    expect(pool.workerThreads).toBe(0);
    expect(faces).toEqual([24, 24]);
    expect(cpuMsWhileUsing[0]).toBeLessThan(200);
  }, 60_000);

  it("on one thread, the next photo's file is read while the one before is located and used", async () => {
    // The second photo's file is gone by the time it is located: only a read ahead of it still has its bytes.
    const folder = mkdtempSync(join(tmpdir(), 'dlib-wasm-read-ahead-'));
    const next = join(folder, 'next.jpg');
    copyFileSync('test/fixtures/photos/2008_001322.jpg', next);
    const pool = await startOneThreadPool();
    const faces: number[] = [];
    try {
      // bald_guys.jpg takes most of a second to locate: the read of the next file, started as it was queued, is done.
      const failures = await pool.forEachPhoto(['test/fixtures/photos/bald_guys.jpg', next], async (located) => {
        faces.push(located.length);
        rmSync(next, { force: true });
      });
      expect(failures).toBe(0);
    } finally {
      await pool.close();
      rmSync(folder, { recursive: true, force: true });
    }
    expect(faces).toEqual([24, 3]);
  }, 60_000);
  it('on two threads, a worker goes on to the next photo while the calling thread is busy using one', async () => {
    const chipDir = mkdtempSync(join(tmpdir(), 'dlib-wasm-pool-'));
    const photo = 'test/fixtures/photos/2008_001322.jpg';
    const pool = await PhotoLocatorPool.start(
      {
        detector: readFileSync('models/frontal_face_detector.dat'),
        detectorKind: 'hog',
        landmarks: openLandmarkModel('models/shape_predictor_5_face_landmarks_lfw.dat'),
        upsample: 1,
        chipDir,
      },
      5,
      2,
      true,
    );
    const faces: number[] = [];
    let locatedMeanwhile = 0;
    try {
      await pool.forEachPhoto([photo, photo, photo, photo, photo], async (located, _, index) => {
        faces.push(located.length);
        if (index > 0) return;
        // This thread's event loop stays blocked (a batch of faces described here holds it so): no
        // message gets through. The workers save each photo's chips before they reply: the last
        // photos' chips appear only if the workers claim them on their own.
        const blocked = new Int32Array(new SharedArrayBuffer(4));
        const until = Date.now() + 30_000;
        while (!existsSync(join(chipDir, '4-2.png')) && Date.now() < until) Atomics.wait(blocked, 0, 0, 10);
        locatedMeanwhile = [1, 2, 3, 4].filter((job) => existsSync(join(chipDir, `${job}-2.png`))).length;
      });
    } finally {
      await pool.close();
      rmSync(chipDir, { recursive: true, force: true });
    }
    expect(pool.workerThreads).toBe(2);
    expect(faces).toEqual([3, 3, 3, 3, 3]);
    expect(locatedMeanwhile).toBe(4);
  }, 60_000);
});
