import { SAME_PERSON_THRESHOLD } from '../face/descriptor-distance.js';
import { parseArgs, UsageError } from './args.js';
import { dbOption, withLibrary } from './library/library-store.js';
import { LIBRARY_REPORT_ENTRIES, writeLibraryReport } from './library/library-report.js';
import { mergeSuggestions } from './library/merge-suggestions.js';
import { loadFaces } from './library/people-clustering.js';
import { distanceOption } from './people-command.js';
import { StagedFolder } from './staged-folder.js';
import { join } from 'node:path';

/** How much farther than the threshold two people's nearest faces may be for a merge suggestion, by default. */
const DEFAULT_MERGE_MARGIN = 0.1;

/** Why the existing folder `--out` names is not an earlier library report that may be replaced, if it is not. */
function refuseUnlessReport(entries: string[]): string | undefined {
  if (entries.length === 0) return undefined;
  const foreign = entries.filter((e) => !LIBRARY_REPORT_ENTRIES.has(e)).sort();
  if (foreign.length > 0) return `holds files that are not part of a library report (${foreign.slice(0, 3).join(', ')})`;
  if (!entries.includes('index.html')) return 'has no index.html, so it is not an earlier library report';
  return undefined;
}

/**
 * `report --db LIBRARY --out DIR [--threshold 0.6] [--margin 0.1]`: writes DIR/index.html, a row
 * of chips per person, and the merge suggestions (people whose nearest faces are closer than
 * the threshold plus the margin). DIR is written beside it and replaces it once complete.
 */
export async function reportCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['--db', '--out', '--threshold', '--margin'], []);
  const db = dbOption(parsed.options);
  const out = parsed.options.get('--out');
  if (typeof out !== 'string') throw new UsageError('--out DIR is required');
  if (parsed.positional.length > 0) throw new UsageError(`report takes no photos, got ${parsed.positional[0]}`);
  const limit =
    distanceOption(parsed.options, '--threshold', SAME_PERSON_THRESHOLD) + distanceOption(parsed.options, '--margin', DEFAULT_MERGE_MARGIN);
  return withLibrary(db, async (store) => {
    const staged = await StagedFolder.create(out, refuseUnlessReport);
    try {
      const { people, faces } = await store.transaction(async (sql) =>
        writeLibraryReport(sql, staged.path, store.location, await mergeSuggestions(await loadFaces(sql), limit)),
      );
      staged.commit();
      process.stdout.write(`${people} people, ${faces} faces. Wrote ${join(out, 'index.html')}\n`);
      return 0;
    } finally {
      staged.discard();
    }
  });
}
