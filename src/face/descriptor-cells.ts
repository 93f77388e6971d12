import type { WasmSource } from '../engine/kernels.js';
import { DescriptorBlocks } from './descriptor-blocks.js';
import type { PackedDescriptors } from './descriptor-graph.js';

/**
 * Descriptors grouped into cells around k-means centres, each at home in
 * the cell of its nearest centre and a guest in every other cell whose
 * border (the plane halfway between the two centres) is nearer to it than a
 * reach: of two descriptors closer than the reach, at home in neighbouring
 * cells, the nearer to the border is a guest in the other's home, so the
 * pairs of each cell's home descriptors with its home and guest descriptors
 * hold every such pair.
 */
export interface DescriptorCells {
  /** The descriptors of cell c, its home ones ascending then its guests ascending: `members[memberOffsets[c] .. memberOffsets[c + 1])`. */
  memberOffsets: Int32Array;
  members: Int32Array;
  /** How many of cell c's members are at home in it. */
  homeCounts: Int32Array;
  /** Each descriptor's home cell. */
  homes: Int32Array;
  /** The cells of descriptor i (its home among them), ascending: `cells[cellOffsets[i] .. cellOffsets[i + 1])`. */
  cellOffsets: Int32Array;
  cells: Int32Array;
}

export interface CellOptions {
  /** How many cells. */
  cellCount: number;
  /** A descriptor joins each cell whose border is nearer to it than this. */
  reach: number;
  /** The most cells a descriptor joins (its own and those of the nearest borders). */
  mostCellsEach: number;
  wasm?: WasmSource;
}

/** Rounds of Lloyd's k-means on the sample: the cells only need to be compact, not optimal. */
const KMEANS_ROUNDS = 8;
/** Descriptors of the sample per centre. */
const SAMPLE_PER_CELL = 32;

/**
 * The cell the pair (i, j) is kept in: the smaller of i's home, if j is in
 * it, and j's home, if i is in it; -1 when neither is (the pair is not
 * searched in any cell).
 */
export function pairCell({ homes, cellOffsets, cells }: DescriptorCells, i: number, j: number): number {
  const homeOfI = homes[i];
  const homeOfJ = homes[j];
  const first = Math.min(homeOfI, homeOfJ);
  if (holds(cells, cellOffsets[first === homeOfI ? j : i], cellOffsets[(first === homeOfI ? j : i) + 1], first)) return first;
  const second = Math.max(homeOfI, homeOfJ);
  return holds(cells, cellOffsets[second === homeOfI ? j : i], cellOffsets[(second === homeOfI ? j : i) + 1], second) ? second : -1;
}

/** Whether the ascending `cells[begin .. end)` holds `cell`. */
function holds(cells: Int32Array, begin: number, end: number, cell: number): boolean {
  for (let e = begin; e < end && cells[e] <= cell; e++) if (cells[e] === cell) return true;
  return false;
}

/**
 * Cells of the descriptors: centres by k-means on an evenly strided sample
 * (deterministic: the same descriptors give the same cells), then every
 * descriptor placed by its distances to the centres (the SIMD distance
 * kernel, one descriptor against all centres at a time).
 */
export async function descriptorCells(packed: PackedDescriptors, options: CellOptions): Promise<DescriptorCells> {
  const { count, length } = packed;
  const cellCount = Math.max(1, Math.min(options.cellCount, count));
  const centres = await kMeansCentres(packed, cellCount, options.wasm);
  const blocks = await DescriptorBlocks.create(length, options.wasm);
  try {
    blocks.reserve(cellCount);
    for (let c = 0; c < cellCount; c++) blocks.add(centres, c * length);
    // Distances between centres, for the distance from a descriptor to the border of two cells.
    const between = new Float32Array(cellCount * cellCount);
    for (let c = 0; c < cellCount; c++) between.set(blocks.distances(centres, c * length), c * cellCount);
    const cellOffsets = new Int32Array(count + 1);
    const homes = new Int32Array(count);
    let cells = new Int32Array(count * 2);
    // The guest cells of a descriptor: its nearest borders under the reach, nearest first, at most mostCellsEach - 1.
    const guestsMost = Math.max(0, options.mostCellsEach - 1);
    const guestBorders = new Float64Array(guestsMost);
    const guestCells = new Int32Array(guestsMost);
    for (let i = 0; i < count; i++) {
      const distances = blocks.distances(packed.values, i * length);
      let home = 0;
      for (let c = 1; c < cellCount; c++) if (distances[c] < distances[home]) home = c;
      const homeSquared = distances[home] ** 2;
      let guests = 0;
      for (let c = 0; c < cellCount && guestsMost > 0; c++) {
        if (c === home) continue;
        // How far the descriptor is from the plane halfway between the two centres.
        const border = (distances[c] ** 2 - homeSquared) / (2 * between[home * cellCount + c]);
        if (!(border < options.reach) || (guests === guestsMost && border >= guestBorders[guests - 1])) continue;
        let at = guests < guestsMost ? guests++ : guests - 1;
        for (; at > 0 && guestBorders[at - 1] > border; at--) {
          guestBorders[at] = guestBorders[at - 1];
          guestCells[at] = guestCells[at - 1];
        }
        guestBorders[at] = border;
        guestCells[at] = c;
      }
      const at = cellOffsets[i];
      if (at + guests + 1 > cells.length) {
        const grown = new Int32Array(Math.max(cells.length * 2, at + guests + 1));
        grown.set(cells);
        cells = grown;
      }
      homes[i] = home;
      cells[at] = home;
      cells.set(guestCells.subarray(0, guests), at + 1);
      cells.subarray(at, at + guests + 1).sort();
      cellOffsets[i + 1] = at + guests + 1;
    }
    cells = cells.slice(0, cellOffsets[count]);
    return { ...membersOfCells(homes, cellOffsets, cells, cellCount), homes, cellOffsets, cells };
  } finally {
    blocks.dispose();
  }
}

/** Each cell's descriptors, home ones ascending then guests ascending, from each descriptor's cells. */
function membersOfCells(
  homes: Int32Array,
  cellOffsets: Int32Array,
  cells: Int32Array,
  cellCount: number,
): { memberOffsets: Int32Array; members: Int32Array; homeCounts: Int32Array } {
  const memberOffsets = new Int32Array(cellCount + 1);
  const homeCounts = new Int32Array(cellCount);
  for (const c of cells) memberOffsets[c + 1]++;
  for (const c of homes) homeCounts[c]++;
  for (let c = 0; c < cellCount; c++) memberOffsets[c + 1] += memberOffsets[c];
  const nextHome = memberOffsets.slice(0, cellCount);
  const nextGuest = Int32Array.from(nextHome, (at, c) => at + homeCounts[c]);
  const members = new Int32Array(cells.length);
  for (let i = 0; i < homes.length; i++) {
    for (let e = cellOffsets[i]; e < cellOffsets[i + 1]; e++) {
      const c = cells[e];
      if (c === homes[i]) members[nextHome[c]++] = i;
      else members[nextGuest[c]++] = i;
    }
  }
  return { memberOffsets, members, homeCounts };
}

/**
 * `cellCount` centres by Lloyd's k-means on every (count / sample)-th
 * descriptor, started from every (sample / cellCount)-th of the sample; a
 * centre left with no descriptor takes the sample's descriptor farthest from
 * its centre.
 */
async function kMeansCentres({ values, count, length }: PackedDescriptors, cellCount: number, wasm?: WasmSource): Promise<Float32Array> {
  const sampleSize = Math.min(count, cellCount * SAMPLE_PER_CELL);
  const sample = Int32Array.from({ length: sampleSize }, (_, s) => Math.floor((s * count) / sampleSize));
  const centres = new Float32Array(cellCount * length);
  for (let c = 0; c < cellCount; c++) {
    const at = sample[Math.floor((c * sampleSize) / cellCount)] * length;
    centres.set(values.subarray(at, at + length), c * length);
  }
  const blocks = await DescriptorBlocks.create(length, wasm);
  try {
    blocks.reserve(cellCount);
    const nearest = new Int32Array(sampleSize);
    const nearestDistance = new Float32Array(sampleSize);
    for (let round = 0; round < KMEANS_ROUNDS; round++) {
      blocks.clear();
      for (let c = 0; c < cellCount; c++) blocks.add(centres, c * length);
      for (let s = 0; s < sampleSize; s++) {
        const distances = blocks.distances(values, sample[s] * length);
        let best = 0;
        for (let c = 1; c < cellCount; c++) if (distances[c] < distances[best]) best = c;
        nearest[s] = best;
        nearestDistance[s] = distances[best];
      }
      const sums = new Float64Array(cellCount * length);
      const sizes = new Int32Array(cellCount);
      for (let s = 0; s < sampleSize; s++) {
        const c = nearest[s];
        sizes[c]++;
        for (let k = 0; k < length; k++) sums[c * length + k] += values[sample[s] * length + k];
      }
      const farthestFirst = Array.from(nearestDistance.keys()).sort((a, b) => nearestDistance[b] - nearestDistance[a] || a - b);
      let reseeded = 0;
      for (let c = 0; c < cellCount; c++) {
        if (sizes[c] === 0) {
          const at = sample[farthestFirst[reseeded++ % sampleSize]] * length;
          centres.set(values.subarray(at, at + length), c * length);
        } else {
          for (let k = 0; k < length; k++) centres[c * length + k] = sums[c * length + k] / sizes[c];
        }
      }
    }
    return centres;
  } finally {
    blocks.dispose();
  }
}
