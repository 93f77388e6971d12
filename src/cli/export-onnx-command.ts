import { writeFile } from 'node:fs/promises';
import { readDlibNetwork } from '../dlib/network-reader.js';
import { exportOnnx, OPSET_VERSION } from '../onnx/export-onnx.js';
import { parseArgs, UsageError } from './args.js';
import { readRegularFile } from './regular-file.js';
import { readModelFile } from './model-file.js';

/** `RxC`, e.g. `12x10`: rows by columns. */
function inputSizeOption(value: string | true | undefined): { rows: number; cols: number } | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? /^(\d+)x(\d+)$/.exec(value) : null;
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1)
    throw new UsageError(`--input-size must be ROWSxCOLS, e.g. 150x150, got ${String(value)}`);
  return { rows: Number(match[1]), cols: Number(match[2]) };
}

/** `export-onnx MODEL.dat OUT.onnx [--printout FILE] [--input-size RxC]`: writes the ONNX model, says what its input and output are. */
export async function exportOnnxCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['--printout', '--input-size'], []);
  if (parsed.positional.length !== 2) throw new UsageError('export-onnx needs MODEL.dat and OUT.onnx');
  const [modelPath, outPath] = parsed.positional;
  const printoutPath = parsed.options.get('--printout') as string | undefined;
  const inputSize = inputSizeOption(parsed.options.get('--input-size'));
  const printout = printoutPath === undefined ? undefined : (await readRegularFile(printoutPath)).toString('utf8');
  const description = await readModelFile(modelPath, (bytes) => readDlibNetwork(bytes, { printout }));
  const exported = exportOnnx(description, { inputSize });
  await writeFile(outPath, exported.model);
  process.stdout.write(
    `wrote ${outPath} (${exported.model.length} bytes, ONNX opset ${OPSET_VERSION})\n` +
      `  input:  "input", float32 ${exported.input.join(' x ')}, RGB values 0-255 (dlib's mean subtraction and scaling are in the graph)\n` +
      `  output: "output", float32 ${exported.output.join(' x ')}\n` +
      `  ${exported.outputNote}\n`,
  );
  return 0;
}
