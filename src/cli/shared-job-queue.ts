// Slots of the queue's Int32Array.
/** Bumped at every change, so that a waiter that looked before it wakes. */
const EPOCH = 0;
/** Cores not held by a locator's job or by the user. */
const FREE_CORES = 1;
/** Cores the user waits for (0: none): no job is claimed meanwhile. */
const USER_WANTS = 2;
/** The cores the user takes for each job it uses. */
const USER_CORES = 3;
/** The job whose result the user waits for (-1: none). */
const AWAITED = 4;
/** Jobs below this may be claimed. */
const PUBLISHED = 5;
/** The next job to claim: every job below it is claimed. */
const CLAIMED = 6;
/** Nonzero once closed: nothing more is claimed, and nobody waits. */
const CLOSED = 7;
const SLOTS = 8;

/**
 * Jobs numbered 0, 1, 2... that any of several threads may take, and the
 * cores they share, in shared memory: a thread that finishes a job takes the
 * next one at once, without the thread that hands the jobs out (the user of
 * their results) having to be free to post it. The user takes cores of its
 * own to use each result; it waits for none while holding them, and it goes
 * first: a thread that finishes the job the user waits for leaves its cores
 * to it, and no job is claimed while the user waits for cores.
 */
export class SharedJobQueue {
  private readonly slots: Int32Array;
  /** This thread's waits, woken by its own changes without a task through the event loop (see changeAfter). */
  private wakeLocal: (() => void)[] = [];

  /** A queue another thread made (its `buffer`). */
  constructor(readonly buffer: SharedArrayBuffer) {
    this.slots = new Int32Array(buffer);
  }

  /** A queue of `cores` cores, none of its jobs published yet; the user takes `userCores` to use each result. */
  static create(cores: number, userCores: number): SharedJobQueue {
    const queue = new SharedJobQueue(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
    Atomics.store(queue.slots, FREE_CORES, cores);
    Atomics.store(queue.slots, USER_CORES, userCores);
    Atomics.store(queue.slots, AWAITED, -1);
    return queue;
  }

  /** Lets the jobs below `count` be claimed. */
  publish(count: number): void {
    Atomics.store(this.slots, PUBLISHED, count);
    this.changed();
  }

  /** The next job published and not yet claimed, once `cores` are free for it; undefined once the queue is closed. */
  private async claim(cores: number): Promise<number | undefined> {
    const { slots } = this;
    const claimable = () => Atomics.load(slots, USER_WANTS) === 0 && Atomics.load(slots, CLAIMED) < Atomics.load(slots, PUBLISHED);
    while (await this.takeCores(cores, claimable)) {
      const job = Atomics.load(slots, CLAIMED);
      if (job < Atomics.load(slots, PUBLISHED) && Atomics.compareExchange(slots, CLAIMED, job, job + 1) === job) return job;
      // Another thread claimed it first.
      Atomics.add(slots, FREE_CORES, cores);
      this.changed();
    }
    return undefined;
  }

  /**
   * Claims the jobs one at a time on `cores` and runs each (`run` tells
   * whether its result is for the user: see finish), until the queue is closed.
   */
  async serve(cores: number, run: (job: number) => Promise<boolean>): Promise<void> {
    for (let job = await this.claim(cores); job !== undefined; job = await this.claim(cores)) {
      this.finish(job, cores, await run(job));
    }
  }

  /**
   * Gives back a claimed job's cores. `forUser`: its result is for the user to
   * use (it will take its cores); if the user waits for it, they are kept for
   * the user rather than for the next job.
   */
  private finish(job: number, cores: number, forUser: boolean): void {
    const { slots } = this;
    if (forUser && Atomics.load(slots, AWAITED) === job) Atomics.store(slots, USER_WANTS, Atomics.load(slots, USER_CORES));
    Atomics.add(slots, FREE_CORES, cores);
    this.changed();
  }

  /** Tells the queue which job's result the user waits for next (see finish). */
  awaiting(job: number): void {
    Atomics.store(this.slots, AWAITED, job);
  }

  /** Takes the user's cores to use a result, before any job waiting for them; at once if the queue is closed. */
  async takeUserCores(): Promise<void> {
    const { slots } = this;
    const cores = Atomics.load(slots, USER_CORES);
    if (cores === 0) return;
    Atomics.store(slots, USER_WANTS, cores);
    if (await this.takeCores(cores, () => true)) {
      Atomics.store(slots, USER_WANTS, 0);
      this.changed();
    }
  }

  /** Gives back the cores takeUserCores took. */
  releaseUserCores(): void {
    Atomics.add(this.slots, FREE_CORES, Atomics.load(this.slots, USER_CORES));
    this.changed();
  }

  /** Nothing more is claimed; every thread waiting on the queue goes on. */
  close(): void {
    Atomics.store(this.slots, CLOSED, 1);
    this.changed();
  }

  /** Takes `cores` from the free ones once `allowed()` and they are there; false once the queue is closed. */
  private async takeCores(cores: number, allowed: () => boolean): Promise<boolean> {
    const { slots } = this;
    for (;;) {
      const seen = Atomics.load(slots, EPOCH);
      if (Atomics.load(slots, CLOSED)) return false;
      const free = Atomics.load(slots, FREE_CORES);
      if (allowed() && free >= cores) {
        if (Atomics.compareExchange(slots, FREE_CORES, free, free - cores) === free) return true;
      } else {
        await this.changeAfter(seen);
      }
    }
  }

  private changed(): void {
    Atomics.add(this.slots, EPOCH, 1);
    Atomics.notify(this.slots, EPOCH);
    const wake = this.wakeLocal;
    this.wakeLocal = [];
    for (const waiter of wake) waiter();
  }

  /**
   * Resolves once the queue changed since its epoch was `seen`; the thread's
   * event loop goes on meanwhile. A change made on this thread wakes it at
   * once: Deno ends a program whose only pending work is an
   * `Atomics.waitAsync` (the calling thread serving the queue alone, at
   * --threads 1), as if it had nothing left to do.
   */
  private async changeAfter(seen: number): Promise<void> {
    const wait = Atomics.waitAsync(this.slots, EPOCH, seen);
    if (!wait.async) return;
    let wake!: () => void;
    const local = new Promise<void>((resolve) => {
      wake = resolve;
    });
    this.wakeLocal.push(wake);
    await Promise.race([wait.value, local]);
    // Woken by another thread: not left for this one's next change (an idle thread would gather them).
    const at = this.wakeLocal.indexOf(wake);
    if (at >= 0) this.wakeLocal.splice(at, 1);
  }
}
