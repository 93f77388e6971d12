import { runtimeHasRelaxedSimd } from '../engine/kernels.js';
import type { DlibNetwork, PlacedConstantEntry, PlacedConstantsImage } from '../engine/network.js';
import { CLI_BUILD, modelFileEntry, readEntryHeader, readInto, writeEntry } from './cache-entry.js';
import { cacheFolder as cliCacheFolder } from './cache-folder.js';

/** Names the entries' layout: a change to it must change this. */
const FORMAT = 'dlib-wasm network constants 1';

/** An entry's header; the memory's image follows it. */
interface EntryHeader {
  format: string;
  entries: PlacedConstantEntry[];
  batchSize: number;
  relaxedSimd: boolean;
}

/** A network model's cached constants, if the cache has them, and how to keep a loaded network's for the next run. */
export interface NetworkConstantsCache {
  /** For the engine to take (DlibNetwork.create) instead of packing the weights again. */
  image?: PlacedConstantsImage;
  /** Writes the network's constants for the next run, if the cache had none (or none it took). */
  keep(network: DlibNetwork): Promise<void>;
}

/**
 * The cache of the packed constants of the network in the model file `file`
 * (the face recognition model: reading and packing its 22 MB of weights
 * takes 80-90 ms of CPU, its 43 MB of constants are a read), for this
 * `build` of the CLI.
 * An entry is for this very file (its path, size, modification time and
 * inode), as for the landmark cache; a cache that cannot be read or written is passed by.
 */
export async function openNetworkConstantsCache(
  file: string | URL,
  { cacheFolder = cliCacheFolder(), build = CLI_BUILD }: { cacheFolder?: string; build?: string } = {},
): Promise<NetworkConstantsCache> {
  // Node 20 and 22 pick other kernel builds (relaxed SIMD or not), whose packs differ: an entry for each.
  const variant = runtimeHasRelaxedSimd() ? 'relaxed' : 'simd';
  const entry = build === undefined ? undefined : await modelFileEntry(cacheFolder, file, FORMAT, '.network', { build, variant });
  if (!entry) return { keep: async () => undefined };
  const found = await readEntryHeader<EntryHeader>(entry, FORMAT);
  let taken = false;
  const image: PlacedConstantsImage | undefined = found && {
    entries: found.header.entries,
    batchSize: found.header.batchSize,
    relaxedSimd: found.header.relaxedSimd,
    write: async (memory) => {
      taken = memory.length === found.dataLength && (await readInto(entry.file, found.dataAt, memory).catch(() => false));
      return taken;
    },
  };
  return {
    image,
    async keep(network) {
      if (taken) return;
      const { entries, memory } = network.placedConstants();
      const header: EntryHeader = { format: FORMAT, entries, batchSize: network.batchSize, relaxedSimd: network.backend.relaxedSimd };
      await writeEntry(entry, header, memory);
    },
  };
}
