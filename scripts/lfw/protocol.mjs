// LFW View 2: 10 folds of 300 matched and 300 mismatched pairs (pairs.txt).
// Accuracy at a fixed threshold, and with the threshold tuned on the other 9 folds.

/**
 * @typedef {{ fold: number, a: string, b: string, same: boolean }} Pair
 */

const imageName = (name, number) => `${name}/${name}_${String(number).padStart(4, '0')}.jpg`;

/** Parses pairs.txt: `folds\tn`, then per fold n matched (`name i j`) and n mismatched (`name i name j`) lines. */
export function parsePairs(text) {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const [folds, perFold] = lines[0].split(/\s+/).map(Number);
  /** @type {Pair[]} */
  const pairs = [];
  for (let i = 0; i < folds * 2 * perFold; i++) {
    const fields = lines[1 + i].split('\t');
    const fold = Math.floor(i / (2 * perFold));
    if (fields.length === 3) pairs.push({ fold, a: imageName(fields[0], fields[1]), b: imageName(fields[0], fields[2]), same: true });
    else pairs.push({ fold, a: imageName(fields[0], fields[1]), b: imageName(fields[2], fields[3]), same: false });
  }
  return { folds, pairs };
}

const accuracy = (distances, same, threshold) => {
  let right = 0;
  distances.forEach((d, i) => (right += d < threshold === same[i] ? 1 : 0));
  return right / distances.length;
};

/**
 * The threshold that classifies the training pairs best: candidates are the
 * midpoints between consecutive distinct distances; among equally good ones,
 * the middle one (the upper middle of an even count).
 */
export function tuneThreshold(distances, same) {
  const sorted = [...new Set(distances)].sort((x, y) => x - y);
  let best = -1;
  let tied = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const t = (sorted[i] + sorted[i + 1]) / 2;
    const a = accuracy(distances, same, t);
    if (a > best) {
      best = a;
      tied = [t];
    } else if (a === best) {
      tied.push(t);
    }
  }
  return tied[Math.floor(tied.length / 2)];
}

const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
const std = (v) => Math.sqrt(v.reduce((s, x) => s + (x - mean(v)) ** 2, 0) / (v.length - 1));

/**
 * Scores pair distances: per fold accuracy at `threshold`, and with the
 * threshold tuned on the other folds. `distances[i]` belongs to `pairs[i]`.
 */
export function evaluate(pairs, distances, folds, threshold = 0.6) {
  const fixed = [];
  const tuned = [];
  const thresholds = [];
  for (let f = 0; f < folds; f++) {
    const test = pairs.map((_, i) => i).filter((i) => pairs[i].fold === f);
    const train = pairs.map((_, i) => i).filter((i) => pairs[i].fold !== f);
    const pick = (idx) => [idx.map((i) => distances[i]), idx.map((i) => pairs[i].same)];
    const [testD, testSame] = pick(test);
    const t = tuneThreshold(...pick(train));
    fixed.push(accuracy(testD, testSame, threshold));
    tuned.push(accuracy(testD, testSame, t));
    thresholds.push(t);
  }
  const summary = (perFold) => ({ mean: mean(perFold), std: std(perFold), standardError: std(perFold) / Math.sqrt(folds), perFold });
  return { fixed: summary(fixed), tuned: { ...summary(tuned), thresholds } };
}
