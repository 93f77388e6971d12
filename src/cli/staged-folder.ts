import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { makeFolders } from './regular-file.js';

/** Exit codes of a run ended by a signal: 128 + the signal's number, as shells report them. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/** Removes a folder, retrying while a worker thread may still be writing into it. */
const removeFolder = (path: string) => rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });

/**
 * Creates a new folder named `.<name>.dlib-wasm-<role>-<random>` beside `target`, with
 * the permissions a plain mkdir gives (mkdtemp's are owner-only).
 */
function makeSibling(target: string, role: 'new' | 'old'): string {
  const path = join(dirname(target), `.${basename(target)}.dlib-wasm-${role}-${randomBytes(6).toString('hex')}`);
  mkdirSync(path);
  return path;
}

/** A path's real location: links resolved in the part of it that exists, the rest as named. */
export async function realLocation(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch (error) {
    const parent = dirname(absolute);
    if (parent === absolute) throw error;
    return join(await realLocation(parent), basename(absolute));
  }
}

/**
 * A folder written in full beside `target` and swapped into its place by
 * `commit()`, so that `target` is all of one run or as it was: an
 * interrupted run (SIGINT, SIGTERM, SIGHUP, an error, a crash) leaves `target`
 * untouched and removes the staged folder on its way out.
 */
export class StagedFolder {
  private readonly onSignal = (signal: keyof typeof SIGNAL_EXIT_CODES) => {
    try {
      this.discard();
    } finally {
      // The signal's code though the folder could not be removed: the run was interrupted, it did not fail.
      process.exit(SIGNAL_EXIT_CODES[signal]);
    }
  };
  private readonly onExit = () => this.discard();
  private discarded = false;

  private constructor(
    readonly target: string,
    readonly path: string,
  ) {
    for (const signal of Object.keys(SIGNAL_EXIT_CODES)) process.on(signal, this.onSignal);
    process.on('exit', this.onExit);
  }

  /**
   * Stages a folder to replace `target` (its real location, if a link). A
   * `target` that exists must be a folder whose entries `refusal` finds no
   * reason to keep, so that a user's own files are never swept away.
   */
  static async create(target: string, refusal: (entries: string[]) => string | undefined): Promise<StagedFolder> {
    const location = await realLocation(target);
    const info = await lstat(location).catch(() => undefined);
    if (info && !info.isDirectory()) throw new InputError(`${target} exists and is not a folder: not replaced`);
    if (info) {
      const reason = refusal(await readdir(location));
      if (reason) throw new InputError(`${target} ${reason}: not replaced. Choose a new or empty folder, or empty it yourself`);
    }
    try {
      await makeFolders(dirname(location));
      return new StagedFolder(location, makeSibling(location, 'new'));
    } catch (error) {
      throw new InputError(`cannot write a folder beside ${target}: ${(error as Error).message}`);
    }
  }

  /**
   * Puts the staged folder in the target's place. Synchronous, so that no
   * signal handler runs between the renames; were the process killed there,
   * both folders would still be on disk (`.<name>.dlib-wasm-old-*` and
   * `.<name>.dlib-wasm-new-*` beside it).
   */
  commit(): void {
    let aside: string | undefined = makeSibling(this.target, 'old');
    try {
      renameSync(this.target, aside);
    } catch (error) {
      removeFolder(aside);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      aside = undefined;
    }
    try {
      renameSync(this.path, this.target);
    } catch (error) {
      if (aside) renameSync(aside, this.target);
      throw error;
    }
    this.discarded = true;
    this.removeHandlers();
    if (aside) removeFolder(aside);
  }

  /**
   * Removes the staged folder, leaving the target as it was. It is moved
   * aside first: locate workers still writing a photo's chips into it (a run
   * interrupted on a loaded machine) can then add no file to it while it is
   * removed, which rm's retries alone did not outlast.
   */
  discard(): void {
    if (this.discarded) return;
    this.discarded = true;
    this.removeHandlers();
    const aside = makeSibling(this.target, 'old');
    try {
      renameSync(this.path, aside);
    } catch {
      removeFolder(aside);
      removeFolder(this.path);
      return;
    }
    removeFolder(aside);
  }

  private removeHandlers(): void {
    for (const signal of Object.keys(SIGNAL_EXIT_CODES)) process.off(signal, this.onSignal);
    process.off('exit', this.onExit);
  }
}
