import { describeValue } from '../arguments.js';
import type { LossDescription } from '../dlib/network-description.js';
import { InputError } from '../errors.js';

/** What dlib's loss_multiclass_log makes of a net's output for one input. */
export interface Classification {
  /** The class: the index of the largest logit (the first, on a tie), as dlib's `to_label`. */
  label: number;
  /** The softmax of the logits, in float32 as dlib's `tt::softmax` computes it. */
  probabilities: Float32Array;
  /** The output of the layer under the loss, one value per class. */
  logits: Float32Array;
}

/** An InputError unless the net's loss is loss_multiclass_log: `what` (e.g. `classify`) needs one value per class. */
export function requireMulticlassLog(loss: LossDescription, what: string): void {
  if (loss.kind !== 'loss_multiclass_log') {
    throw new InputError(`${what} needs a net under loss_multiclass_log; this one's loss is ${loss.kind}: use run() for its outputs`);
  }
}

/** An InputError unless an output of `channels` x `rows` x `cols` is one value per class, as dlib asserts. */
export function checkClassScores(shape: { c: number; h: number; w: number }, what: string): void {
  if (shape.h !== 1 || shape.w !== 1) {
    throw new InputError(
      `loss_multiclass_log takes one value per class, but the layer under it gives ${shape.c}x${shape.h}x${shape.w} for ${what}`,
    );
  }
}

/** The label and probabilities of one input's logits (a net's output under loss_multiclass_log). */
export function classifyLogits(logits: Float32Array | number[]): Classification {
  if (!(logits instanceof Float32Array || Array.isArray(logits)) || logits.length === 0 || !logits.every(Number.isFinite)) {
    throw new InputError(`classifyLogits takes one finite number per class (a Float32Array or an array), got ${describeValue(logits)}`);
  }
  logits = Float32Array.from(logits);
  let label = 0;
  for (let k = 1; k < logits.length; k++) if (logits[k] > logits[label]) label = k;
  // dlib's softmax: exp(x - max) in float, summed in float, each divided by the sum.
  const f = Math.fround;
  const max = logits[label];
  const probabilities = logits.map((x) => f(Math.exp(f(x - max))));
  let sum = 0;
  for (const p of probabilities) sum = f(sum + p);
  for (let k = 0; k < probabilities.length; k++) probabilities[k] = f(probabilities[k] / sum);
  return { label, probabilities, logits };
}
