import { AttributeType, DataType } from './onnx-schema.js';

/** A node attribute as `onnx.AttributeProto` encodes it. */
export interface OnnxAttribute {
  name: string;
  type: number;
  i?: number;
  ints?: number[];
  f?: number;
}

export const intAttribute = (name: string, i: number): OnnxAttribute => ({ name, type: AttributeType.INT, i });
export const intsAttribute = (name: string, ints: number[]): OnnxAttribute => ({ name, type: AttributeType.INTS, ints });

interface OnnxNode {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}
interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

/** A dimension: its size, or the name of a size given at run time. */
export type OnnxDim = number | string;

/**
 * An ONNX graph under construction: nodes in execution order and their
 * constant inputs (initializers), each output given a name not used before.
 */
export class OnnxGraph {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly used = new Set<string>();

  /** `name`, or `name_2`, `name_3`... if taken. */
  private unique(name: string): string {
    let candidate = name;
    for (let n = 2; this.used.has(candidate); n++) candidate = `${name}_${n}`;
    this.used.add(candidate);
    return candidate;
  }

  /** Reserves a name the graph's caller chose (its input and output). */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX name ${name} is already used`);
    this.used.add(name);
    return name;
  }

  /** A float32 constant of the given dims; its values are copied. */
  floats(name: string, values: ArrayLike<number>, dims: number[]): string {
    return this.constant(name, DataType.FLOAT, new Uint8Array(Float32Array.from(values).buffer), dims);
  }

  /** An int64 constant (shapes, pads, axes). */
  int64s(name: string, values: number[], dims = [values.length]): string {
    return this.constant(name, DataType.INT64, new Uint8Array(BigInt64Array.from(values, BigInt).buffer), dims);
  }

  private constant(name: string, dataType: number, rawData: Uint8Array, dims: number[]): string {
    const unique = this.unique(name);
    // raw_data is little-endian, as typed arrays are on every platform JavaScript runs on.
    this.initializers.push({ name: unique, dims, dataType, rawData });
    return unique;
  }

  /** Appends a node; returns the name of its output: `output` made unique, or as it is if `reserved`. */
  node(opType: string, input: string[], output: string, attribute: OnnxAttribute[] = [], reserved = false): string {
    const name = reserved ? output : this.unique(output);
    this.nodes.push({ name, opType, input, output: [name], attribute });
    return name;
  }
}

/** `onnx.ValueInfoProto` of a float32 tensor. */
export function floatTensorInfo(name: string, dims: OnnxDim[], docString: string) {
  return {
    name,
    docString,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
