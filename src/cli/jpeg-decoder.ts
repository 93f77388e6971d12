import { readFile } from 'node:fs/promises';
import mozjpegFactory, { type MozJPEGModule } from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import { InputError } from '../errors.js';
import type { RgbImage } from '../image.js';

/**
 * An instance whose memory grew past this (a large photo) is dropped after
 * its decode, so that it does not hold that memory for the rest of the run.
 */
const RETAINED_MEMORY_LIMIT = 64 * 1024 * 1024;

/** libjpeg's messages (jerror.h) for the ways JPEG data is commonly damaged, in our words. */
const LIBJPEG_REASONS: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^Premature end of JPEG file/, () => 'the file ends before its image data does (truncated)'],
  [/^Corrupt JPEG data: premature end of data segment/, () => 'its image data ends early'],
  [/^Corrupt JPEG data: (\d+) extraneous bytes before marker 0x(\w+)/, (m) => `${m[1]} stray bytes before marker 0x${m[2]} in its image data`],
  [/^Corrupt JPEG data: bad Huffman code/, () => 'an invalid Huffman code in its image data'],
  [/^Corrupt JPEG data: found marker 0x(\w+) instead of RST(\d)/, (m) => `marker 0x${m[1]} where restart marker ${m[2]} belongs`],
  [/^Bogus Huffman table definition/, () => 'an invalid Huffman table'],
  [/^Huffman table 0x(\w+) was not defined/, (m) => `it uses Huffman table 0x${m[1]}, which it does not define`],
  [/^Quantization table 0x(\w+) was not defined/, (m) => `it uses quantization table 0x${m[1]}, which it does not define`],
  [/^Bogus marker length/, () => 'a segment with an invalid length'],
  [/^Unsupported marker type 0x(\w+)/, (m) => `an unknown marker 0x${m[1]}`],
  [/^Unsupported JPEG process/, () => 'a JPEG process libjpeg does not decode (lossless or hierarchical)'],
  [/^Invalid JPEG file structure/, () => 'its markers are out of order'],
  [/^Bogus sampling factors/, () => 'invalid chroma sampling factors'],
  [/^Warning: unknown JFIF revision number/, () => 'an unknown JFIF version'],
];

/** libjpeg's message, in our words, with its own text kept for a search. */
function describeLibjpegMessage(message: string): string {
  for (const [pattern, words] of LIBJPEG_REASONS) {
    const match = message.match(pattern);
    if (match) return `${words(match)} (libjpeg: "${message}")`;
  }
  return `libjpeg: "${message}"`;
}

/** A decoded JPEG, and what libjpeg found wrong with it if it was accepted damaged. */
export interface DecodedJpeg {
  image: RgbImage;
  warnings: string[];
}

/** One emscripten instance of mozjpeg, and the lines it printed during the current decode. */
interface JpegInstance {
  /** The emscripten module; its HEAPU8 spans the instance's whole memory. */
  module: MozJPEGModule & { HEAPU8: Uint8Array };
  printed: string[];
  /** It threw, or holds too much memory: no decode may use it again. */
  retired: boolean;
}

let compiled: Promise<WebAssembly.Module> | undefined;
let current: Promise<JpegInstance> | undefined;

/** mozjpeg's wasm, compiled once. Node cannot fetch it, so it is read from the package. */
function compiledDecoder(): Promise<WebAssembly.Module> {
  compiled ??= readFile(new URL(import.meta.resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'))).then((wasm) => WebAssembly.compile(wasm));
  return compiled;
}

/**
 * A new instance of the compiled module (about 2 ms). libjpeg prints its
 * warnings and errors to stderr: here they are collected instead, to be told
 * with the file they concern.
 */
async function newInstance(): Promise<JpegInstance> {
  const wasm = await compiledDecoder();
  const printed: string[] = [];
  const module = await mozjpegFactory({
    noInitialRun: true,
    print: (line: string) => printed.push(line),
    printErr: (line: string) => printed.push(line),
    instantiateWasm: (imports: WebAssembly.Imports, ready: (instance: WebAssembly.Instance) => void) => {
      const instance = new WebAssembly.Instance(wasm, imports);
      ready(instance);
      return instance.exports;
    },
  } as Parameters<typeof mozjpegFactory>[0]) as JpegInstance['module'];
  return { module, printed, retired: false };
}

/** The current instance, or a new one if it was retired (by a decode that began while this caller waited for it). */
async function soundInstance(): Promise<JpegInstance> {
  for (;;) {
    current ??= newInstance();
    const instance = await current;
    if (!instance.retired) return instance;
  }
}

function retire(instance: JpegInstance): void {
  instance.retired = true;
  current = undefined;
}

/**
 * Decodes a JPEG to RGBA with mozjpeg, the same pixels as dlib's libjpeg-turbo.
 * Data libjpeg finds damaged (it warns, and fills in what is missing) is an
 * InputError unless `allowDamaged`, when its warning is returned instead.
 *
 * libjpeg's fatal errors call exit(), which emscripten turns into a throw out
 * of the middle of the decode: the instance's stack and heap are left as they
 * were, and a later decode on it can loop forever. An instance that threw is
 * therefore dropped, and the next decode gets a new one.
 */
export async function decodeJpeg(bytes: Uint8Array, allowDamaged: boolean): Promise<DecodedJpeg> {
  const instance = await soundInstance();
  instance.printed.length = 0;
  let decoded: ImageData | null;
  try {
    decoded = instance.module.decode(new Uint8Array(bytes).buffer, false);
  } catch (error) {
    retire(instance);
    // libjpeg prints its reason just before exit(); the throw itself only says "exit(1)".
    const reason = instance.printed.at(-1);
    throw new InputError(reason ? `damaged JPEG: ${describeLibjpegMessage(reason)}` : `mozjpeg failed: ${(error as Error).message}`);
  }
  if (instance.module.HEAPU8.byteLength > RETAINED_MEMORY_LIMIT) retire(instance);
  if (!decoded) throw new InputError('mozjpeg could not decode it');
  const warnings = instance.printed.map((line) => `damaged JPEG: ${describeLibjpegMessage(line)}`);
  if (warnings.length > 0 && !allowDamaged) throw new InputError(`${warnings[0]}; to use what decodes anyway, accept damaged images (--accept-damaged-images)`);
  const { width, height, data } = decoded;
  return { image: { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }, warnings };
}
