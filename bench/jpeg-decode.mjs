// JPEG decode alone: the decoder of our own (SIMD kernels; sequential and progressive) against
// mozjpeg in wasm (@jsquash/jpeg), one photo at a time, the two alternating
// call by call so that a change in the machine's load hits both alike.
// Wall and CPU ms per decode (median), and the other processes' CPU share.
// Ours twice: its pixels copied out as a fresh array (what the library's
// callers get, as mozjpeg's pixels are), and left in a pixel buffer the next
// decode reuses (what the CLI does: no fresh page for them).
//   node bench/jpeg-decode.mjs [--rounds 15] [photo.jpg ...]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { decodeSimdJpeg } from '../dist/cli/simd-jpeg-decoder.js';
import { decodeJpeg } from '../dist/cli/jpeg-decoder.js';
import { formatForeignCpu, formatHeader } from './report.mjs';
import { commandLine } from './support/command-line.mjs';
import { startForeignCpuMeter } from './support/foreign-cpu.mjs';
import { describeMachine } from './support/machine.mjs';
import { median } from './support/median.mjs';
import { describeSourceRevision } from './support/source-revision.mjs';
import { fixed, formatTable } from './support/table.mjs';

const { values, positionals } = parseArgs({ options: { rounds: { type: 'string', default: '15' } }, allowPositionals: true });
const rounds = Number(values.rounds);
const photos =
  positionals.length > 0 ? positionals : ['sample1.jpg', 'sample5.jpg', 'bald_guys.jpg'].map((f) => `test/fixtures/photos/${f}`);

const ours = (pixels) => async (bytes) => {
  const image = await decodeSimdJpeg(bytes, pixels);
  if (!image) throw new Error('our decoder declined the photo');
  return image;
};
const decoders = { ours: ours(undefined), buffered: ours({}), mozjpeg: async (bytes) => (await decodeJpeg(bytes, false)).image };

async function timed(decode, bytes) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await decode(bytes);
  const wall = performance.now() - start;
  const { user, system } = process.cpuUsage(cpu);
  return { wall, cpu: (user + system) / 1000 };
}

console.log(formatHeader({ machine: describeMachine(), command: commandLine(), source: describeSourceRevision() }));
const rows = [];
for (const photo of photos) {
  const bytes = readFileSync(photo);
  for (const decode of Object.values(decoders)) for (let i = 0; i < 3; i++) await decode(bytes); // warm-up (tier-up)
  const times = Object.fromEntries(Object.keys(decoders).map((name) => [name, []]));
  const meter = startForeignCpuMeter();
  for (let round = 0; round < rounds; round++) {
    for (const [name, decode] of Object.entries(decoders)) times[name].push(await timed(decode, bytes));
  }
  const foreign = meter();
  const m = (name, key) => median(times[name].map((t) => t[key]));
  rows.push([
    photo.split('/').at(-1),
    fixed(m('ours', 'wall'), 1),
    fixed(m('buffered', 'wall'), 1),
    fixed(m('mozjpeg', 'wall'), 1),
    fixed(m('ours', 'cpu'), 1),
    fixed(m('buffered', 'cpu'), 1),
    fixed(m('mozjpeg', 'cpu'), 1),
    `${fixed(m('mozjpeg', 'cpu') / m('ours', 'cpu'), 2)}x`,
    `${fixed(m('mozjpeg', 'cpu') / m('buffered', 'cpu'), 2)}x`,
    `${fixed(100 * (foreign?.fractionOfMachine ?? Number.NaN), 0)}%`,
  ]);
  console.log(`${photo}: ${formatForeignCpu(foreign)}`);
}
console.log(
  formatTable(
    `JPEG decode alone, median of ${rounds} alternating calls per decoder, 1 thread, Node ${process.versions.node}`,
    [
      'photo',
      'ours wall ms',
      'ours, pixel buffer',
      'mozjpeg wall ms',
      'ours CPU ms',
      'ours, pixel buffer',
      'mozjpeg CPU ms',
      'speed-up (CPU)',
      '(pixel buffer)',
      "others' CPU",
    ],
    rows,
  ),
);
