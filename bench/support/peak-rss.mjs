/**
 * The process's resident-set high-water mark in MiB (getrusage's ru_maxrss,
 * which Linux reports in KiB): everything the process ever held at once,
 * Node itself included.
 */
export function peakRssMiB() {
  return process.resourceUsage().maxRSS / 1024;
}
