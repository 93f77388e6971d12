import type { NetworkDescription } from '../dlib/network-description.js';
import { InputError } from '../errors.js';
import { buildExecutionPlan } from './execution-plan.js';
import { buildGraph, fuseGraph, nodeInputs, sizeOf, type Graph, type Shape } from './graph.js';
import type { RowWindow } from './ops/op-lowering.js';
import { loweringOf } from './ops/registry.js';

/**
 * Running a net in horizontal bands of input rows, each with the rows above
 * and below that its output rows need, when the whole input's tensors would
 * take too much memory. Only a net whose every node has a row window (see
 * OpLowering.rowWindow) is banded; the geometry comes from those windows.
 *
 * A band's tensors are the whole input's rows from some row on, with zeros
 * past the band's edges where the whole input has real rows: a band output
 * row is exact (equal to the whole input's) when every row it reads is exact
 * or is padding in the whole input too. Bands start at multiples of every
 * tensor's stride (so that band row i of each tensor is the same whole-input
 * row for all of the band's rows) and of the rows computed together (a
 * Winograd tile's), and each conv picks its algorithm as for the whole input:
 * the rows kept are computed with the same arithmetic, so they are the same
 * values, bit for bit.
 */

/** How a row-local graph's tensors line up with the input's rows. */
interface RowGeometry {
  /** Each node's row window. */
  windows: RowWindow[];
  /** Input rows per row of each tensor (0 for tensors no node writes). */
  strides: number[];
  /** Input rows that band starts are multiples of. */
  alignment: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The graph's row geometry, or undefined if some node is not row-local. */
export function rowGeometry(graph: Graph): RowGeometry | undefined {
  const strides = new Array<number>(graph.shapes.length).fill(0);
  strides[graph.input] = 1;
  let alignment = 1;
  const windows: RowWindow[] = [];
  for (const node of graph.nodes) {
    const window = loweringOf(node).rowWindow?.(node);
    if (!window) return undefined;
    // The inputs' rows line up in a band only if they have the same stride (add_prev of two scales does not).
    const inputStrides = new Set(nodeInputs(node).map((t) => strides[t]));
    if (inputStrides.size !== 1) return undefined;
    const stride = [...inputStrides][0] * window.stride;
    strides[node.y] = stride;
    const groupRows = stride * window.together;
    alignment = (alignment / gcd(alignment, groupRows)) * groupRows;
    windows.push(window);
  }
  return { windows, strides, alignment };
}

/**
 * The rows [first, end) of a band's output that are exact. `top` and
 * `bottom` say whether the band's first and last input rows are the whole
 * input's: past such an edge, the band's padding is the whole input's.
 */
export function exactOutputRows(graph: Graph, windows: RowWindow[], top: boolean, bottom: boolean): [number, number] {
  const exact: [number, number][] = [];
  exact[graph.input] = [0, graph.shapes[graph.input].h];
  graph.nodes.forEach((node, n) => {
    const { size, stride, pad } = windows[n];
    let first = 0;
    let end = graph.shapes[node.y].h;
    for (const x of nodeInputs(node)) {
      const [from, to] = exact[x];
      // Rows read beyond an exact edge of the whole input are padding there as here.
      const readFrom = top && from === 0 ? -Infinity : from;
      const readTo = bottom && to === graph.shapes[x].h ? Infinity : to;
      first = Math.max(first, Math.ceil((readFrom + pad) / stride));
      end = Math.min(end, Math.floor((readTo - size + pad) / stride) + 1);
    }
    exact[node.y] = end > first ? [first, end] : [0, 0];
  });
  return exact[graph.output];
}

/** One band: input rows [start, end), of whose output rows [keepFrom, keepTo) go to the whole output from row `outputRow` on. */
export interface Band {
  start: number;
  end: number;
  keepFrom: number;
  keepTo: number;
  outputRow: number;
}

/** How to run one input in bands: all of `height` input rows but the last, which may be shorter. */
export interface BandLayout {
  height: number;
  bands: Band[];
  /** The whole input's output. */
  output: Shape;
  /** What each band's plan picks its algorithms by (see PlanOptions.wholeInput). */
  wholeInput: { shapes: Shape[]; batch: number };
}

/** The fused graph of a band of `rows` input rows, or undefined if a layer's output would have no row. */
function bandGraph(net: NetworkDescription, rows: number, cols: number): Graph | undefined {
  try {
    return fuseGraph(buildGraph(net, rows, cols));
  } catch (error) {
    if (error instanceof InputError) return undefined;
    throw error;
  }
}

/**
 * The bands of `height` rows (the last one shorter) that cover an input of
 * `rows` x `cols`, each starting as far down as the rows still missing allow;
 * undefined if bands so short leave a gap.
 */
function bandsOf(
  net: NetworkDescription,
  rows: number,
  cols: number,
  height: number,
  geometry: RowGeometry,
  whole: Graph,
): Band[] | undefined {
  const outputStride = geometry.strides[whole.output];
  const outputRows = whole.shapes[whole.output].h;
  const interior = bandGraph(net, height, cols);
  if (!interior) return undefined;
  // The first exact output row of a band whose top is not the input's: the same for every such band.
  const [margin] = exactOutputRows(interior, geometry.windows, false, false);
  const bands: Band[] = [];
  let start = 0;
  let next = 0;
  while (next < outputRows) {
    const end = Math.min(start + height, rows);
    const graph = end - start === height ? interior : bandGraph(net, end - start, cols);
    if (!graph) return undefined;
    const [first, last] = exactOutputRows(graph, geometry.windows, start === 0, end === rows);
    const offset = start / outputStride;
    if (offset + first > next || offset + last <= next) return undefined;
    bands.push({ start, end, keepFrom: next - offset, keepTo: last, outputRow: next });
    next = offset + last;
    const nextStart = Math.floor(((next - margin) * outputStride) / geometry.alignment) * geometry.alignment;
    if (next < outputRows && nextStart <= start) return undefined;
    start = nextStart;
  }
  return bands;
}

/**
 * How to run an input of `rows` x `cols` in bands, or undefined to run it
 * whole: when the whole input's plan for batches of `batch` fits in
 * `maxArenaBytes`, or the net is not row-local. Each band's plan (one sample)
 * takes at most `maxArenaBytes` where bands tall enough to cover the output
 * allow; the bands are as tall as that allows, to recompute fewest rows.
 */
export function layoutBands(
  net: NetworkDescription,
  rows: number,
  cols: number,
  { batch, maxArenaBytes, fusedMultiplyAdd }: { batch: number; maxArenaBytes: number; fusedMultiplyAdd?: boolean },
): BandLayout | undefined {
  const whole = fuseGraph(buildGraph(net, rows, cols));
  const geometry = rowGeometry(whole);
  if (!geometry) return undefined;
  const largest = whole.shapes.reduce((most, shape) => Math.max(most, sizeOf(shape)), 0) * 4 * batch;
  // The largest tensor may tell without laying out all of them.
  if (largest <= maxArenaBytes && buildExecutionPlan(whole, { batch, constantKey: 'fused', fusedMultiplyAdd }).arenaBytes <= maxArenaBytes)
    return undefined;
  const wholeInput = { shapes: whole.shapes, batch };
  const { alignment } = geometry;
  const output = whole.shapes[whole.output];
  const steps = Math.ceil(rows / alignment);
  const heightOf = (k: number) => Math.min(k * alignment, rows);
  const layout = (height: number): BandLayout | undefined => {
    const bands = bandsOf(net, rows, cols, height, geometry, whole);
    return bands && { height, bands, output, wholeInput };
  };
  // The least height whose bands cover the output: from there on, bands only get fewer.
  let low = 1;
  let high = steps;
  while (low < high) {
    const k = Math.floor((low + high) / 2);
    if (layout(heightOf(k))) high = k;
    else low = k + 1;
  }
  const fits = (k: number) => {
    const graph = bandGraph(net, heightOf(k), cols);
    return (
      graph !== undefined &&
      buildExecutionPlan(graph, { batch: 1, constantKey: 'fused', wholeInput, fusedMultiplyAdd }).arenaBytes <= maxArenaBytes
    );
  };
  // The tallest height that fits, if the least does.
  let tallest = low;
  high = steps;
  while (tallest < high) {
    const k = Math.ceil((tallest + high) / 2);
    if (fits(k)) tallest = k;
    else high = k - 1;
  }
  // Heights past the least one that covers are expected to cover too; if one does not, a taller one will (the whole input does).
  for (let k = tallest; k < steps; k++) {
    const result = layout(heightOf(k));
    if (result) return result;
  }
  return layout(rows);
}
