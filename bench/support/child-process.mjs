// Every measurement runs in a Node process of its own: module compilation,
// backend initialization and peak RSS then belong to that measurement alone,
// and a backend's global state (tfjs) cannot leak from one configuration
// into the next.
import { fork } from 'node:child_process';

/**
 * Runs `script` in a fresh Node process (`node`, by default this one's; with
 * `nodeFlags`, and none of this process's) and resolves to the one result it reports. Its stdout and
 * stderr are kept out of the tables (tfjs prints banners) and shown only if
 * it fails.
 */
export function runChild(script, args = [], { nodeFlags = [], node = process.execPath } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(script, args.map(String), { execPath: node, execArgv: nodeFlags, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let output = '';
    let result;
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('message', (message) => {
      result = message;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0 && result !== undefined) resolve(result);
      else reject(new Error(`node ${[...nodeFlags, script, ...args].join(' ')} failed (${signal ?? `exit code ${code}`}):\n${output}`));
    });
  });
}

/**
 * The child's side: sends its result and exits at once, so that threads a
 * backend started cannot keep the process alive.
 */
export function reportToParent(result) {
  process.send(result, () => process.exit(0));
}
