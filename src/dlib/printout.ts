import { InputError, TopologyError } from '../errors.js';
import { describeValue } from '../arguments.js';

/**
 * One line of dlib's printout of a network (`std::cout << net`): the layer's
 * kind as dlib prints it (`con`, `fc_no_bias`, `tag1` gives kind `tag` and
 * id 1, ...) and its printed `name=value` settings.
 */
export interface TopologyLayer {
  index: number;
  kind: string;
  id?: number;
  /** `concat`'s tag ids, in order (`concat\t (1,2)`). */
  tags?: number[];
  params: Record<string, string>;
}

export interface Topology {
  loss: TopologyLayer;
  /** layer<1> .. layer<N>, in index order (output side first). */
  layers: TopologyLayer[];
  /** layer<N+1>; `means` holds the printed per-channel means. */
  input: TopologyLayer & { means: number[] };
}

const LINE = /^layer<(\d+)>\t(?:output size=\([^)]*\)\s*\t)?(.*)$/;
const KIND = /^([a-z_]+?)(\d*)(?=$|[\s(])/;
const PARAM = /([A-Za-z_]+)=([^\s,)]+)/g;
const CONCAT_TAGS = /^concat\s*\((\d+(?:,\d+)*)\)$/;
const NUMBERED = new Set(['tag', 'skip', 'add_prev']);

/**
 * Parses dlib's printout of a net, the only record of its tag, skip and
 * add_prev ids, which the `.dat` file does not store.
 */
export function parsePrintout(text: string): Topology {
  if (typeof text !== 'string')
    throw new InputError(`parsePrintout takes dlib's printout of a net as text (std::cout << net), got ${describeValue(text)}`);
  const byIndex: TopologyLayer[] = [];
  let lineNumber = 0;
  for (const raw of text.split(/\r?\n/)) {
    lineNumber++;
    if (raw.trim() === '') continue;
    const m = LINE.exec(raw.trimEnd());
    if (!m) throw new TopologyError(`printout line ${lineNumber} is not "layer<i>\\t...": ${JSON.stringify(raw.slice(0, 80))}`);
    const index = Number(m[1]);
    const desc = m[2].trim();
    const k = KIND.exec(desc);
    if (!k) throw new TopologyError(`printout line ${lineNumber}: no layer kind in ${JSON.stringify(desc.slice(0, 80))}`, index);
    let kind = k[1];
    let id: number | undefined;
    if (k[2] !== '') {
      if (NUMBERED.has(kind)) id = Number(k[2]);
      else kind += k[2];
    }
    const params: Record<string, string> = {};
    for (const p of desc.matchAll(PARAM)) params[p[1]] = p[2];
    if (byIndex[index]) throw new TopologyError(`printout lists layer<${index}> twice`, index);
    byIndex[index] = { index, kind, id, params };
    if (kind === 'concat') {
      const tags = CONCAT_TAGS.exec(desc);
      if (!tags) throw new TopologyError(`printout line ${lineNumber}: concat without its tag ids "(1,2)"`, index);
      byIndex[index].tags = tags[1].split(',').map(Number);
    }
  }
  const last = byIndex.length - 1;
  for (let i = 0; i <= last; i++) {
    if (!byIndex[i]) throw new TopologyError(`printout has no line for layer<${i}>`, i);
  }
  if (last < 1) throw new TopologyError('printout has no layers');
  const inputLine = byIndex[last];
  if (!inputLine.kind.startsWith('input')) {
    throw new TopologyError(`the last printout line should be the input layer, found "${inputLine.kind}"`, last);
  }
  const meanText = /\(([^)]*)\)/.exec(text.split(/\r?\n/).find((l) => l.startsWith(`layer<${last}>`)) ?? '');
  const means = meanText ? meanText[1].split(',').map(Number) : [];
  return { loss: byIndex[0], layers: byIndex.slice(1, last), input: { ...inputLine, means } };
}
