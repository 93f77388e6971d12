import { networkOutline } from '../dlib/network-outline.js';
import type { NetworkDescription } from '../dlib/network-description.js';
import { runtimeHasRelaxedSimd } from '../engine/kernels.js';
import { DlibNetwork, type EngineOptions, type PlacedConstantEntry } from '../engine/network.js';
import { CLI_BUILD, modelFileEntry, readEntryHeader, writeEntry } from './cache-entry.js';
import { readInto } from './direct-read.js';
import { cacheFolder as cliCacheFolder } from './cache-folder.js';

/** Names the entries' layout: a change to it must change this. */
const FORMAT = 'dlib-wasm network constants 3';

/** An entry's header; the memory's image follows it. */
interface EntryHeader {
  format: string;
  entries: PlacedConstantEntry[];
  batchSize: number;
  relaxedSimd: boolean;
  /** The network's description without its weights (networkOutline), its arrays as { float32: base64 of their bytes }. */
  network: unknown;
}

/** A network model's cached constants, if the cache has them, and how to keep a loaded network's for the next run. */
export interface NetworkConstantsCache {
  /**
   * The network made from the entry alone (the outline of the net it keeps,
   * and its constants), without the model file; undefined if there is no
   * entry, or it is damaged (it is then written again by keep).
   */
  network(options: EngineOptions): Promise<DlibNetwork | undefined>;
  /** Writes the network's constants and outline for the next run, unless they came from the cache. */
  keep(network: DlibNetwork): Promise<void>;
}

/** Where the cache is (the CLI's cache folder by default), and the CLI build whose entries it reads and writes (none: no cache). */
export interface NetworkCacheOptions {
  cacheFolder?: string;
  build?: string;
}

/**
 * The cache of the network in the model file `file` (the face recognition
 * model: reading and packing its 22 MB of weights takes 80-90 ms of CPU and
 * as much garbage; its 43 MB of packed constants are a read, and a hit reads
 * nothing of the model file), for this `build` of the CLI.
 * An entry is for this very file (its path, size, modification time and
 * inode), as for the landmark cache; a cache that cannot be read or written is passed by.
 */
export async function openNetworkConstantsCache(
  file: string | URL,
  { cacheFolder = cliCacheFolder(), build = CLI_BUILD }: NetworkCacheOptions = {},
): Promise<NetworkConstantsCache> {
  // Node 20 and 22 pick other kernel builds (relaxed SIMD or not), whose packs differ: an entry for each.
  const variant = runtimeHasRelaxedSimd() ? 'relaxed' : 'simd';
  const entry = build === undefined ? undefined : await modelFileEntry(cacheFolder, file, FORMAT, '.network', { build, variant });
  if (!entry) return { network: async () => undefined, keep: async () => undefined };
  const found = await readEntryHeader<EntryHeader>(entry, FORMAT);
  let taken = false;
  return {
    async network(options) {
      const description = found && decodeTensors(found.header.network);
      if (!found || !isDescription(description)) return undefined;
      const { entries, batchSize, relaxedSimd } = found.header;
      const write = async (memory: Uint8Array) =>
        memory.length === found.dataLength && (await readInto(entry.file, found.dataAt, memory).catch(() => false));
      try {
        const network = await DlibNetwork.create(description, options, { entries, batchSize, relaxedSimd, complete: true, write });
        taken = true;
        return network;
      } catch {
        // Whatever the entry lacks, the model file has.
        return undefined;
      }
    },
    async keep(network) {
      if (taken) return;
      const { entries, memory } = network.placedConstants();
      const header: EntryHeader = {
        format: FORMAT,
        entries,
        batchSize: network.batchSize,
        relaxedSimd: network.backend.relaxedSimd,
        network: encodeTensors(networkOutline(network.description)),
      };
      await writeEntry(entry, header, memory);
    },
  };
}

/** Whether a decoded header's network has a description's three parts; the engine checks the rest as it plans. */
function isDescription(value: unknown): value is NetworkDescription {
  const { input, layers, loss } = (value ?? {}) as Partial<NetworkDescription>;
  return typeof input === 'object' && input !== null && Array.isArray(layers) && typeof loss === 'object' && loss !== null;
}

/** A description as JSON can hold it: its Float32Arrays' bytes in base64, exactly (JSON's numbers would lose NaN and -0). */
function encodeTensors(value: unknown): unknown {
  if (value instanceof Float32Array) return { float32: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return value.map(encodeTensors);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, encodeTensors(field)]));
  }
  return value;
}

/** encodeTensors undone; undefined where a tensor is not whole floats. */
function decodeTensors(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeTensors);
  if (typeof value !== 'object' || value === null) return value;
  if ('float32' in value && typeof value.float32 === 'string') {
    const bytes = Buffer.from(value.float32, 'base64');
    if (bytes.length % 4 !== 0) return undefined;
    const floats = new Float32Array(bytes.length / 4);
    new Uint8Array(floats.buffer).set(bytes);
    return floats;
  }
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, decodeTensors(field)]));
}
