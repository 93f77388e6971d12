#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { DlibWasmError } from '../errors.js';
import { loadFaceRecognitionModel } from '../face/face-recognition-model.js';
import { decodeImage } from './decode-image.js';

const USAGE = `usage: dlib-wasm descriptors [--model file.dat] image.png [image.jpg ...]

  descriptors   prints one JSON line per 150x150 face chip:
                {"file": "...", "descriptor": [128 numbers]}
  --model       a dlib_face_recognition_resnet_model_v1.dat (default: the bundled one)`;

const BUNDLED_MODEL = new URL('../../models/dlib_face_recognition_resnet_model_v1.dat', import.meta.url);

class UsageError extends Error {}

function parseArgs(args: string[]): { command: string; model: string | URL; files: string[] } {
  const [command, ...rest] = args;
  let model: string | URL = BUNDLED_MODEL;
  const files: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--model') {
      if (rest[i + 1] === undefined) throw new UsageError('--model needs a file');
      model = rest[++i];
    } else if (rest[i].startsWith('--')) {
      throw new UsageError(`unknown option ${rest[i]}`);
    } else {
      files.push(rest[i]);
    }
  }
  if (command !== 'descriptors') throw new UsageError(command ? `unknown command ${command}` : 'no command');
  if (files.length === 0) throw new UsageError('no image files');
  return { command, model, files };
}

async function descriptors(modelPath: string | URL, files: string[]): Promise<number> {
  const model = await loadFaceRecognitionModel(await readFile(modelPath));
  let failures = 0;
  try {
    for (const file of files) {
      try {
        const descriptor = await model.computeFaceDescriptor(decodeImage(await readFile(file)));
        process.stdout.write(`${JSON.stringify({ file, descriptor: Array.from(descriptor) })}\n`);
      } catch (error) {
        if (!(error instanceof DlibWasmError) && (error as NodeJS.ErrnoException).code === undefined) throw error;
        failures++;
        process.stderr.write(`dlib-wasm: ${file}: ${(error as Error).message}\n`);
      }
    }
  } finally {
    model.dispose();
  }
  return failures === 0 ? 0 : 1;
}

async function main(args: string[]): Promise<number> {
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return args.length === 0 ? 2 : 0;
  }
  try {
    const { model, files } = parseArgs(args);
    return await descriptors(model, files);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`dlib-wasm: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof DlibWasmError || (error as NodeJS.ErrnoException).code !== undefined) {
      process.stderr.write(`dlib-wasm: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
