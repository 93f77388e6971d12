import type { WorkerInit } from './thread-protocol.js';

/**
 * A worker's whole program. It is started from its source text
 * (`String(workerMain)`), so that no runtime or bundler has to find a worker
 * file: it must stay self-contained, using nothing but its argument.
 * It runs kernel calls from the control block until told to exit.
 */
export function workerMain(init: WorkerInit, ready: () => void): void {
  const { layout } = init;
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const kernels = init.kernelNames.map((name) => instance.exports[name] as (...args: number[]) => void);
  const control = new Int32Array(init.memory.buffer, init.controlOffset, layout.ranges + layout.rangeSlots * (init.worker + 1));
  const argSlots = new Float64Array(init.memory.buffer, init.controlOffset + 4 * layout.args, layout.maxArgs);
  const range = layout.ranges + layout.rangeSlots * init.worker;
  // Commands come only after every worker is ready: none can be missed.
  let seen = init.generationAtStart;
  let parked = true;
  ready();
  for (;;) {
    for (let polls = 0; Atomics.load(control, layout.generation) === seen; polls++) {
      if (parked || polls >= layout.spinPolls) Atomics.wait(control, layout.generation, seen);
    }
    seen = Atomics.load(control, layout.generation);
    Atomics.store(control, range + layout.taken, seen);
    const kernel = control[layout.kernel];
    if (kernel === layout.exit) return;
    parked = kernel === layout.park;
    const start = control[range];
    const end = control[range + 1];
    if (!parked && start < end) {
      const args = Array.from(argSlots.subarray(0, control[layout.argCount]));
      try {
        kernels[kernel](...args, start, end, control[range + 2], control[range + 3]);
      } catch {
        // A trap (a bug, never the user's input): the caller throws when this command is done, rather than wait forever.
        Atomics.store(control, layout.failed, init.worker + 1);
      }
    }
    if (Atomics.sub(control, layout.pending, 1) === 1) Atomics.notify(control, layout.pending);
  }
}
