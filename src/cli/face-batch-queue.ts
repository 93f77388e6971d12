/** A photo queued with its faces, and the results of those described so far. */
interface QueuedPhoto<P, F, R> {
  photo: P;
  faces: F[];
  results: R[];
}

/**
 * Describes the faces of photos that come one at a time in full batches
 * across photos, and hands each photo's results on in photo order as soon as
 * its last face is described. A face costs the network a third more alone
 * than in a full batch of 8, and a tenth more in a batch of 2 to 7 (Node 22,
 * one thread), and most photos have fewer faces than a batch. At most a batch less one face waits between photos (a photo of many
 * faces is described at once, as alone), so memory stays bounded however many
 * photos come; `finish` describes the faces left once the last photo is in.
 * The first photo is described as it comes: a run's first lines come as soon
 * as they did one photo at a time.
 */
export class FaceBatchQueue<P, F, R> {
  /** The photos not handed on yet, in order. */
  private readonly photos: QueuedPhoto<P, F, R>[] = [];
  /** Their faces not described yet, in photo order then face order. */
  private readonly waiting: { queued: QueuedPhoto<P, F, R>; face: number }[] = [];
  /** No photo added yet: the next one is described at once. */
  private first = true;

  constructor(
    private readonly batchSize: number,
    /** The results of a batch of faces, one per face. */
    private readonly describe: (faces: F[]) => Promise<R[]>,
    /** A photo's faces and their results, in photo order. */
    private readonly done: (photo: P, faces: F[], results: R[]) => Promise<void>,
  ) {}

  /** Queues a photo's faces; describes the full batches waiting, and hands on the photos they complete. */
  async add(photo: P, faces: F[]): Promise<void> {
    const queued: QueuedPhoto<P, F, R> = { photo, faces, results: new Array<R>(faces.length) };
    this.photos.push(queued);
    for (let face = 0; face < faces.length; face++) this.waiting.push({ queued, face });
    const whole = this.first ? this.waiting.length : this.waiting.length - (this.waiting.length % this.batchSize);
    this.first = false;
    await this.describeWaiting(whole);
  }

  /** Describes every face still waiting and hands on the photos left: once the last photo is added. */
  async finish(): Promise<void> {
    await this.describeWaiting(this.waiting.length);
  }

  private async describeWaiting(count: number): Promise<void> {
    if (count > 0) {
      const taken = this.waiting.splice(0, count);
      const results = await this.describe(taken.map(({ queued, face }) => queued.faces[face]));
      taken.forEach(({ queued, face }, i) => {
        queued.results[face] = results[i];
      });
    }
    // The first photo is complete when none of the faces still waiting is its (they wait in photo order).
    while (this.photos.length > 0 && this.waiting[0]?.queued !== this.photos[0]) {
      const { photo, faces, results } = this.photos.shift()!;
      await this.done(photo, faces, results);
    }
  }
}
