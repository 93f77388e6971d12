import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The CLI as `npm run build` builds it (npm test builds first). */
const CLI = `${root}dist/cli/main.js`;

export interface CliRun {
  /** The exit code; null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `dlib-wasm ...args` in the project's folder. A run still going after
 * `timeout` ms (default a minute) is killed: a hang guard, not a timing assertion.
 */
export function runCli(args: string[], { timeout = 60_000, nodeOptions = [] as string[] } = {}): Promise<CliRun> {
  return new Promise((done) => {
    execFile(process.execPath, [...nodeOptions, CLI, ...args], { cwd: root, timeout, maxBuffer: 1 << 26 }, (error, stdout, stderr) => {
      const failure = error as (Error & { code?: number | string; signal?: NodeJS.Signals | null }) | null;
      done({
        code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
        signal: failure?.signal ?? null,
        stdout,
        stderr,
      });
    });
  });
}
