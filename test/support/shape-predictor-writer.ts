// dlib's serialize() encodings, to build small shape predictor files whose
// every byte a test controls.

/** A signed integer: a control byte (length, sign in bit 7), then the magnitude little-endian. */
export function dlibInt(value: number): number[] {
  const magnitude: number[] = [];
  for (let v = Math.abs(value); v > 0 || magnitude.length === 0; v = Math.floor(v / 256)) magnitude.push(v % 256);
  return [magnitude.length | (value < 0 ? 0x80 : 0), ...magnitude];
}

/** A float as dlib writes it: frexp's mantissa scaled to 24 bits, trailing zero bytes shifted out. */
export function dlibFloat(value: number): number[] {
  const v = Math.fround(value);
  if (v === 0) return [...dlibInt(0), ...dlibInt(40)];
  let exponent = Math.floor(Math.log2(Math.abs(v))) + 1;
  if (Math.abs(v) / 2 ** exponent >= 1) exponent++;
  if (Math.abs(v) / 2 ** exponent < 0.5) exponent--;
  let mantissa = (v / 2 ** exponent) * 2 ** 24;
  let shift = exponent - 24;
  for (let i = 0; i < 8 && mantissa % 256 === 0; i++) {
    mantissa /= 256;
    shift += 8;
  }
  return [...dlibInt(mantissa), ...dlibInt(shift)];
}

/** A `matrix<float,0,1>`: -rows, -1, then the values. */
export function dlibColumn(values: number[]): number[] {
  return [...dlibInt(-values.length), ...dlibInt(-1), ...values.flatMap(dlibFloat)];
}

export interface TestTree {
  /** [idx1, idx2, threshold] per split, breadth-first. */
  splits: [number, number, number][];
  /** One shape increment (2 * parts values) per leaf. */
  leaves: number[][];
}

export interface TestShapePredictor {
  initialShape: number[];
  levels: { trees: TestTree[]; anchors: number[]; deltas: [number, number][] }[];
}

/** `serialize(shape_predictor)`: version 1, initial shape, forests, anchors, deltas. */
export function writeShapePredictor({ initialShape, levels }: TestShapePredictor): Uint8Array {
  const vector = <T>(items: T[], element: (item: T) => number[]) => [...dlibInt(items.length), ...items.flatMap(element)];
  return new Uint8Array([
    ...dlibInt(1),
    ...dlibColumn(initialShape),
    ...vector(levels, ({ trees }) =>
      vector(trees, ({ splits, leaves }) => [
        ...vector(splits, ([idx1, idx2, threshold]) => [...dlibInt(idx1), ...dlibInt(idx2), ...dlibFloat(threshold)]),
        ...vector(leaves, dlibColumn),
      ]),
    ),
    ...vector(levels, ({ anchors }) => vector(anchors, dlibInt)),
    ...vector(levels, ({ deltas }) => vector(deltas, ([x, y]) => [...dlibFloat(x), ...dlibFloat(y)])),
  ]);
}
