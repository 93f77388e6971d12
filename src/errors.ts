/** Base class of every error dlib-wasm throws on purpose. */
export class DlibWasmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The bytes are not a dlib serialized network we can read. `offset` is the
 * byte where reading failed; `layerIndex` is dlib's `layer<i>` index (0 is
 * the loss layer) when the failure is inside one layer.
 */
export class DatFormatError extends DlibWasmError {
  readonly offset: number;
  readonly layerIndex: number | undefined;
  constructor(message: string, offset: number, layerIndex?: number) {
    const where = layerIndex === undefined ? `at byte ${offset}` : `in layer<${layerIndex}> at byte ${offset}`;
    super(`${message} (${where})`);
    this.offset = offset;
    this.layerIndex = layerIndex;
  }
}

/**
 * The network in the file does not match the topology it is read with
 * (dlib's printout of the net), or the topology text itself is malformed.
 */
export class TopologyError extends DlibWasmError {
  readonly layerIndex: number | undefined;
  constructor(message: string, layerIndex?: number) {
    super(layerIndex === undefined ? message : `layer<${layerIndex}>: ${message}`);
    this.layerIndex = layerIndex;
  }
}

/** A layer or option that dlib-wasm cannot run (yet). */
export class UnsupportedLayerError extends DlibWasmError {
  readonly layerIndex: number | undefined;
  constructor(message: string, layerIndex?: number) {
    super(layerIndex === undefined ? message : `layer<${layerIndex}>: ${message}`);
    this.layerIndex = layerIndex;
  }
}

/** The caller's input (image, tensor, option) is unusable: wrong size, length, NaN... */
export class InputError extends DlibWasmError {}

/** The network was used after `dispose()`. */
export class DisposedError extends DlibWasmError {}

/** The workers of a multi-threaded network could not start (for one, a Content-Security-Policy forbidding blob: workers). */
export class WorkerStartError extends DlibWasmError {}

/**
 * The runtime would not give WebAssembly memory: under an address-space
 * limit (`ulimit -v`), or with the host's memory exhausted.
 */
export class WasmMemoryError extends DlibWasmError {}

/**
 * A worker thread of a multi-threaded network or detector has died (it was
 * terminated, or ran out of memory) or stopped answering. The model refuses
 * any further work: dispose() it and load it again.
 */
export class WorkerDiedError extends DlibWasmError {}
