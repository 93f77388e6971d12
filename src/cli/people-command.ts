import { SAME_PERSON_THRESHOLD } from '../face/descriptor-distance.js';
import { InputError } from '../errors.js';
import { availableParallelism } from 'node:os';
import { integerOption, MAX_THREADS, parseArgs, threadsOption, UsageError } from './args.js';
import { dbOption, withLibrary } from './library/library-store.js';
import { clusterPeople } from './library/people-clustering.js';

/** A positive finite distance option, or its default. */
export function distanceOption(options: Map<string, string | true>, name: string, fallback: number): number {
  if (!options.has(name)) return fallback;
  const value = Number(options.get(name));
  if (!(value > 0) || !Number.isFinite(value)) throw new UsageError(`${name} must be a positive number, got ${String(options.get(name))}`);
  return value;
}

/**
 * `people --db LIBRARY [--threshold 0.6] [--neighbours 128, or 32 by cells] [--same-photo-different-people] [--recluster] [--threads N] [--exact]`:
 * groups the indexed faces into people (the nearest-neighbour search on N threads, default the cores; by cells past
 * EXACT_SEARCH_MOST faces unless --exact), and prints them: `id<TAB>faces<TAB>name` a person, largest first.
 */
export async function peopleCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(
    args,
    ['--db', '--threshold', '--neighbours', '--threads'],
    ['--same-photo-different-people', '--recluster', '--exact'],
  );
  const db = dbOption(parsed.options);
  if (parsed.positional.length > 0) throw new UsageError(`people takes no photos (index them first), got ${parsed.positional[0]}`);
  const options = {
    threshold: distanceOption(parsed.options, '--threshold', SAME_PERSON_THRESHOLD),
    neighbours: integerOption(parsed, '--neighbours', undefined),
    samePhotoDifferentPeople: parsed.options.has('--same-photo-different-people'),
    recluster: parsed.options.has('--recluster'),
    threads: threadsOption(parsed) ?? Math.min(availableParallelism(), MAX_THREADS),
    exact: parsed.options.has('--exact'),
  };
  return withLibrary(db, async (store) => {
    const run = await store.transaction((sql) => clusterPeople(sql, options));
    const people = await store.query<{ id: number; name: string | null; faces: number }>(
      `SELECT p.id, p.name, count(f.id)::int AS faces FROM people p JOIN faces f ON f.person_id = p.id
       GROUP BY p.id, p.name ORDER BY faces DESC, p.id`,
    );
    process.stderr.write(
      `dlib-wasm: ${run.faces} faces, ${people.length} people: ` +
        (run.reclustered
          ? `every face clustered, ${run.newPeople} new people\n`
          : `${run.joined} new faces joined people, ${run.newPeople} new people\n`),
    );
    for (const person of people) process.stdout.write(`${person.id}\t${person.faces}\t${person.name ?? ''}\n`);
    return 0;
  });
}

/** `name --db LIBRARY PERSON_ID NAME`: names a person (an empty NAME removes the name). */
export async function nameCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['--db'], []);
  const db = dbOption(parsed.options);
  const [id, name, ...rest] = parsed.positional;
  if (id === undefined || name === undefined || rest.length > 0) throw new UsageError('name takes PERSON_ID NAME');
  if (!/^[1-9]\d{0,8}$/.test(id)) throw new UsageError(`PERSON_ID must be a person's id (a positive integer), got ${id}`);
  return withLibrary(db, async (store) => {
    const named = await store.query('UPDATE people SET name = $2 WHERE id = $1 RETURNING id', [Number(id), name === '' ? null : name]);
    if (named.length === 0) throw new InputError(`the library has no person ${id}: \`dlib-wasm people --db ${store.location}\` lists them`);
    return 0;
  });
}
