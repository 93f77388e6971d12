// The suite measures every configuration in several rounds, one process per
// configuration per round, the configurations interleaved. On a shared VM a
// neighbour can slow one process by 2x for a few seconds without any sign
// inside the machine (seen here: face-api at batch 8 once took 45 ms/face,
// 25-27 in every other process); the median of rounds taken at different
// times rejects such a process, where a longer single run would not.

/**
 * Merges the rounds of one section: for each configuration (row position:
 * every round measures the same configurations in the same order), the row
 * of the median round by `timeOf(row)`, with every round's time alongside.
 */
export function mergeRounds(rounds, timeOf) {
  return rounds[0].map((row, index) => {
    if (row.skipped) return row;
    const sameConfiguration = rounds.map((round) => round[index]);
    const byTime = [...sameConfiguration].sort((a, b) => timeOf(a) - timeOf(b));
    return { ...byTime[(byTime.length - 1) >> 1], roundTimes: sameConfiguration.map(timeOf) };
  });
}
