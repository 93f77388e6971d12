import { readFile } from 'node:fs/promises';
import mozjpegFactory, { type MozJPEGModule } from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import { InputError } from '../errors.js';
import type { RgbImage } from '../image.js';

/**
 * An instance whose memory grew past this (a large photo) is dropped after
 * its decode, so that it does not hold that memory for the rest of the run.
 */
const RETAINED_MEMORY_LIMIT = 64 * 1024 * 1024;

/** libjpeg's messages (jerror.h) for what a file can hold wrong, in our words. */
const LIBJPEG_REASONS: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^Premature end of (JPEG|input) file|^Empty input file/, () => 'the file ends before its image data does (truncated)'],
  [/^Corrupt JPEG data: premature end of data segment/, () => 'its image data ends early'],
  [
    /^Corrupt JPEG data: (\d+) extraneous bytes before marker 0x(\w+)/,
    (m) => `${m[1]} stray bytes before marker 0x${m[2]} in its image data`,
  ],
  [/^Corrupt JPEG data: bad Huffman code|^Missing Huffman code table entry/, () => 'an invalid Huffman code in its image data'],
  [/^Corrupt JPEG data: found marker 0x(\w+) instead of RST(\d)/, (m) => `marker 0x${m[1]} where restart marker ${m[2]} belongs`],
  [/^Bogus Huffman table definition|^Huffman code size table overflow/, () => 'an invalid Huffman table'],
  [/^Bogus DHT index (\d+)/, (m) => `an invalid Huffman table number (${m[1]})`],
  [/^Bogus DQT index (\d+)/, (m) => `an invalid quantization table number (${m[1]})`],
  [/^Bogus DAC (index|value)/, () => 'an invalid arithmetic-coding table'],
  [/^Huffman table 0x(\w+) was not defined/, (m) => `it uses Huffman table 0x${m[1]}, which it does not define`],
  [/^Quantization table 0x(\w+) was not defined/, (m) => `it uses quantization table 0x${m[1]}, which it does not define`],
  [/^Bogus marker length/, () => 'a segment with an invalid length'],
  [/^Unsupported marker type 0x(\w+)|^Unexpected marker 0x(\w+)/, (m) => `an unexpected marker 0x${m[1] ?? m[2]}`],
  [
    /^Unsupported JPEG process: SOF type 0x(\w+)/,
    (m) => `a JPEG process libjpeg does not decode (SOF type 0x${m[1]}: lossless or hierarchical)`,
  ],
  [/^Sorry, arithmetic coding is not implemented/, () => 'arithmetic coding, which this libjpeg build does not decode'],
  [/^Unsupported JPEG data precision (\d+)/, (m) => `${m[1]}-bit samples, which libjpeg does not decode`],
  [/^Invalid JPEG file structure: (.*)/, (m) => `its markers are out of order (${m[1]})`],
  [/^JPEG datastream contains no image/, () => 'it holds no image'],
  [
    /^Bogus sampling factors|^Sampling factors too large|^Fractional sampling|^CCIR601 sampling/,
    () => 'chroma sampling factors libjpeg does not decode',
  ],
  [/^Too many color components: (\d+)/, (m) => `${m[1]} colour components, more than libjpeg decodes`],
  [/^Bogus (input|JPEG) colorspace|^Unsupported color conversion/, () => 'a colour space libjpeg cannot convert to RGB'],
  [/^Invalid progressive parameters|^Invalid scan script/, () => 'invalid progressive scan parameters'],
  [/^Invalid SOS parameters|^Invalid component ID/, () => 'a scan header (SOS) that does not fit its frame'],
  [/^Inconsistent progression sequence/, () => 'its progressive scans are out of sequence'],
  [/^DCT coefficient out of range/, () => 'a DCT coefficient out of range'],
  [/^Maximum supported image dimension|^Image too wide/, () => 'a size libjpeg does not decode'],
  [/^Insufficient memory/, () => 'it needs more memory than the decoder has'],
  [/^Warning: unknown JFIF revision number/, () => 'an unknown JFIF version'],
  [/^Warning: thumbnail image size does not match/, () => 'a JFIF thumbnail of the wrong size'],
];

/** libjpeg's message, in our words where we know it, with its own text kept for a search. */
function describeLibjpegMessage(message: string): string {
  for (const [pattern, words] of LIBJPEG_REASONS) {
    const match = message.match(pattern);
    if (match) return `damaged JPEG: ${words(match)} (libjpeg: "${message}")`;
  }
  return `damaged JPEG (libjpeg: "${message}")`;
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
  const module = (await mozjpegFactory({
    noInitialRun: true,
    print: (line: string) => printed.push(line),
    printErr: (line: string) => printed.push(line),
    instantiateWasm: (imports: WebAssembly.Imports, ready: (instance: WebAssembly.Instance) => void) => {
      const instance = new WebAssembly.Instance(wasm, imports);
      ready(instance);
      return instance.exports;
    },
  } as Parameters<typeof mozjpegFactory>[0])) as JpegInstance['module'];
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
    if ((error as Error)?.name === 'ExitStatus' && reason) throw new InputError(describeLibjpegMessage(reason));
    throw new InputError(`the JPEG decoder failed on it (${(error as Error)?.message ?? String(error)})`);
  }
  if (!decoded || instance.module.HEAPU8.byteLength > RETAINED_MEMORY_LIMIT) retire(instance);
  if (!decoded) throw new InputError('the JPEG decoder returned no image');
  // libjpeg prints only its first warning for a file; a line printed twice is told once all the same.
  const warnings = [...new Set(instance.printed)].map(describeLibjpegMessage);
  if (warnings.length > 0 && !allowDamaged)
    throw new InputError(`${warnings[0]}; to use what decodes anyway, accept damaged images (--accept-damaged-images)`);
  const { width, height, data } = decoded;
  return { image: { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }, warnings };
}
