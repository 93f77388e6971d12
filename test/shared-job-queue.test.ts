import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SharedJobQueue } from '../src/cli/shared-job-queue.js';

/** Serves `queue` on `cores` a job, each job taking `ms`, recording when each starts and ends. */
function server(queue: SharedJobQueue, cores: number, ms: number, events: string[], running: { now: number; most: number }) {
  return queue.serve(cores, async (job) => {
    running.now += cores;
    running.most = Math.max(running.most, running.now);
    events.push(`start ${job}`);
    await sleep(ms);
    events.push(`end ${job}`);
    running.now -= cores;
    return true;
  });
}

describe('SharedJobQueue: jobs and the cores they share, claimed by whoever is free', () => {
  it('hands each published job to one server, in order, never running more cores than it has', async () => {
    for (const cores of [1, 2, 3]) {
      const queue = SharedJobQueue.create(cores, 0);
      const events: string[] = [];
      const running = { now: 0, most: 0 };
      const servers = [1, 2, 3].map(() => server(queue, 1, 5, events, running));
      queue.publish(9);
      while (events.filter((event) => event.startsWith('end')).length < 9) await sleep(5);
      queue.close();
      await Promise.all(servers);
      const started = events.filter((event) => event.startsWith('start'));
      expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((job) => `start ${job}`));
      expect(running.most).toBe(cores);
    }
  });

  it('claims no job before it is published', async () => {
    const queue = SharedJobQueue.create(2, 0);
    const events: string[] = [];
    const serving = server(queue, 1, 1, events, { now: 0, most: 0 });
    queue.publish(2);
    await sleep(50);
    expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1']);
    queue.publish(3);
    await sleep(50);
    expect(events.slice(4)).toEqual(['start 2', 'end 2']);
    queue.close();
    await serving;
  });

  it('keeps the cores of the job the user waits for for the user, and claims nothing while the user waits for cores', async () => {
    const queue = SharedJobQueue.create(1, 1);
    const events: string[] = [];
    const serving = server(queue, 1, 30, events, { now: 0, most: 0 });
    queue.awaiting(0);
    queue.publish(3);
    while (!events.includes('end 0')) await sleep(1);
    // The user learns of job 0's result later (a message through a busy event loop): its cores wait for it.
    await sleep(50);
    expect(events).toEqual(['start 0', 'end 0']);
    await queue.takeUserCores();
    events.push('use 0');
    await sleep(50);
    // Job 1 waits for the one core, which the user holds.
    expect(events).toEqual(['start 0', 'end 0', 'use 0']);
    queue.releaseUserCores();
    // Job 1 was not awaited: its cores go to job 2, and the user waits for them.
    queue.awaiting(2);
    while (!events.includes('end 1')) await sleep(1);
    await sleep(5);
    const userWaits = queue.takeUserCores().then(() => events.push('use 1'));
    await userWaits;
    queue.releaseUserCores();
    queue.close();
    await serving;
    expect(events.slice(3)).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'use 1']);
  });

  it('once closed, its servers stop and the user waits for no core', async () => {
    const queue = SharedJobQueue.create(1, 1);
    const events: string[] = [];
    const serving = server(queue, 1, 100, events, { now: 0, most: 0 });
    queue.publish(5);
    while (!events.includes('start 0')) await sleep(1);
    // The server holds the one core: the user would wait for it.
    const userWaits = queue.takeUserCores();
    queue.close();
    await userWaits;
    await serving;
    expect(events).toEqual(['start 0', 'end 0']);
  });
});

describe('SharedJobQueue across threads', () => {
  it('wakes a thread waiting on it when another thread changes it, and gathers nothing over hundreds of changes', async () => {
    // No core: the server waits for the whole test, woken at every change the worker makes.
    const queue = SharedJobQueue.create(0, 0);
    const served: number[] = [];
    const serving = queue.serve(1, async (job) => {
      served.push(job);
      return false;
    });
    const { Worker } = await import('node:worker_threads');
    const url = new URL('../dist/cli/shared-job-queue.js', import.meta.url).href;
    const worker = new Worker(
      `import(${JSON.stringify(url)}).then(({ SharedJobQueue }) => {
        const queue = new SharedJobQueue(require('node:worker_threads').workerData);
        const pause = new Int32Array(new SharedArrayBuffer(4));
        // A millisecond apart: the calling thread wakes at each.
        for (let i = 1; i <= 300; i++) {
          queue.publish(i);
          Atomics.wait(pause, 0, 0, 1);
        }
        require('node:worker_threads').parentPort.postMessage('done');
      });`,
      { eval: true, workerData: queue.buffer },
    );
    await new Promise((resolve) => worker.once('message', resolve));
    await worker.terminate();
    await sleep(20);
    expect(served).toEqual([]);
    // Its wakers from this thread's waits, each woken by the worker: taken back, not kept.
    expect((queue as unknown as { wakeLocal: unknown[] }).wakeLocal.length).toBeLessThanOrEqual(1);
    queue.close();
    await serving;
  });
});
