import type { PlanStep, StepArg } from '../plan/execution-plan.js';
import type { Kernels } from './kernels.js';

function resolve(arg: StepArg, base: number, count: number): number | boolean {
  if (typeof arg !== 'object') return arg;
  return 'arena' in arg ? base + arg.arena : arg.perSample * count;
}

/** Work items of a step for `count` samples. */
export function workItems(step: PlanStep, count: number): number {
  return Math.ceil((step.work.perSample * count) / step.work.granule);
}

/** The step's arguments for a run of `count` samples over the arena at `base`. */
export function stepArgs(step: PlanStep, base: number, count: number): (number | boolean)[] {
  return step.args.map((a) => resolve(a, base, count));
}

/**
 * Runs a step's share of work: items [start, end) and, for blocked kernels,
 * blocks [blockStart, blockEnd). The whole step by default.
 */
export function runStep(
  kernels: Kernels,
  step: PlanStep,
  base: number,
  count: number,
  start = step.work.first ?? 0,
  end = start + workItems(step, count),
  blockStart = 0,
  blockEnd = step.work.blocks ?? 0,
): void {
  const args = stepArgs(step, base, count);
  if (step.work.blocks === undefined) kernels[step.kernel](...args, start, end);
  else kernels[step.kernel](...args, start, end, blockStart, blockEnd);
}
