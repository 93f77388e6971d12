import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';

/** The library folder's lock file; the files of a lock in the making and of takeovers are named `lock.*` beside it. */
export const LOCK_FILE = 'lock';

/** Whether a library folder entry belongs to its lock. */
export const isLockEntry = (entry: string) => entry === LOCK_FILE || entry.startsWith(`${LOCK_FILE}.`);

/** The library folder is locked by a live process (or one taking a dead owner's lock over right now). */
export class LibraryInUseError extends InputError {
  constructor(
    readonly folder: string,
    readonly owner: number,
    takingOver: boolean,
  ) {
    super(
      `the library ${folder} is in use by process ${owner}${takingOver ? ' (taking over a dead process’s lock)' : ''}: ` +
        'PGlite serves one process at a time (for several, use --db postgres://...)',
    );
  }
}

/** Who this process is and whether another is alive: tests stand in for other processes. */
export interface LockProcesses {
  pid: number;
  isRunning(pid: number): boolean | Promise<boolean>;
}

function isRunning(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const THIS_PROCESS: LockProcesses = { pid: process.pid, isRunning };

/**
 * Makes `file` holding `pid`, unless it exists. Written aside and linked into
 * place, so that it never exists empty: a reader always finds its owner.
 */
function createHolding(file: string, pid: number): boolean {
  const aside = `${file}.new-${pid}`;
  writeFileSync(aside, String(pid));
  try {
    linkSync(aside, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(aside, { force: true });
  }
}

/** The pid a lock file holds (0 if it holds none), or undefined if it is gone. */
function ownerOf(file: string): number | undefined {
  try {
    const owner = Number(readFileSync(file, 'utf8'));
    return Number.isSafeInteger(owner) && owner > 0 ? owner : 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Takes `file` for `processes.pid`, taking over the lock of a dead owner.
 * Deciding that the owner is dead and removing its lock are two steps, and
 * two processes between them would each remove the other's new lock: so the
 * right to remove a dead owner's lock is itself a lock, `file.<owner>`, that
 * one process alone can make (and one whose maker died is taken over the same
 * way). Whoever holds it removes `file` only if it still names that owner.
 */
async function takeLock(folder: string, file: string, processes: LockProcesses): Promise<void> {
  for (;;) {
    if (createHolding(file, processes.pid)) return;
    const owner = ownerOf(file);
    if (owner === undefined) continue;
    if (await processes.isRunning(owner)) throw new LibraryInUseError(folder, owner, file !== join(folder, LOCK_FILE));
    const right = `${file}.${owner}`;
    await takeLock(folder, right, processes);
    try {
      if (ownerOf(file) === owner) rmSync(file);
    } finally {
      rmSync(right, { force: true });
    }
  }
}

/**
 * Takes the library folder for this process: PGlite is one process's
 * database, and two writing one folder would wreck it. The lock file holds
 * the owner's pid; a lock whose process is gone (killed) is taken over, by
 * one process of any that try at once. Returns the unlock.
 */
export async function lockFolder(folder: string, processes = THIS_PROCESS): Promise<() => void> {
  const lock = join(folder, LOCK_FILE);
  await takeLock(folder, lock, processes);
  return () => rmSync(lock, { force: true });
}
