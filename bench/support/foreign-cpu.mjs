// How much CPU the rest of the machine used while the suite ran. On a
// 2-core machine another process's build or test run slows every
// measurement (a 2-thread engine worst of all, its threads waiting on each
// other), and the tables alone would not show it. Linux only (/proc); both
// files count in the same clock ticks.
import { readFileSync } from 'node:fs';
import os from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux

function sample() {
  // cpu  user nice system idle iowait irq softirq steal ...
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  // Fields after the parenthesized command name: utime, stime, and the waited-for children's cutime, cstime.
  const own = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').slice(11, 15).map(Number);
  return {
    machineTicks: user + nice + system + irq + softirq + steal,
    ownTicks: own.reduce((sum, ticks) => sum + ticks, 0),
    at: performance.now(),
  };
}

/**
 * Starts counting; the returned function gives the cores' worth of CPU that
 * other processes (and the hypervisor, as steal time) took since, or
 * undefined where /proc is not there.
 */
export function startForeignCpuMeter() {
  let start;
  try {
    start = sample();
  } catch {
    return () => undefined;
  }
  return () => {
    const end = sample();
    const seconds = (end.at - start.at) / 1000;
    const foreignSeconds = Math.max(0, end.machineTicks - start.machineTicks - (end.ownTicks - start.ownTicks)) / TICKS_PER_SECOND;
    return { seconds, foreignCoreSeconds: foreignSeconds, fractionOfMachine: foreignSeconds / seconds / os.availableParallelism() };
  };
}
