import type { PlannedArg, PlanStep, StepArg } from '../plan/plan-step.js';
import type { ParallelCall } from './parallel-call.js';

function resolve(arg: StepArg, base: number, count: number): number | boolean {
  if (typeof arg !== 'object') return arg;
  return 'arena' in arg ? base + arg.arena : arg.perSample * count;
}

/** A plan step's kernel call for a run of `count` samples over the arena at `base`. */
export function stepCall(step: PlanStep, base: number, count: number): ParallelCall {
  const { work } = step;
  const first = work.first ?? 0;
  const items = Math.ceil((work.perSample * count) / work.granule);
  const macs = step.macs * count;
  const split =
    work.blocks === undefined ? { first, items, macs } : { first, items, macs, blocks: work.blocks, preferBlocks: work.splitBlocks };
  // The step's arguments are its kernel's, with some deferred to here: resolved one by one, which the types cannot follow.
  const args = step.args.map((a: StepArg) => resolve(a, base, count));
  return { kernel: step.kernel, args, split, label: step.label } as ParallelCall;
}

/** A planned step with the addresses of its constants, placed by the engine, put in. */
export function withConstants(step: PlanStep<PlannedArg>, addresses: ReadonlyMap<string, number>): PlanStep {
  const args = step.args.map((a: PlannedArg) => {
    if (typeof a !== 'object' || !('constant' in a)) return a;
    const address = addresses.get(a.constant);
    if (address === undefined) throw new Error(`${step.label}: constant ${a.constant} was not placed`);
    return address;
  });
  // The same kernel and arguments, each constant now a number: the types cannot follow the map.
  return { ...step, args } as PlanStep;
}
