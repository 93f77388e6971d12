import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LibraryInUseError, type LockProcesses, lockFolder } from '../src/cli/library/folder-lock.js';

// The PGlite library folder's lock: one process at a time, a dead owner's lock taken over by
// exactly one of the processes that find it at once. Other processes are stood in for by pids
// the test declares alive or dead.

const DEAD_OWNER = 999_001;
const DEAD_TAKER = 999_002;
const TAKERS = [999_101, 999_102];

function folderLockedBy(...files: [string, number][]): string {
  const folder = mkdtempSync(join(tmpdir(), 'dlib-wasm-lock-'));
  for (const [name, pid] of files) writeFileSync(join(folder, name), String(pid));
  return folder;
}

/**
 * The takers, each asked whether the dead owner is alive only once every one
 * has asked: all of them decide it is dead before any takes the lock over.
 */
function takersInStep(pids: number[]): LockProcesses[] {
  let waiting: (() => void)[] = [];
  const deadOwnerSeen = () =>
    new Promise<boolean>((resolve) => {
      waiting.push(() => resolve(false));
      if (waiting.length === pids.length) {
        for (const release of waiting) release();
        waiting = [];
      }
    });
  return pids.map((pid) => ({ pid, isRunning: (other) => (pids.includes(other) ? true : other === DEAD_OWNER ? deadOwnerSeen() : false) }));
}

describe('the library folder lock', () => {
  it('lets exactly one of two processes take over a dead owner’s lock at the same instant; the other is told who holds it', async () => {
    for (const order of [TAKERS, [...TAKERS].reverse()]) {
      const folder = folderLockedBy(['lock', DEAD_OWNER]);
      const results = await Promise.allSettled(takersInStep(order).map((processes) => lockFolder(folder, processes)));
      const winners = order.filter((_, i) => results[i].status === 'fulfilled');
      expect(winners).toHaveLength(1);
      const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(loser.reason).toBeInstanceOf(LibraryInUseError);
      expect(loser.reason.owner).toBe(winners[0]);
      expect(loser.reason.message).toContain(`the library ${folder} is in use by process ${winners[0]}`);
      expect(readFileSync(join(folder, 'lock'), 'utf8')).toBe(String(winners[0]));
      expect(readdirSync(folder)).toEqual(['lock']);
    }
  });

  it('takes over a lock whose taker died in the middle of taking over', async () => {
    const folder = folderLockedBy(['lock', DEAD_OWNER], [`lock.${DEAD_OWNER}`, DEAD_TAKER]);
    const unlock = await lockFolder(folder, { pid: TAKERS[0], isRunning: () => false });
    expect(readFileSync(join(folder, 'lock'), 'utf8')).toBe(String(TAKERS[0]));
    expect(readdirSync(folder)).toEqual(['lock']);
    unlock();
    expect(readdirSync(folder)).toEqual([]);
  });

  it('refuses a live process’s lock, and takes a killed one’s, with real processes', async () => {
    const live = folderLockedBy(['lock', process.ppid]);
    const refused = await lockFolder(live).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LibraryInUseError);
    expect((refused as LibraryInUseError).owner).toBe(process.ppid);
    expect(readFileSync(join(live, 'lock'), 'utf8')).toBe(String(process.ppid));

    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const dead = folderLockedBy(['lock', Number(exited.stdout)]);
    const unlock = await lockFolder(dead);
    expect(readFileSync(join(dead, 'lock'), 'utf8')).toBe(String(process.pid));
    unlock();
  });
});
