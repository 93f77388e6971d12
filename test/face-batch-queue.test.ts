import { describe, expect, it } from 'vitest';
import { FaceBatchQueue } from '../src/cli/face-batch-queue.js';

/** A queue whose "descriptor" of a face is its name in capitals, recording each batch and each photo handed on. */
function recordingQueue(batchSize: number) {
  const batches: string[][] = [];
  const done: { photo: string; results: string[] }[] = [];
  const queue = new FaceBatchQueue<string, string, string>(
    batchSize,
    async (faces) => {
      batches.push(faces);
      return faces.map((face) => face.toUpperCase());
    },
    async (photo, faces, results) => {
      expect(results).toEqual(faces.map((face) => face.toUpperCase()));
      done.push({ photo, results });
    },
  );
  return { queue, batches, done };
}

describe("the CLI's face batches across photos", () => {
  it('describes full batches across photos and hands each photo on, in order, once its last face is described', async () => {
    const { queue, batches, done } = recordingQueue(4);
    // The first photo alone, at once: the run's first lines as early as ever.
    await queue.add('first', ['f0']);
    expect(batches).toEqual([['f0']]);
    expect(done.map((d) => d.photo)).toEqual(['first']);
    batches.length = 0;
    done.length = 0;
    await queue.add('p0', ['a0', 'a1', 'a2']);
    expect(batches).toEqual([]);
    // No face: it waits behind p0, whose faces are not described yet.
    await queue.add('p1', []);
    expect(done).toEqual([]);
    // A full batch: p0 is complete and goes, with p1 behind it; p2's second face waits.
    await queue.add('p2', ['c0', 'c1']);
    expect(batches).toEqual([['a0', 'a1', 'a2', 'c0']]);
    expect(done.map((d) => d.photo)).toEqual(['p0', 'p1']);
    // A photo of many faces: every full batch of them at once, the rest waiting.
    await queue.add('p3', ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7']);
    expect(batches).toEqual([
      ['a0', 'a1', 'a2', 'c0'],
      ['c1', 'd0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6'],
    ]);
    expect(done.map((d) => d.photo)).toEqual(['p0', 'p1', 'p2']);
    await queue.add('p4', []);
    await queue.finish();
    expect(batches.at(-1)).toEqual(['d7']);
    expect(done).toEqual([
      { photo: 'p0', results: ['A0', 'A1', 'A2'] },
      { photo: 'p1', results: [] },
      { photo: 'p2', results: ['C0', 'C1'] },
      { photo: 'p3', results: ['D0', 'D1', 'D2', 'D3', 'D4', 'D5', 'D6', 'D7'] },
      { photo: 'p4', results: [] },
    ]);
  });

  it('a photo without faces and nothing waiting before it goes at once; finish with nothing waiting describes nothing', async () => {
    const { queue, batches, done } = recordingQueue(8);
    await queue.add('p0', []);
    await queue.add('p1', []);
    expect(done.map((d) => d.photo)).toEqual(['p0', 'p1']);
    await queue.finish();
    expect(batches).toEqual([]);
  });

  it('a failing batch rejects the add that described it', async () => {
    const queue = new FaceBatchQueue<string, string, string>(
      2,
      async () => {
        throw new Error('the network failed');
      },
      async () => undefined,
    );
    await expect(queue.add('p0', ['a0'])).rejects.toThrow('the network failed');
  });
});
