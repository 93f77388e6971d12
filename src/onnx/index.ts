/**
 * `dlib-wasm/onnx`: ONNX export of dlib networks. An entry point of its own:
 * it depends on protobufjs, which the rest of the library does not.
 */
export { exportOnnx, OPSET_VERSION, type ExportOnnxOptions, type OnnxExport } from './export-onnx.js';
export type { OnnxDim } from './onnx-graph.js';
