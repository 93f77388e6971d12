import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The CLI as `npm run build` builds it (npm test builds first). */
const CLI = `${root}dist/cli/main.js`;

/** No cache of landmark models written into the user's home by a test (test/landmark-model-cache.test.ts tests it). */
export const CLI_ENV = { ...process.env, DLIB_WASM_CACHE: 'off' };

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
 * `env`: the environment, CLI_ENV by default.
 */
export function runCli(args: string[], { timeout = 60_000, nodeOptions = [] as string[], env = CLI_ENV } = {}): Promise<CliRun> {
  return new Promise((done) => {
    execFile(process.execPath, [...nodeOptions, CLI, ...args], { cwd: root, timeout, maxBuffer: 1 << 26, env }, (error, stdout, stderr) => {
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

/** A CLI run started in the background: its process, and its outcome once it ends. */
export interface StartedCli {
  child: ChildProcess;
  /** Resolves once stderr holds a match of `pattern` (rejects if the run ends first). */
  stderrMatch(pattern: RegExp): Promise<void>;
  done: Promise<CliRun>;
}

/** Starts `dlib-wasm ...args` without waiting for it: for runs a test kills on the way. */
export function startCli(args: string[], { timeout = 60_000 } = {}): StartedCli {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: root, timeout, stdio: ['ignore', 'pipe', 'pipe'], env: CLI_ENV });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; found: () => void }[] = [];
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
    for (const watcher of watchers.splice(0)) {
      if (watcher.pattern.test(stderr)) watcher.found();
      else watchers.push(watcher);
    }
  });
  const done = new Promise<CliRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    done,
    stderrMatch: (pattern) =>
      pattern.test(stderr)
        ? Promise.resolve()
        : new Promise<void>((found, failed) => {
            watchers.push({ pattern, found });
            done.then((run) =>
              failed(new Error(`the run ended (${run.code ?? run.signal}) before stderr matched ${pattern}: ${run.stderr}`)),
            );
          }),
  };
}
