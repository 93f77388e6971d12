// The printed tables, one per section, built from the measured results.
import { peakFor } from './peak/measure-peak.mjs';
import { fixed, formatTable } from './support/table.mjs';

const percent = (part, whole) => (part !== undefined && whole ? `${((100 * part) / whole).toFixed(0)}%` : '-');
const gflops = (multiplyAdds, ms) => (2 * multiplyAdds) / ms / 1e6;

export function formatHeader({ machine, command, source }) {
  const modified = source.engineSourcesModified ? ' with uncommitted changes to the engine' : '';
  return [
    `machine: ${machine.cpu}, ${machine.logicalCores} logical cores, ${machine.memoryGiB} GiB, ${machine.platform}`,
    `node ${machine.node} (V8 ${machine.v8}); command: ${command}; commit ${source.commit}${modified}`,
  ].join('\n');
}

/** How much of the machine other processes took: the numbers above are only as good as this is small. */
export function formatForeignCpu(foreignCpu) {
  if (!foreignCpu) return 'CPU used by other processes during the run: unknown (no /proc)';
  const share = `${(100 * foreignCpu.fractionOfMachine).toFixed(1)}%`;
  const line = `other processes used ${share} of the machine's CPU during the run (${foreignCpu.foreignCoreSeconds.toFixed(1)} core-seconds in ${foreignCpu.seconds.toFixed(0)} s)`;
  return foreignCpu.fractionOfMachine > 0.05 ? `WARNING: ${line}: the timings are disturbed, run again on an idle machine` : line;
}

export function formatPeak(peak) {
  const rows = [
    ['plain', 'f32x4.mul + f32x4.add', peak.plain],
    ['relaxed', 'f32x4.relaxed_madd', peak.relaxed],
  ].map(([name, instructions, build]) => {
    const flags = build.nodeFlags.join(' ') || '(none)';
    if (!build.available) return [name, instructions, flags, 'unavailable', '-', '-', '-', build.reason];
    const { oneCore, allCores } = build;
    return [
      name,
      instructions,
      flags,
      fixed(oneCore.gflops, 1),
      fixed(oneCore.medianGflops, 1),
      fixed(allCores.gflops, 1),
      fixed(allCores.medianGflops, 1),
      `${oneCore.chains} chains x ${oneCore.iterations}`,
    ];
  });
  return formatTable(
    'WebAssembly SIMD peak, GFLOP/s (best call, median call; all cores = one probe process per core at once)',
    ['build', 'instructions', 'node flags', '1 core', 'median', `${peak.plain.allCores?.processes ?? 'all'} cores`, 'median', 'probe'],
    rows,
  );
}

/** One row per layer shape; per thread count: ms/face, GFLOP/s and the fraction of the peak of the build that ran. */
export function formatLayerProfiles(profiles, peak) {
  const measured = profiles.filter((profile) => !profile.skipped);
  const [first] = measured;
  const last = measured.at(-1);
  const total = (shapes) => ({
    shape: 'total',
    steps: shapes.reduce((sum, shape) => sum + shape.steps, 0),
    macs: shapes.reduce((sum, shape) => sum + shape.macs, 0),
    ms: shapes.reduce((sum, shape) => sum + shape.ms, 0),
  });
  // Looked up by shape, not by position: a profile is the plan's steps, whatever the thread count.
  const byShape = measured.map((profile) => new Map([...profile.shapes, total(profile.shapes)].map((shape) => [shape.shape, shape])));
  const cells = (profile, { ms, macs }) => {
    const rate = macs ? gflops(macs, ms) : undefined;
    return [
      fixed(ms / profile.batch, 3),
      fixed(rate, 1),
      percent(rate, peakFor(peak, profile.backend.relaxedSimd, profile.backend.threads)),
    ];
  };
  const rows = [...first.shapes, total(first.shapes)].map(({ shape, steps, macs }) => [
    shape,
    steps,
    fixed(macs / first.batch / 1e6, 1),
    ...measured.flatMap((profile, i) => cells(profile, byShape[i].get(shape))),
    ...(measured.length > 1 ? [fixed(byShape[0].get(shape).ms / byShape.at(-1).get(shape).ms, 2)] : []),
  ]);
  const headers = [
    'layer shape (label without layer<i>)',
    'steps',
    'MMAC/face',
    ...measured.flatMap(({ backend: { threads } }) => [`${threads}T ms/face`, `${threads}T GFLOP/s`, `${threads}T % peak`]),
    ...(measured.length > 1 ? [`${last.backend.threads}T speedup`] : []),
  ];
  const notes = profiles
    .filter((profile) => profile.skipped)
    .map((profile) => `\n(${profile.threadsRequested} threads asked, the engine ran ${profile.backend.threads}: not profiled)`);
  // The steps count the multiply-adds their kernels do (a Winograd step does fewer); FLOP rates of the whole net count dlib's direct convolutions.
  const executed = total(first.shapes).macs / first.batch;
  const effective = measured.map(
    (profile, i) =>
      `${fixed(gflops(profile.multiplyAddsPerFace * profile.batch, byShape[i].get('total').ms), 1)} GFLOP/s at ${profile.backend.threads}T`,
  );
  notes.unshift(
    `\nsteps count the multiply-adds their kernels execute: ${fixed(executed / 1e6, 1)} M/face; dlib's direct convolutions are ` +
      `${fixed(first.multiplyAddsPerFace / 1e6, 1)} M/face: effective ${effective.join(', ')}`,
  );
  return (
    formatTable(
      `dlib-wasm per layer shape: DlibNetwork.profile at batch ${first.batch}, median of ${first.runs} runs per step, summed per shape; ` +
        `% of the ${first.backend.relaxedSimd ? 'relaxed' : 'plain'}-SIMD peak of as many cores as threads`,
      headers,
      rows,
    ) + notes.join('')
  );
}

/**
 * One row per convolution layer shape, all of a layer's steps together: its
 * rate counting the multiply-adds its kernels execute (a Winograd layer does
 * fewer, a layer whose taps read only padding skips them) and counting them as
 * dlib does (direct convolution), as fractions of the peak.
 */
export function formatConvLayers(profiles, peak) {
  const measured = profiles.filter((profile) => !profile.skipped);
  const [first] = measured;
  const rowsOf = (layerShapes) => new Map(layerShapes.map((row) => [row.shape, row]));
  const byShape = measured.map((profile) => ({ inNetwork: rowsOf(profile.layerShapes), inCache: rowsOf(profile.inCache.layerShapes) }));
  const convs = first.layerShapes.filter((row) => row.shape.startsWith('con '));
  const rows = convs.map(({ shape, layers, algorithm, macs, layerMacs }) => [
    shape,
    layers,
    algorithm === 'direct' && macs < layerMacs ? 'direct, taps on padding skipped' : algorithm,
    fixed(layerMacs / first.batch / 1e6, 2),
    fixed(macs / first.batch / 1e6, 2),
    ...measured.flatMap((profile, i) => {
      const { ms } = byShape[i].inNetwork.get(shape);
      const cachedMs = byShape[i].inCache.get(shape).ms;
      const of = (rate) => percent(rate, peakFor(peak, profile.backend.relaxedSimd, profile.backend.threads));
      return [fixed(ms / profile.batch, 3), of(gflops(macs, ms)), of(gflops(layerMacs, ms)), of(gflops(macs, cachedMs))];
    }),
  ]);
  return formatTable(
    `dlib-wasm per convolution layer shape (all its steps), batch ${first.batch}: % of the ${first.backend.relaxedSimd ? 'relaxed' : 'plain'}-SIMD ` +
      'peak of as many cores as threads, counting the multiply-adds executed ("exec."), and as dlib counts them (direct convolution);\n' +
      '"cached": each step run again at once, its weights and inputs in cache as far as they fit',
    [
      'layer shape',
      'layers',
      'algorithm',
      'dlib MMAC/face',
      'exec. MMAC/face',
      ...measured.flatMap(({ backend: { threads } }) => [
        `${threads}T ms/face`,
        `${threads}T % exec.`,
        `${threads}T % dlib`,
        `${threads}T % exec. cached`,
      ]),
    ],
    rows,
  );
}

/** A dlib-wasm ms/face result in the form the ms/face table takes. */
export function dlibWasmRow(row) {
  return { ...row, threadsUsed: row.backend.threads, relaxedSimd: row.backend.relaxedSimd };
}

/** A face-api ms/face result in the form the ms/face table takes (tfjs-wasm 4.22 has no relaxed-SIMD build). */
export function faceApiRow(row) {
  return { ...row, threadsRequested: row.backend.threadsRequested, threadsUsed: row.backend.threadsUsed, relaxedSimd: false };
}

export function formatMsPerFace(title, rows, { peak, multiplyAddsPerFace }) {
  const measured = rows.filter((row) => !row.skipped);
  const body = measured.map((row) => {
    const rate = gflops(multiplyAddsPerFace, row.msPerFace);
    return [
      row.threadsRequested,
      row.threadsUsed,
      row.batch,
      fixed(row.msPerFace, 2),
      fixed(row.madMsPerFace, 2),
      fixed(1000 / row.msPerFace, 1),
      fixed(rate, 1),
      percent(rate, peakFor(peak, row.relaxedSimd, row.threadsUsed)),
      fixed(row.peakRssMiB, 0),
      fixed(row.wasmMemoryMiB, 0),
      row.samples,
      `${fixed(
        row.roundTimes.reduce((a, b) => Math.min(a, b)),
        2,
      )}-${fixed(
        row.roundTimes.reduce((a, b) => Math.max(a, b)),
        2,
      )}`,
    ];
  });
  const notes = rows
    .filter((row) => row.skipped)
    .map((row) => `\n(${row.threadsRequested} threads asked, the engine ran ${row.threadsUsed}: not measured)`);
  return (
    formatTable(
      title,
      [
        'threads asked',
        'used',
        'batch',
        'ms/face',
        '± MAD',
        'faces/s',
        'eff. GFLOP/s',
        'eff. % peak',
        'peak RSS MiB',
        'wasm MiB',
        'samples',
        'rounds (ms/face)',
      ],
      body,
    ) + notes.join('')
  );
}

export function formatColdStarts(coldStarts, idleNodePeakRssMiB) {
  const row = (engine, { median, processes }, threads) => [
    engine,
    threads,
    fixed(median.importMs, 1),
    fixed(median.loadMs, 1),
    fixed(median.firstDescriptorMs, 1),
    fixed(median.bytesToDescriptorMs, 1),
    fixed(median.processStartToDescriptorMs, 1),
    fixed(median.peakRssMiB, 0),
    fixed(median.wasmMemoryMiB, 0),
    processes,
  ];
  return formatTable(
    'Cold start in a fresh process, median of the processes. load = model bytes -> ready (parse, compile wasm, start workers, weights);\n' +
      `peak RSS = the process's getrusage high-water mark, Node included (an idle Node process: ${fixed(idleNodePeakRssMiB, 0)} MiB); wasm MiB = the engine's WebAssembly memory`,
    [
      'engine',
      'threads',
      'import ms',
      'load ms',
      'first descriptor ms',
      'load + first ms',
      'process start -> descriptor ms',
      'peak RSS MiB',
      'wasm MiB',
      'processes',
    ],
    [
      row('dlib-wasm, default options', coldStarts.dlibWasmDefaults, coldStarts.dlibWasmDefaults.backend.threads),
      row('dlib-wasm, threads: 1', coldStarts.dlibWasmOneThread, coldStarts.dlibWasmOneThread.backend.threads),
      row('face-api on tfjs-wasm', coldStarts.faceApi, coldStarts.faceApi.backend.threadsUsed),
    ],
  );
}

export function formatComparison(comparison) {
  const rows = comparison.rows.map((row) => [
    row.batch,
    row.threadsRequested,
    row.dlibWasmThreads ?? '-',
    fixed(row.dlibWasmMsPerFace, 2),
    row.faceApiThreads,
    fixed(row.faceApiMsPerFace, 2),
    fixed(row.oursOverPeer, 2),
    fixed(row.oursOverPeer && 1 / row.oursOverPeer, 2),
    row.descriptorDistance ? `${row.descriptorDistance.max.toExponential(1)} (${row.descriptorDistance.chips})` : '-',
  ]);
  const { dlibWasmDefaults, dlibWasmOneThread } = comparison.coldStart;
  return (
    formatTable(
      'dlib-wasm vs face-api in the same run: ms/face, and the largest Euclidean distance between their descriptors of the same chips (chips)',
      [
        'batch',
        'threads asked',
        'dlib-wasm used',
        'dlib-wasm',
        'face-api used',
        'face-api',
        'ours/peer',
        'peer/ours',
        'descriptor distance',
      ],
      rows,
    ) +
    `\ncold start (model load + first descriptor), ours/peer: ${fixed(dlibWasmDefaults.oursOverPeer, 2)} with default options, ` +
    `${fixed(dlibWasmOneThread.oursOverPeer, 2)} with threads: 1`
  );
}
