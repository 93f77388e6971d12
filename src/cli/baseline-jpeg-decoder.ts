import { checkKernelExports, createKernelMemory, growKernelMemory } from '../engine/kernels.js';
import { JPEG_KERNEL_PARAMETER_KINDS, type JpegKernelSignatures } from './jpeg-kernel-signatures.generated.js';
import { JPEG_KERNELS_BASE64 } from './jpeg-kernels-wasm.generated.js';
import type { RgbImage } from '../image.js';
import { alignBuffer, BUFFER_SLACK, INITIAL_PAGES, RESERVED_BYTES } from '../memory-layout.js';

/**
 * The common JPEG, decoded by kernels of our own (SIMD) to the same bytes as
 * libjpeg-turbo's defaults give: baseline (or extended sequential) Huffman,
 * 8-bit, grey or YCbCr in one interleaved scan, chroma at full, half width,
 * half height or half width and height (4:4:4, 4:2:2, 4:4:0, 4:2:0),
 * restart intervals. What this does not decode,
 * or where libjpeg would warn, it declines (undefined), before or during
 * the decode, and the file goes to libjpeg (mozjpeg) with its messages.
 */

/** jpeg_natural_order, with libjpeg's 16 extra entries: a coefficient run past the block's end lands on 63. */
const NATURAL_ORDER = [
  0,
  1,
  8,
  16,
  9,
  2,
  3,
  10,
  17,
  24,
  32,
  25,
  18,
  11,
  4,
  5,
  12,
  19,
  26,
  33,
  40,
  48,
  41,
  34,
  27,
  20,
  13,
  6,
  7,
  14,
  21,
  28,
  35,
  42,
  49,
  56,
  57,
  50,
  43,
  36,
  29,
  22,
  15,
  23,
  30,
  37,
  44,
  51,
  58,
  59,
  52,
  45,
  38,
  31,
  39,
  46,
  53,
  60,
  61,
  54,
  47,
  55,
  62,
  63,
  ...new Array(16).fill(63),
];

/**
 * The memory is kept from one decode to the next (fresh wasm pages cost more
 * to touch than the pixels cost to copy out), unless a large image grew it
 * past this: a 20-megapixel photo's planes and RGBA fit (a 12-megapixel
 * phone photo needs about 75 MB).
 */
const RETAINED_MEMORY_LIMIT = 128 * 1024 * 1024;

/** The decoder's memory and its kernels over it. */
interface DecoderRuntime {
  memory: WebAssembly.Memory;
  kernels: JpegKernelSignatures;
}

let retained: Promise<DecoderRuntime> | undefined;
/** The decoder's kernel module (assembly/jpeg-index.ts), compiled once. */
let jpegModule: Promise<WebAssembly.Module> | undefined;

function newDecoderRuntime(): Promise<DecoderRuntime> {
  jpegModule ??= WebAssembly.compile(Buffer.from(JPEG_KERNELS_BASE64, 'base64'));
  return jpegModule.then(async (module) => {
    const memory = createKernelMemory(INITIAL_PAGES, false);
    const { exports } = await WebAssembly.instantiate(module, { env: { memory } });
    return { memory, kernels: checkKernelExports<JpegKernelSignatures>(exports, JPEG_KERNEL_PARAMETER_KINDS) };
  });
}

/** The runtime a decode uses: the pixel buffer's own, else the one kept from the last decode, else a new one. */
function decoderRuntime(pixels: PixelBuffer | undefined): Promise<DecoderRuntime> {
  if (pixels) {
    pixels.runtime ??= newDecoderRuntime();
    return pixels.runtime;
  }
  retained ??= newDecoderRuntime();
  return retained;
}

/** Lets go of a runtime whose memory a large image grew past RETAINED_MEMORY_LIMIT: the next decode makes a new one. */
function dropIfLarge(runtime: Promise<DecoderRuntime>, memory: WebAssembly.Memory, pixels: PixelBuffer | undefined): void {
  if (memory.buffer.byteLength <= RETAINED_MEMORY_LIMIT) return;
  if (pixels?.runtime === runtime) pixels.runtime = undefined;
  if (retained === runtime) retained = undefined;
}

/** A Huffman table as u8-jpeg-decode-scan reads it (jdhuff.c's derived table, and for AC a table of short codes with their values). */
const HUFFMAN_TABLE_BYTES = 3472;
const LOOKAHEAD = 9;

interface Component {
  id: number;
  h: number;
  v: number;
  quantTable: number;
  dcTable?: number;
  acTable?: number;
}

interface Frame {
  width: number;
  height: number;
  components: Component[];
}

/** Everything up to the scan's data, or undefined for a file this decoder leaves to libjpeg. */
interface ParsedJpeg {
  frame: Frame;
  quant: Map<number, Uint16Array>;
  /** Huffman tables by class * 4 + number: their code counts (16) and symbols. */
  huffman: Map<number, { counts: Uint8Array; symbols: Uint8Array }>;
  restartInterval: number;
  /** Where the entropy-coded data starts. */
  dataStart: number;
}

/**
 * Reads the markers up to the first scan as libjpeg would, declining
 * anything it would treat otherwise than this decoder does or warn about:
 * bytes between markers, progressive, arithmetic, lossless or 12-bit
 * frames, Adobe (APP14) colour transforms, 16-bit quantization tables, a
 * scan that is not every component, interleaved, whole.
 */
function parseJpeg(bytes: Uint8Array): ParsedJpeg | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  const quant = new Map<number, Uint16Array>();
  const huffman = new Map<number, { counts: Uint8Array; symbols: Uint8Array }>();
  let frame: Frame | undefined;
  let restartInterval = 0;
  let jfif = false;
  let i = 2;
  for (;;) {
    if (bytes[i] !== 0xff) return undefined;
    while (bytes[i] === 0xff) i++;
    if (i + 2 >= bytes.length) return undefined;
    const marker = bytes[i++];
    const length = (bytes[i] << 8) | bytes[i + 1];
    const end = i + length;
    if (length < 2 || end > bytes.length) return undefined;
    const body = i + 2;
    if (marker === 0xc0 || marker === 0xc1) {
      if (frame || length < 8 || bytes[body] !== 8) return undefined;
      const count = bytes[body + 5];
      if ((count !== 1 && count !== 3) || length !== 8 + 3 * count) return undefined;
      const components: Component[] = [];
      for (let c = 0; c < count; c++) {
        const at = body + 6 + 3 * c;
        components.push({ id: bytes[at], h: bytes[at + 1] >> 4, v: bytes[at + 1] & 15, quantTable: bytes[at + 2] });
      }
      frame = { height: (bytes[body + 1] << 8) | bytes[body + 2], width: (bytes[body + 3] << 8) | bytes[body + 4], components };
    } else if (marker === 0xc4) {
      let at = body;
      while (at < end) {
        const index = bytes[at];
        if ((index & 0xe0) !== 0 || (index & 0x0f) > 3 || at + 17 > end) return undefined;
        const counts = bytes.slice(at + 1, at + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        if (total > 256 || at + 17 + total > end) return undefined;
        huffman.set((index >> 4) * 4 + (index & 3), { counts, symbols: bytes.slice(at + 17, at + 17 + total) });
        at += 17 + total;
      }
      if (at !== end) return undefined;
    } else if (marker === 0xdb) {
      let at = body;
      while (at < end) {
        const index = bytes[at];
        // 16-bit tables: libjpeg keeps them, but this decoder multiplies in 16 bits.
        if (index > 3 || at + 65 > end) return undefined;
        const table = new Uint16Array(64);
        for (let k = 0; k < 64; k++) table[NATURAL_ORDER[k]] = bytes[at + 1 + k];
        quant.set(index, table);
        at += 65;
      }
      if (at !== end) return undefined;
    } else if (marker === 0xdd) {
      if (length !== 4) return undefined;
      restartInterval = (bytes[body] << 8) | bytes[body + 1];
    } else if (marker === 0xe0) {
      // JFIF: libjpeg warns of a major version other than 1.
      if (
        length >= 16 &&
        bytes[body] === 0x4a &&
        bytes[body + 1] === 0x46 &&
        bytes[body + 2] === 0x49 &&
        bytes[body + 3] === 0x46 &&
        bytes[body + 4] === 0
      ) {
        if (bytes[body + 5] !== 1) return undefined;
        jfif = true;
      }
    } else if (marker === 0xee) {
      return undefined; // Adobe: its transform flag decides the colour space.
    } else if (marker === 0xda) {
      return frame && parseScan(bytes, body, end, frame, quant, huffman, jfif)
        ? { frame, quant, huffman, restartInterval, dataStart: end }
        : undefined;
    } else if (!((marker >= 0xe1 && marker <= 0xef) || marker === 0xfe)) {
      return undefined; // another frame type, DAC, DNL, EOI, RSTn, a second SOI...
    }
    i = end;
  }
}

/** Whether the scan header is one this decoder decodes; it assigns the components' Huffman tables. */
function parseScan(
  bytes: Uint8Array,
  body: number,
  end: number,
  frame: Frame,
  quant: Map<number, Uint16Array>,
  huffman: Map<number, unknown>,
  jfif: boolean,
): boolean {
  const { components, width, height } = frame;
  const count = bytes[body];
  if (count !== components.length || end - body !== 4 + 2 * count) return false;
  for (let c = 0; c < count; c++) {
    const component = components[c];
    if (bytes[body + 1 + 2 * c] !== component.id) return false;
    component.dcTable = bytes[body + 2 + 2 * c] >> 4;
    component.acTable = bytes[body + 2 + 2 * c] & 15;
    if (!huffman.has(component.dcTable) || !huffman.has(4 + component.acTable) || !quant.has(component.quantTable)) return false;
  }
  const at = body + 1 + 2 * count;
  if (bytes[at] !== 0 || bytes[at + 1] !== 63 || bytes[at + 2] !== 0) return false;
  if (width === 0 || height === 0) return false;
  if (new Set(components.map((c) => c.id)).size !== count) return false;
  if (components.some((c) => c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4)) return false;
  if (count === 1) return true;
  // YCbCr as libjpeg assumes it: a JFIF file, or the component ids 1, 2, 3.
  if (!jfif && !(components[0].id === 1 && components[1].id === 2 && components[2].id === 3)) return false;
  const [y, cb, cr] = components;
  if (cb.h !== 1 || cb.v !== 1 || cr.h !== 1 || cr.v !== 1 || y.h < 1 || y.h > 2 || y.v < 1 || y.v > 2) return false;
  // libjpeg upsamples chroma 2 or fewer samples wide by repeating them, not by its triangle filter.
  return !(y.h === 2 && Math.ceil(width / 2) <= 2);
}

/** jdhuff.c's derived table, or undefined where jpeg_make_d_derived_tbl would fail. */
function writeHuffmanTable(memory: Uint8Array, at: number, counts: Uint8Array, symbols: Uint8Array, dc: boolean): boolean {
  if (dc && symbols.some((s) => s > 15)) return false;
  const view = new DataView(memory.buffer, at, HUFFMAN_TABLE_BYTES);
  memory.fill(0, at, at + 1024);
  let code = 0;
  let p = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1];
    view.setInt32(1024 + 4 * length, n ? code + n - 1 : -1, true);
    view.setInt32(1096 + 4 * length, p - code, true);
    // No code may be all ones (jdhuff.c checks this for every length from the first used); checked
    // before the lookahead is filled, which a longer list of codes would overrun.
    if (n > 0 && code + n >= 1 << length) return false;
    for (let k = 0; k < n; k++, code++, p++) {
      if (length <= LOOKAHEAD) {
        const first = code << (LOOKAHEAD - length);
        for (let fill = 0; fill < 1 << (LOOKAHEAD - length); fill++) view.setUint16(2 * (first + fill), (length << 8) | symbols[p], true);
      }
    }
    code <<= 1;
  }
  memory.set(symbols, at + 1168);
  writeFastTable(view, counts, symbols, dc);
  return true;
}

/**
 * Each 9-bit lookahead that starts with an AC code and all its value bits:
 * (value << 16) | (run << 8) | bits used, the value extended as HUFF_EXTEND
 * does; 0 for the rest (longer, or no value: EOB and ZRL), and all 0 for a
 * DC table (whose symbols are not run/size pairs).
 */
function writeFastTable(view: DataView, counts: Uint8Array, symbols: Uint8Array, dc: boolean): void {
  for (let entry = 0; entry < 1 << LOOKAHEAD; entry++) view.setInt32(1424 + 4 * entry, 0, true);
  if (dc) return;
  let code = 0;
  let p = 0;
  for (let length = 1; length <= LOOKAHEAD; length++) {
    for (let k = 0; k < counts[length - 1]; k++, code++, p++) {
      const size = symbols[p] & 15;
      const bits = length + size;
      if (size === 0 || bits > LOOKAHEAD) continue;
      for (let extra = 0; extra < 1 << size; extra++) {
        const value = extra < 1 << (size - 1) ? extra - (1 << size) + 1 : extra;
        const first = ((code << size) | extra) << (LOOKAHEAD - bits);
        const entry = value * 65536 + ((symbols[p] >> 4) << 8) + bits;
        for (let fill = 0; fill < 1 << (LOOKAHEAD - bits); fill++) view.setInt32(1424 + 4 * (first + fill), entry, true);
      }
    }
    code <<= 1;
  }
}

/**
 * Decodes `bytes` if it is a JPEG this decoder takes (see above), to RGBA;
 * undefined if the file is libjpeg's to decode.
 */
export async function decodeBaselineJpeg(bytes: Uint8Array, pixels?: PixelBuffer): Promise<RgbImage | undefined> {
  const parsed = parseJpeg(bytes);
  if (!parsed) return undefined;
  const { frame, quant, huffman, restartInterval, dataStart } = parsed;
  const { width, height, components } = frame;
  // Luma has the largest sampling factors (parseScan takes chroma at 1x1 only).
  const { h: maxH, v: maxV } = components[0];
  const single = components.length === 1;
  // A single-component scan has one block per MCU, whatever its sampling factors say.
  const mcusX = single ? Math.ceil(width / 8) : Math.ceil(width / (8 * maxH));
  const mcusY = single ? Math.ceil(height / 8) : Math.ceil(height / (8 * maxV));
  const blockH = (c: Component) => (single ? 1 : c.h);
  const blockV = (c: Component) => (single ? 1 : c.v);

  // Layout: the file (and an EOI marker after it), tables, the scan descriptor, the planes, the RGBA.
  let top = RESERVED_BYTES;
  const place = (size: number) => {
    const at = top;
    top += alignBuffer(size + BUFFER_SLACK);
    return at;
  };
  const file = place(bytes.length + 2);
  const natural = place(NATURAL_ORDER.length);
  const quantAt = new Map([...quant.keys()].map((k) => [k, place(128)]));
  const huffmanAt = new Map([...huffman.keys()].map((k) => [k, place(HUFFMAN_TABLE_BYTES)]));
  const scan = place(36 + 32 * components.length);
  const scanScratch = place(640);
  const planes = components.map((c) => {
    const stride = mcusX * blockH(c) * 8;
    return { stride, at: place(stride * mcusY * blockV(c) * 8 + 16) };
  });
  const chromaWidth = single ? 0 : Math.ceil((width * components[1].h) / maxH);
  const chromaHeight = single ? 0 : Math.ceil((height * components[1].v) / maxV);
  const colour = place(48);
  const colourScratch = place(8 * chromaWidth + 512);
  const rgba = place(width * height * 4);

  // From here on, all is synchronous: no other decode can use the memory in between.
  const runtime = decoderRuntime(pixels);
  const { memory, kernels } = await runtime;
  growKernelMemory(memory, top, `the ${width}x${height} JPEG`);
  dropIfLarge(runtime, memory, pixels);
  const u8 = new Uint8Array(memory.buffer);
  const i32 = new Int32Array(memory.buffer);
  u8.set(bytes, file);
  u8.set([0xff, 0xd9], file + bytes.length);
  u8.set(NATURAL_ORDER, natural);
  for (const [k, table] of quant) new Uint16Array(memory.buffer, quantAt.get(k), 64).set(table);
  for (const [k, { counts, symbols }] of huffman) {
    if (!writeHuffmanTable(u8, huffmanAt.get(k) as number, counts, symbols, k < 4)) return undefined;
  }
  i32.set([file + dataStart, mcusX, mcusY, restartInterval, components.length, 0, 0, natural, scanScratch], scan / 4);
  components.forEach((c, n) => {
    const { at, stride } = planes[n];
    const tables = [quantAt.get(c.quantTable), huffmanAt.get(c.dcTable as number), huffmanAt.get(4 + (c.acTable as number))];
    i32.set([blockH(c), blockV(c), at, stride, ...(tables as number[]), 0], (scan + 36 + 32 * n) / 4);
  });
  kernels.u8_jpeg_decode_scan(scan);
  if (i32[scan / 4 + 5] !== 0) return undefined;
  // After the scan, the file must end (EOI), as libjpeg reads on to it.
  let next = i32[scan / 4 + 6] - file;
  while (next < bytes.length && bytes[next] === 0xff) next++;
  if (next >= bytes.length || bytes[next] !== 0xd9) return undefined;

  if (single) {
    kernels.u8_grey_to_rgba__simd128(planes[0].at, planes[0].stride, width, rgba, 0, height);
  } else {
    i32.set(
      [
        planes[0].at,
        planes[0].stride,
        planes[1].at,
        planes[2].at,
        planes[1].stride,
        chromaWidth,
        chromaHeight,
        maxH === 2 ? 1 : 0,
        maxV === 2 ? 1 : 0,
        width,
        rgba,
        colourScratch,
      ],
      colour / 4,
    );
    kernels.u8_ycbcr_to_rgba_fancy__simd128(colour, 0, height);
  }
  const length = width * height * 4;
  // In a pixel buffer's own memory, the pixels stay where the kernel put them: no copy, no fresh pages for one.
  const data = pixels ? new Uint8Array(memory.buffer, rgba, length) : u8.slice(rgba, rgba + length);
  return { width, height, data };
}

/**
 * Where the pixels of photo after photo are decoded, for a caller done with
 * each image before it decodes the next: the image returned is a view of
 * the buffer's own decoder memory, not a copy of it (10 MB for a 1920x1280
 * photo, whose fresh pages cost a fault every 4 KB).
 */
export interface PixelBuffer {
  runtime?: Promise<DecoderRuntime>;
}
