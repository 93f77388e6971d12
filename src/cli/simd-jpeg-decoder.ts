import { checkKernelExports, createKernelMemory, growKernelMemory } from '../engine/kernels.js';
import { JPEG_KERNEL_PARAMETER_KINDS, type JpegKernelSignatures } from './jpeg-kernel-signatures.generated.js';
import { JPEG_KERNELS_BASE64 } from './jpeg-kernels-wasm.generated.js';
import { InputError } from '../errors.js';
import type { RgbImage } from '../image.js';
import { alignBuffer, BUFFER_SLACK, INITIAL_PAGES, RESERVED_BYTES } from '../memory-layout.js';

/**
 * The common JPEG, decoded by kernels of our own (SIMD) to the same bytes as
 * libjpeg-turbo's defaults give: Huffman-coded, 8-bit, grey or YCbCr, chroma
 * at full, half width, half height or half width and height (4:4:4, 4:2:2,
 * 4:4:0, 4:2:0), restart intervals; baseline (or extended sequential) in one
 * interleaved scan, or progressive (the web's photos often are: a scan per
 * band of coefficients and bit, into coefficient blocks transformed once all
 * are in). What this does not decode, or where libjpeg would warn, it
 * declines (undefined), before or during the decode, and the file goes to
 * libjpeg (mozjpeg) with its messages.
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

/** The tables as the markers read so far define them. */
interface Tables {
  quant: Map<number, Uint16Array>;
  /** Huffman tables by class * 4 + number: their code counts (16) and symbols. */
  huffman: Map<number, { counts: Uint8Array; symbols: Uint8Array }>;
  restartInterval: number;
}

/** Everything up to the first scan's data, or undefined for a file this decoder leaves to libjpeg. */
interface ParsedJpeg extends Tables {
  frame: Frame;
  /** A progressive frame (SOF2): its scans come one after another, with tables between them. */
  progressive: boolean;
  /** The first scan header's body and end (where its entropy-coded data start). */
  scanBody: number;
  dataStart: number;
}

/**
 * Reads the markers from `i` on as libjpeg would, into `tables`, up to the
 * next SOS or EOI: that marker's segment (EOI's body is the byte after it), or
 * undefined where this decoder leaves the file to libjpeg: bytes between
 * markers, Adobe (APP14) colour transforms, 16-bit quantization tables, a
 * frame header `onFrame` refuses (a sequential or progressive Huffman one is
 * taken once, before the first scan). Without `onFrame` (between scans), any
 * frame header or new quantization table (libjpeg latches a component's at
 * its first scan) is declined too.
 */
function readMarkers(
  bytes: Uint8Array,
  i: number,
  tables: Tables,
  onFrame: ((marker: number, body: number, end: number) => boolean) | undefined,
  onJfif: (major: number) => boolean,
): { marker: number; body: number; end: number } | undefined {
  for (;;) {
    if (bytes[i] !== 0xff) return undefined;
    while (bytes[i] === 0xff) i++;
    if (i >= bytes.length) return undefined;
    const marker = bytes[i++];
    if (marker === 0xd9) return { marker, body: i, end: i };
    if (i + 2 >= bytes.length) return undefined;
    const length = (bytes[i] << 8) | bytes[i + 1];
    const end = i + length;
    if (length < 2 || end > bytes.length) return undefined;
    const body = i + 2;
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      if (!onFrame?.(marker, body, end)) return undefined;
    } else if (marker === 0xc4) {
      let at = body;
      while (at < end) {
        const index = bytes[at];
        if ((index & 0xe0) !== 0 || (index & 0x0f) > 3 || at + 17 > end) return undefined;
        const counts = bytes.slice(at + 1, at + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        if (total > 256 || at + 17 + total > end) return undefined;
        tables.huffman.set((index >> 4) * 4 + (index & 3), { counts, symbols: bytes.slice(at + 17, at + 17 + total) });
        at += 17 + total;
      }
      if (at !== end) return undefined;
    } else if (marker === 0xdb) {
      if (!onFrame) return undefined;
      let at = body;
      while (at < end) {
        const index = bytes[at];
        // 16-bit tables: libjpeg keeps them, but this decoder multiplies in 16 bits.
        if (index > 3 || at + 65 > end) return undefined;
        const table = new Uint16Array(64);
        for (let k = 0; k < 64; k++) table[NATURAL_ORDER[k]] = bytes[at + 1 + k];
        tables.quant.set(index, table);
        at += 65;
      }
      if (at !== end) return undefined;
    } else if (marker === 0xdd) {
      if (length !== 4) return undefined;
      tables.restartInterval = (bytes[body] << 8) | bytes[body + 1];
    } else if (marker === 0xe0) {
      // JFIF: libjpeg warns of a major version other than 1.
      if (
        length >= 16 &&
        bytes[body] === 0x4a &&
        bytes[body + 1] === 0x46 &&
        bytes[body + 2] === 0x49 &&
        bytes[body + 3] === 0x46 &&
        bytes[body + 4] === 0 &&
        !onJfif(bytes[body + 5])
      ) {
        return undefined;
      }
    } else if (marker === 0xee) {
      return undefined; // Adobe: its transform flag decides the colour space.
    } else if (marker === 0xda) {
      return { marker, body, end };
    } else if (!((marker >= 0xe1 && marker <= 0xef) || marker === 0xfe)) {
      return undefined; // another frame type, DAC, DNL, RSTn, a second SOI...
    }
    i = end;
  }
}

/**
 * Reads the markers up to the first scan as libjpeg would, declining what
 * readMarkers declines and lossless, arithmetic or 12-bit frames.
 */
function parseJpeg(bytes: Uint8Array): ParsedJpeg | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  const tables: Tables = { quant: new Map(), huffman: new Map(), restartInterval: 0 };
  let frame: Frame | undefined;
  let progressive = false;
  let jfif = false;
  const onFrame = (marker: number, body: number, end: number) => {
    if (frame || end - body < 6 || bytes[body] !== 8) return false;
    const count = bytes[body + 5];
    if ((count !== 1 && count !== 3) || end - body !== 6 + 3 * count) return false;
    const components: Component[] = [];
    for (let c = 0; c < count; c++) {
      const at = body + 6 + 3 * c;
      components.push({ id: bytes[at], h: bytes[at + 1] >> 4, v: bytes[at + 1] & 15, quantTable: bytes[at + 2] });
    }
    frame = { height: (bytes[body + 1] << 8) | bytes[body + 2], width: (bytes[body + 3] << 8) | bytes[body + 4], components };
    progressive = marker === 0xc2;
    return true;
  };
  const onJfif = (major: number) => {
    jfif = true;
    return major === 1;
  };
  const sos = readMarkers(bytes, 2, tables, onFrame, onJfif);
  if (sos?.marker !== 0xda || !frame || !frameDecodable(frame, jfif)) return undefined;
  return { ...tables, frame, progressive, scanBody: sos.body, dataStart: sos.end };
}

/** Whether this decoder outputs a frame as libjpeg does: its size, components and sampling (see the file's comment). */
function frameDecodable({ components, width, height }: Frame, jfif: boolean): boolean {
  if (width === 0 || height === 0) return false;
  const count = components.length;
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

/** Whether a sequential frame's scan header is one this decoder decodes (every component, whole); it assigns their Huffman tables. */
function sequentialScanDecodable(bytes: Uint8Array, body: number, end: number, { components }: Frame, { huffman }: Tables): boolean {
  const count = bytes[body];
  if (count !== components.length || end - body !== 4 + 2 * count) return false;
  for (let c = 0; c < count; c++) {
    const component = components[c];
    if (bytes[body + 1 + 2 * c] !== component.id) return false;
    component.dcTable = bytes[body + 2 + 2 * c] >> 4;
    component.acTable = bytes[body + 2 + 2 * c] & 15;
    if (!huffman.has(component.dcTable) || !huffman.has(4 + component.acTable)) return false;
  }
  const at = body + 1 + 2 * count;
  return bytes[at] === 0 && bytes[at + 1] === 63 && bytes[at + 2] === 0;
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
 * undefined if the file is libjpeg's to decode. An InputError for a
 * progressive one of more than 500 scans (MAX_PROGRESSIVE_SCANS).
 */
export async function decodeSimdJpeg(bytes: Uint8Array, pixels?: PixelBuffer): Promise<RgbImage | undefined> {
  const parsed = parseJpeg(bytes);
  if (!parsed) return undefined;
  const { frame, quant, huffman, progressive } = parsed;
  if (!progressive && !sequentialScanDecodable(bytes, parsed.scanBody, parsed.dataStart, frame, parsed)) return undefined;
  if (frame.components.some((c) => !quant.has(c.quantTable))) return undefined;
  const { width, height, components } = frame;
  // Luma has the largest sampling factors (frameDecodable takes chroma at 1x1 only).
  const { h: maxH, v: maxV } = components[0];
  const single = components.length === 1;
  // A single-component scan has one block per MCU, whatever its sampling factors say.
  const mcusX = single ? Math.ceil(width / 8) : Math.ceil(width / (8 * maxH));
  const mcusY = single ? Math.ceil(height / 8) : Math.ceil(height / (8 * maxV));
  const blockH = (c: Component) => (single ? 1 : c.h);
  const blockV = (c: Component) => (single ? 1 : c.v);

  // Layout: the file (and an EOI marker after it), tables, the scan descriptor, the planes (and a progressive
  // frame's coefficients), the RGBA.
  let top = RESERVED_BYTES;
  const place = (size: number) => {
    const at = top;
    top += alignBuffer(size + BUFFER_SLACK);
    return at;
  };
  const file = place(bytes.length + 2);
  const natural = place(NATURAL_ORDER.length);
  const quantAt = new Map([...quant.keys()].map((k) => [k, place(128)]));
  // A slot for each Huffman table (class * 4 + number): a progressive frame's tables change between its scans.
  const huffmanSlots = place(8 * HUFFMAN_TABLE_BYTES);
  const huffmanAt = (k: number) => huffmanSlots + k * HUFFMAN_TABLE_BYTES;
  const scan = place(SCAN_DESCRIPTOR_BYTES);
  const scanScratch = place(640);
  const planes = components.map((c) => {
    const stride = mcusX * blockH(c) * 8;
    const blocksPerRow = mcusX * blockH(c);
    const blockRows = mcusY * blockV(c);
    return { stride, blocksPerRow, blockRows, at: place(stride * blockRows * 8 + 16), coefs: 0 };
  });
  if (progressive) for (const plane of planes) plane.coefs = place(plane.blocksPerRow * plane.blockRows * 128);
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
  if (progressive) {
    if (!decodeProgressiveScans(bytes, parsed, [mcusX, mcusY], planes, { u8, i32, kernels, file, scan, huffmanAt })) return undefined;
    for (const [n, c] of components.entries()) {
      const { coefs, blocksPerRow, blockRows, at, stride } = planes[n];
      kernels.s16_idct_islow_blocks__simd128(
        coefs,
        natural,
        blocksPerRow,
        blockRows,
        quantAt.get(c.quantTable) as number,
        at,
        stride,
        scanScratch,
      );
    }
  } else {
    for (const [k, { counts, symbols }] of huffman) {
      if (!writeHuffmanTable(u8, huffmanAt(k), counts, symbols, k < 4)) return undefined;
    }
    i32.set([file + parsed.dataStart, mcusX, mcusY, parsed.restartInterval, components.length, 0, 0, natural, scanScratch], scan / 4);
    components.forEach((c, n) => {
      const { at, stride } = planes[n];
      const tables = [quantAt.get(c.quantTable), huffmanAt(c.dcTable as number), huffmanAt(4 + (c.acTable as number))];
      i32.set([blockH(c), blockV(c), at, stride, ...(tables as number[]), 0], (scan + 36 + 32 * n) / 4);
    });
    kernels.u8_jpeg_decode_scan(scan);
    if (i32[scan / 4 + 5] !== 0) return undefined;
    // After the scan, the file must end (EOI), as libjpeg reads on to it.
    let next = i32[scan / 4 + 6] - file;
    while (next < bytes.length && bytes[next] === 0xff) next++;
    if (next >= bytes.length || bytes[next] !== 0xd9) return undefined;
  }

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

/** Bytes of a scan descriptor: the sequential one's (36 + 32 a component) or the progressive one's (44 + 24), whichever is larger. */
const SCAN_DESCRIPTOR_BYTES = Math.max(36 + 32 * 3, 44 + 24 * 3);

/** The most scans a progressive JPEG may have (libjpeg-turbo's TJFLAG_LIMITSCANS: every encoder's scripts have far fewer). */
const MAX_PROGRESSIVE_SCANS = 500;

/** What the progressive decode needs of the decoder's memory, laid out by decodeSimdJpeg. */
interface ScanRuntime {
  u8: Uint8Array;
  i32: Int32Array;
  kernels: JpegKernelSignatures;
  file: number;
  scan: number;
  huffmanAt: (k: number) => number;
}

/**
 * A progressive frame's scans, one after another, decoded into the planes'
 * coefficient blocks (zeroed first): each scan header checked as libjpeg's
 * jdphuff.c checks it, declining (false) wherever libjpeg would fail or warn
 * (a bad progression: a band refined by other than its next bit, AC before
 * its DC), then the markers between scans (new Huffman tables, restart
 * intervals), up to EOI. Declined too where libjpeg's output would smooth
 * blocks (its DC or first 9 AC coefficients left unrefined in some
 * component): this decoder has no block smoothing.
 */
function decodeProgressiveScans(
  bytes: Uint8Array,
  parsed: ParsedJpeg,
  frameMcus: [number, number],
  planes: { blocksPerRow: number; blockRows: number; coefs: number }[],
  { u8, i32, kernels, file, scan, huffmanAt }: ScanRuntime,
): boolean {
  const { components, width, height } = parsed.frame;
  const { h: maxH, v: maxV } = components[0];
  const single = components.length === 1;
  for (const { coefs, blocksPerRow, blockRows } of planes) u8.fill(0, coefs, coefs + blocksPerRow * blockRows * 128);
  // libjpeg's coef_bits: per component and coefficient (zigzag), the bit its last scan brought it to; -1 before any.
  const coefBits = new Int8Array(components.length * 64).fill(-1);
  const tables: Tables = { quant: parsed.quant, huffman: parsed.huffman, restartInterval: parsed.restartInterval };
  let header = { body: parsed.scanBody, end: parsed.dataStart };
  for (let scans = 1; ; scans++) {
    // Each scan runs over every block of its components, and a band can come back 14 times: a few hundred bytes
    // of scans could keep libjpeg (and so mozjpeg) decoding for minutes. Refused as libjpeg-turbo's TurboJPEG
    // API refuses them with its scan limit, at the same count.
    if (scans > MAX_PROGRESSIVE_SCANS) {
      throw new InputError(`the progressive JPEG has more than ${MAX_PROGRESSIVE_SCANS} scans: refused, as too slow to decode`);
    }
    const { body, end } = header;
    const count = bytes[body];
    if (count < 1 || count > components.length || end - body !== 4 + 2 * count) return false;
    const inScan: { index: number; dc: number; ac: number }[] = [];
    for (let c = 0; c < count; c++) {
      const index = components.findIndex((component) => component.id === bytes[body + 1 + 2 * c]);
      if (index < 0 || inScan.some((other) => other.index === index)) return false;
      inScan.push({ index, dc: bytes[body + 2 + 2 * c] >> 4, ac: bytes[body + 2 + 2 * c] & 15 });
    }
    const at = body + 1 + 2 * count;
    const [ss, se, ah, al] = [bytes[at], bytes[at + 1], bytes[at + 2] >> 4, bytes[at + 2] & 15];
    const dcBand = ss === 0;
    if (dcBand ? se !== 0 : ss > se || se > 63 || count !== 1) return false;
    if ((ah !== 0 && al !== ah - 1) || al > 13) return false;
    for (const { index } of inScan) {
      if (!dcBand && coefBits[index * 64] < 0) return false;
      for (let k = ss; k <= se; k++) {
        if (ah !== Math.max(coefBits[index * 64 + k], 0)) return false;
        coefBits[index * 64 + k] = al;
      }
    }
    // The tables the scan decodes with: a first DC scan's DC tables, an AC scan's AC table (a DC refinement needs none).
    for (const { dc, ac } of inScan) {
      const k = dcBand ? dc : 4 + ac;
      if (dcBand && ah !== 0) continue;
      const table = tables.huffman.get(k);
      if ((dcBand ? dc : ac) > 3 || !table || !writeHuffmanTable(u8, huffmanAt(k), table.counts, table.symbols, dcBand)) return false;
    }
    // A single component's scan runs over its own blocks, one an MCU; an interleaved one over the frame's MCUs.
    const alone = count === 1 && !single;
    const only = components[inScan[0].index];
    const mcus = alone
      ? [Math.ceil(Math.ceil((width * only.h) / maxH) / 8), Math.ceil(Math.ceil((height * only.v) / maxV) / 8)]
      : frameMcus;
    i32.set([file + end, mcus[0], mcus[1], tables.restartInterval, count, 0, 0, ss, se, ah, al], scan / 4);
    inScan.forEach(({ index, dc, ac }, c) => {
      const component = components[index];
      const [h, v] = alone || single ? [1, 1] : [component.h, component.v];
      const { coefs, blocksPerRow } = planes[index];
      i32.set([h, v, coefs, blocksPerRow, huffmanAt(dc), huffmanAt(4 + ac)], (scan + 44 + 24 * c) / 4);
    });
    kernels.s16_jpeg_decode_progressive_scan(scan);
    if (i32[scan / 4 + 5] !== 0) return false;
    const next = readMarkers(bytes, i32[scan / 4 + 6] - file, tables, undefined, (major) => major === 1);
    if (!next) return false;
    if (next.marker === 0xd9) break;
    header = next;
  }
  // Every component's DC and first 9 AC coefficients complete: libjpeg then decodes without block smoothing.
  for (let index = 0; index < components.length; index++) {
    for (let k = 0; k <= 9; k++) if (coefBits[index * 64 + k] !== 0) return false;
  }
  return true;
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
