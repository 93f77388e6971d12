// The photo library on LFW, end to end through the CLI: `dlib-wasm index` of every LFW photo we
// have in one run (wall time and peak RSS from /usr/bin/time -v), `people` on it, and the pairwise
// precision and recall of its people against LFW's names, next to `cluster`'s all-pairs chinese
// whispers on the same descriptors. Then the cost of adding 100 photos to an indexed library
// (index + people, the incremental join) against indexing them into an empty one.
//
//   npm run build && node bench/library-lfw.mjs --lfw LFW_DIR (with deepfunneled_250/) [--work DIR]
//     [--library DIR: an indexed LFW library to evaluate instead of indexing]
//     [--thresholds 0.6,0.5,0.45,0.4] [--sizes 2000,all,100000: libraries to add to; past the
//     photos we have, synthetic faces make up the rest] [--repeats 2]
//     [--before OLD/dist/cli/main.js: the adding measured with another build too]
//     [--nice: children under nice -n 19, for development runs]
//
// LFW means one face per photo: of several, the one whose box centre is nearest the image centre
// (as dlib's LFW protocol, scripts/lfw/lfw-faces.mjs); photos where no face is found are left
// out (counted). A second row counts only the photos of exactly one face.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openLibrary } from '../dist/cli/library/library-store.js';
import { descriptorFromBytes } from '../dist/cli/library/photo-claims.js';
import { chineseWhispers, DlibRand } from '../dist/index.js';
import { startForeignCpuMeter } from './support/foreign-cpu.mjs';
import { describeMachine } from './support/machine.mjs';
import { describeSourceRevision } from './support/source-revision.mjs';
import { fixed, formatTable } from './support/table.mjs';

const { values } = parseArgs({
  options: {
    lfw: { type: 'string' },
    work: { type: 'string' },
    library: { type: 'string' },
    sizes: { type: 'string', default: '2000,all,100000' },
    thresholds: { type: 'string', default: '0.6,0.5,0.45,0.4' },
    repeats: { type: 'string', default: '2' },
    nice: { type: 'boolean', default: false },
    before: { type: 'string' },
  },
});
if (!values.lfw) throw new Error('usage: node bench/library-lfw.mjs --lfw LFW_DIR (the folder with deepfunneled_250/) [--work DIR] ...');
const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
const work = values.work ?? mkdtempSync(join(tmpdir(), 'dlib-wasm-library-lfw-'));
const photoRoot = join(values.lfw, 'deepfunneled_250');
const people = readdirSync(photoRoot).sort();
const folders = people.map((name) => join(photoRoot, name));
/** Every photo, with its LFW name (its folder's). */
const photos = people.flatMap((name) =>
  readdirSync(join(photoRoot, name))
    .filter((file) => file.endsWith('.jpg'))
    .sort()
    .map((file) => ({ path: join(photoRoot, name, file), name })),
);
const nameOf = new Map(photos.map((p) => [p.path, p.name]));

/** Runs the CLI under /usr/bin/time -v: wall seconds, peak RSS (MiB), stdout, stderr; what else ran meanwhile. */
function timedCli(args, main = cli) {
  const command = ['/usr/bin/time', '-v', process.execPath, main, ...args];
  const [file, ...rest] = values.nice ? ['nice', '-n', '19', ...command] : command;
  const load = loadavg()[0];
  const foreign = startForeignCpuMeter();
  const run = spawnSync(file, rest, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
  // Exit 1 is some photos failed (reported on stderr): the run is still measured.
  if (run.status !== 0 && run.status !== 1) throw new Error(`${args[0]} failed (${run.status}): ${run.stderr}`);
  const { stdout, stderr } = run;
  const wall = /Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
  return {
    seconds: Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]),
    cpuSeconds: Number(/User time \(seconds\): ([\d.]+)/.exec(stderr)[1]) + Number(/System time \(seconds\): ([\d.]+)/.exec(stderr)[1]),
    peakMiB: Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)[1]) / 1024,
    stdout,
    stderr,
    load: `load ${load.toFixed(2)}, others ${(100 * (foreign()?.fractionOfMachine ?? Number.NaN)).toFixed(0)}%`,
  };
}

/** The library's faces in path order (people's and cluster's order): photo, name, rect, person, descriptor. */
async function libraryFaces(library) {
  const store = await openLibrary(library);
  try {
    const rows = await store.query(
      `SELECT p.path, f.face_index, f.rect_left, f.rect_top, f.rect_right, f.rect_bottom, f.person_id, f.descriptor
       FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.status = 'done' ORDER BY p.path COLLATE "C", f.face_index`,
    );
    const [{ done, failed }] = await store.query(
      `SELECT count(*) FILTER (WHERE status = 'done')::int AS done, count(*) FILTER (WHERE status = 'failed')::int AS failed FROM photos`,
    );
    return { faces: rows.map((r) => ({ ...r, descriptor: descriptorFromBytes(r.descriptor) })), done, failed };
  } finally {
    await store.close();
  }
}

const pairs = (n) => (n * (n - 1)) / 2;

/** Pairwise precision and recall of `labels` against `names` (same cluster vs same name). */
function pairwise(labels, names) {
  const count = (keys) => {
    const sizes = new Map();
    for (const key of keys) sizes.set(key, (sizes.get(key) ?? 0) + 1);
    return [...sizes.values()].reduce((sum, n) => sum + pairs(n), 0);
  };
  const together = count(labels);
  const sameName = count(names);
  const both = count(labels.map((label, i) => `${label}\u0000${names[i]}`));
  return { precision: both / together, recall: both / sameName, together, sameName, both };
}

/** The face LFW means in each photo: the one nearest the image centre (250x250). */
function protocolFaces(faces, onlySingle) {
  const byPhoto = new Map();
  faces.forEach((face, i) => byPhoto.set(face.path, [...(byPhoto.get(face.path) ?? []), i]));
  const centre = (f) => Math.hypot((f.rect_left + f.rect_right) / 2 - 124.5, (f.rect_top + f.rect_bottom) / 2 - 124.5);
  return [...byPhoto.values()]
    .filter((indices) => !onlySingle || indices.length === 1)
    .map((indices) => indices.reduce((best, i) => (centre(faces[i]) < centre(faces[best]) ? i : best)));
}

/**
 * People and cluster's all-pairs run against LFW's names at each threshold:
 * `people --recluster --threshold t` on the library (then again at 0.6, as
 * `people` leaves it by default), chinese whispers on every pair in this process.
 */
async function evaluate(library, thresholds) {
  const rows = [];
  const notes = [];
  for (const threshold of thresholds) {
    const reclustered = timedCli(['people', '--db', library, '--recluster', '--threshold', String(threshold)]);
    const { faces, done, failed } = await libraryFaces(library);
    const started = performance.now();
    const { labels: allPairs } = chineseWhispers({ descriptors: faces.map((f) => f.descriptor) }, { threshold });
    const allPairsSeconds = (performance.now() - started) / 1000;
    const peopleLabels = faces.map((f) => f.person_id);
    // Whether the two clusterings are one partition: every pair together in one is together in the other.
    const agreement = pairwise(peopleLabels, allPairs);
    if (notes.length === 0) {
      const photosWithFaces = new Set(faces.map((f) => f.path)).size;
      notes.push(
        `${done} photos indexed (${failed} failed), ${faces.length} faces; ${done - photosWithFaces} photos with no face found are left out.`,
      );
    }
    notes.push(
      `threshold ${threshold}: people --recluster ${reclustered.seconds.toFixed(1)} s (${/\d+ people/.exec(reclustered.stderr)?.[0]}), ` +
        `all-pairs chinese whispers ${allPairsSeconds.toFixed(1)} s (${new Set(allPairs).size} clusters); ` +
        (agreement.precision === 1 && agreement.recall === 1
          ? 'the same partition'
          : `they differ: ${agreement.together - agreement.both} pairs together only in people, ${agreement.sameName - agreement.both} only in cluster`),
    );
    for (const [rule, chosen] of [
      ['nearest the centre', protocolFaces(faces, false)],
      ['single-face photos', protocolFaces(faces, true)],
    ]) {
      const names = chosen.map((i) => nameOf.get(faces[i].path));
      for (const [method, labels] of [
        ['people (kNN graph)', peopleLabels],
        ['cluster (all pairs)', allPairs],
      ]) {
        const score = pairwise(
          chosen.map((i) => labels[i]),
          names,
        );
        rows.push([
          threshold,
          rule,
          method,
          chosen.length,
          new Set(chosen.map((i) => labels[i])).size,
          fixed(100 * score.precision, 2),
          fixed(100 * score.recall, 2),
          score.together,
          score.sameName,
        ]);
      }
    }
  }
  if (thresholds.at(-1) !== 0.6) timedCli(['people', '--db', library, '--recluster']);
  console.log(`\n${notes.join('\n')}`);
  console.log(
    formatTable(
      `Pairwise precision and recall against LFW's ${people.length} names (pairs of faces in one cluster vs of one name)`,
      ['threshold', 'faces', 'clustering', 'faces', 'clusters', 'precision %', 'recall %', 'pairs together', 'pairs same name'],
      rows,
    ),
  );
}

/** Copies the indexed library, without its lock. */
function copyLibrary(source, into) {
  rmSync(into, { recursive: true, force: true });
  cpSync(source, into, { recursive: true, filter: (path) => !path.endsWith('/lock') });
}

/** A copy of the indexed library holding only `keep` of its photos, clustered as if indexed alone. */
async function libraryOf(source, keep, into) {
  copyLibrary(source, into);
  const store = await openLibrary(into);
  try {
    await store.query('DELETE FROM photos WHERE NOT (path = ANY($1::text[]))', [keep]);
    await store.query('VACUUM FULL ANALYZE');
  } finally {
    await store.close();
  }
  timedCli(['people', '--db', into, '--recluster']);
}

/**
 * A copy of the indexed library without `leave` and grown to `size` photos
 * by synthetic ones: each a face of an indexed photo, its descriptor moved
 * ~0.1 (another photo of that person, as far as clustering can tell), in its
 * person. What a big library costs `people` and `index` without indexing it.
 */
async function grownLibrary(source, leave, size, into) {
  copyLibrary(source, into);
  const store = await openLibrary(into);
  try {
    await store.query('DELETE FROM photos WHERE path = ANY($1::text[])', [leave]);
    const faces = await store.query('SELECT person_id, descriptor FROM faces');
    const [{ photos: have }] = await store.query('SELECT count(*)::int AS photos FROM photos');
    const rand = new DlibRand('grown');
    const BATCH = 5000;
    for (let start = have; start < size; start += BATCH) {
      const count = Math.min(BATCH, size - start);
      const copies = Array.from({ length: count }, () => faces[rand.nextUint32() % faces.length]);
      const descriptors = copies.map((face) => {
        const moved = descriptorFromBytes(face.descriptor).map((x) => x + 0.009 * rand.nextGaussian());
        return new Uint8Array(moved.buffer);
      });
      await store.transaction(async (sql) => {
        const ids = await sql.query(
          `INSERT INTO photos (path, content_hash, size, status) SELECT '/synthetic/' || g, 'synthetic', 0, 'done'
           FROM generate_series($1::int, $2::int) AS g RETURNING id`,
          [start, start + count - 1],
        );
        await sql.query(
          `INSERT INTO faces (photo_id, face_index, rect_left, rect_top, rect_right, rect_bottom, confidence, landmarks, descriptor, person_id)
           SELECT photo, 0, 70, 70, 180, 180, 1, '{}', descriptor, person FROM unnest($1::int[], $2::bytea[], $3::int[]) AS v(photo, descriptor, person)`,
          [ids.map((row) => row.id), descriptors, copies.map((face) => face.person_id)],
        );
      });
    }
    await store.query('VACUUM ANALYZE');
  } finally {
    await store.close();
  }
}

/** `count` photos spread over the names by a fixed shuffle. */
function shuffled(list) {
  const rand = new DlibRand();
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rand.nextUint32() % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * 100 photos indexed (then `people`) into a library of each size and into an
 * empty one (made beforehand), by this build and (with --before) another; each library made
 * once and copied for each run. Best of `repeats` by wall time; the CPU time
 * (user + system) too, which other processes on the machine disturb less.
 */
async function measureAdding(source, sizes, repeats, builds) {
  const order = shuffled(photos.map((p) => p.path));
  const added = order.slice(0, 100);
  const rest = order.slice(100);
  const rows = [];
  // The empty library exists already, as the others do: making one (PGlite's initdb) is not adding photos.
  const emptyLibrary = join(work, 'library-of-0');
  await libraryOf(source, [], emptyLibrary);
  for (const size of sizes) {
    const count = size === 'all' ? rest.length : Number(size);
    const prepared = join(work, `library-of-${count}`);
    if (count > rest.length) await grownLibrary(source, added, count, prepared);
    else await libraryOf(source, rest.slice(0, count), prepared);
    const folder = join(work, 'add-to');
    for (const [build, main] of builds) {
      const runs = { library: [], empty: [] };
      for (let r = 0; r < repeats; r++) {
        for (const kind of r % 2 === 0 ? ['library', 'empty'] : ['empty', 'library']) {
          copyLibrary(kind === 'library' ? prepared : emptyLibrary, folder);
          const index = timedCli(['index', ...added, '--db', folder, '--quiet'], main);
          const people = timedCli(['people', '--db', folder], main);
          runs[kind].push({ index, people, total: index.seconds + people.seconds, note: /dlib-wasm: .*/.exec(people.stderr)?.[0] });
        }
      }
      const best = (list) => list.reduce((a, b) => (b.total < a.total ? b : a));
      const [inLibrary, inEmpty] = [best(runs.library), best(runs.empty)];
      const cpu = (run) => run.index.cpuSeconds + run.people.cpuSeconds;
      rows.push([
        count > rest.length ? `${count} (${count - rest.length} synthetic)` : count,
        build,
        `${fixed(inLibrary.index.seconds, 2)} / ${fixed(inEmpty.index.seconds, 2)}`,
        `${fixed(inLibrary.people.seconds, 2)} / ${fixed(inEmpty.people.seconds, 2)}`,
        fixed(inLibrary.total - inEmpty.total, 2),
        fixed(cpu(inLibrary) - cpu(inEmpty), 2),
        fixed(inLibrary.people.peakMiB, 0),
        inLibrary.index.load,
      ]);
      console.error(`${count}, ${build}: ${inLibrary.note}`);
    }
  }
  console.log(
    formatTable(
      `\nAdding 100 photos: index + people into a library of N photos / into an empty one (s, best of ${repeats})`,
      ['N', 'build', 'index', 'people', 'fixed cost (wall)', 'fixed cost (CPU)', 'people RSS MiB', 'while'],
      rows,
    ),
  );
}

console.log(`# node bench/library-lfw.mjs ${process.argv.slice(2).join(' ')}`);
console.log(JSON.stringify({ date: new Date().toISOString(), ...describeSourceRevision(), machine: describeMachine() }));
let source = values.library;
if (source === undefined) {
  source = join(work, 'lfw');
  const index = timedCli(['index', ...folders, '--db', source, '--quiet']);
  const clustered = timedCli(['people', '--db', source]);
  console.log(
    formatTable(
      `LFW in one run: ${photos.length} photos of ${people.length} names`,
      ['step', 'wall s', 'peak RSS MiB', 'while', 'output'],
      [
        ['index', fixed(index.seconds, 1), fixed(index.peakMiB, 0), index.load, index.stdout.trim()],
        ['people', fixed(clustered.seconds, 1), fixed(clustered.peakMiB, 0), clustered.load, /dlib-wasm: .*/.exec(clustered.stderr)?.[0]],
      ],
    ),
  );
}
const thresholds = values.thresholds
  .split(',')
  .filter((t) => t !== '')
  .map(Number);
if (thresholds.length > 0) await evaluate(source, thresholds);
const sizes = values.sizes.split(',').filter((size) => size !== '');
const builds = [['this', cli], ...(values.before ? [['before', values.before]] : [])];
if (sizes.length > 0) await measureAdding(source, sizes, Number(values.repeats), builds);
if (values.work === undefined) rmSync(work, { recursive: true, force: true });
