// The stages of pngjs's synchronous reader (lib/parser-sync.js) that decodePng runs on image
// data it has inflated itself: pngjs 7 has no `exports` map, and its types cover only PNG.

/** What pngjs's chunk parser gathers from the header and the PLTE, tRNS and gAMA chunks. */
interface PngjsMetadata {
  width: number;
  height: number;
  depth: number;
  interlace: boolean;
  palette?: number[][];
  transColor?: number[];
  alpha?: boolean;
}

declare module 'pngjs/lib/parser.js' {
  class Parser {
    constructor(options: { checkCRC?: boolean }, dependencies: Record<string, (...args: never[]) => void>);
    start(): void;
  }
  export default Parser;
}

declare module 'pngjs/lib/sync-reader.js' {
  class SyncReader {
    constructor(buffer: Buffer);
    read(length: number, callback: (data: Buffer) => void): void;
    process(): void;
  }
  export default SyncReader;
}

declare module 'pngjs/lib/filter-parse-sync.js' {
  export function process(inflated: Buffer, metadata: PngjsMetadata): Buffer;
}

declare module 'pngjs/lib/bitmapper.js' {
  export function dataToBitMap(unfiltered: Buffer, metadata: PngjsMetadata): Buffer | Uint16Array;
}

declare module 'pngjs/lib/format-normaliser.js' {
  export default function normaliseFormat(bitmap: Buffer | Uint16Array, metadata: PngjsMetadata, skipRescale?: boolean): Buffer;
}
