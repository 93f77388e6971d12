import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { count, escapeHtml } from '../cluster-report.js';
import type { LibrarySql } from './library-store.js';
import type { MergeSuggestion } from './merge-suggestions.js';

/** What a library report folder holds: a folder of only these is an earlier report that a rerun replaces. */
export const LIBRARY_REPORT_ENTRIES = new Set(['chips', 'index.html']);

/** Chips shown per person: the rest are counted. */
const CHIPS_PER_PERSON = 60;

interface PersonRow {
  id: number;
  name: string | null;
  faces: number;
}

interface FaceRow {
  id: number;
  path: string;
  rect_left: number;
  rect_top: number;
  rect_right: number;
  rect_bottom: number;
  chip: Uint8Array | null;
}

const personTitle = (person: { id: number; name: string | null }) =>
  person.name === null ? `Person ${person.id}` : `${person.name} (person ${person.id})`;

/**
 * Writes `dir/index.html` (a row of chips per person, largest first, with
 * their ids and names, and the merge suggestions) and `dir/chips/<person>/<face>.png`
 * (the chips the index kept: `index --chips`).
 */
export async function writeLibraryReport(
  sql: LibrarySql,
  dir: string,
  db: string,
  suggestions: MergeSuggestion[],
): Promise<{ people: number; faces: number }> {
  const people = await sql.query<PersonRow>(
    `SELECT p.id, p.name, count(f.id)::int AS faces FROM people p JOIN faces f ON f.person_id = p.id
     GROUP BY p.id, p.name ORDER BY faces DESC, p.id`,
  );
  const [{ unclustered }] = await sql.query<{ unclustered: number }>(
    'SELECT count(*)::int AS unclustered FROM faces WHERE person_id IS NULL',
  );
  const byId = new Map(people.map((person) => [person.id, person]));
  const sections: string[] = [];
  let faceCount = 0;
  let chipless = 0;
  for (const person of people) {
    faceCount += person.faces;
    const faces = await sql.query<FaceRow>(
      `SELECT f.id, p.path, f.rect_left, f.rect_top, f.rect_right, f.rect_bottom, f.chip
       FROM faces f JOIN photos p ON p.id = f.photo_id WHERE f.person_id = $1 ORDER BY p.path COLLATE "C", f.face_index LIMIT $2`,
      [person.id, CHIPS_PER_PERSON],
    );
    const figures: string[] = [];
    for (const face of faces) {
      const where = `${face.path} (${face.rect_left}, ${face.rect_top}, ${face.rect_right}, ${face.rect_bottom})`;
      if (face.chip === null) {
        chipless++;
        figures.push(`<figure class="nochip" title="${escapeHtml(where)}"><div>${escapeHtml(basename(face.path))}</div></figure>`);
        continue;
      }
      const chip = join('chips', String(person.id), `${face.id}.png`);
      await mkdir(join(dir, 'chips', String(person.id)), { recursive: true });
      await writeFile(join(dir, chip), face.chip);
      figures.push(
        `<figure><img src="${escapeHtml(chip)}" width="150" height="150" alt="" title="${escapeHtml(where)}"><figcaption>${escapeHtml(basename(face.path))}</figcaption></figure>`,
      );
    }
    const more = person.faces > faces.length ? `<p>and ${person.faces - faces.length} more</p>` : '';
    sections.push(`<section id="person-${person.id}"><h2>${escapeHtml(personTitle(person))}: ${count(person.faces, 'face', 'faces')}</h2>
<div class="row">${figures.join('')}</div>${more}</section>`);
  }
  /** A face's chip as a small image (written if the person's row did not), or nothing without a chip. */
  const thumbnail = async (faceId: number, personId: number) => {
    const [face] = await sql.query<{ chip: Uint8Array | null }>('SELECT chip FROM faces WHERE id = $1', [faceId]);
    if (!face?.chip) return '';
    const chip = join('chips', String(personId), `${faceId}.png`);
    await mkdir(join(dir, 'chips', String(personId)), { recursive: true });
    await writeFile(join(dir, chip), face.chip);
    return `<img src="${escapeHtml(chip)}" width="48" height="48" alt="">`;
  };
  const merges: string[] = [];
  for (const {
    people: [a, b],
    faces: [faceA, faceB],
    distance,
  } of suggestions) {
    const [first, second] = [byId.get(a), byId.get(b)];
    if (!first || !second) continue;
    merges.push(
      `<li>${await thumbnail(faceA, a)}${await thumbnail(faceB, b)} <a href="#person-${a}">${escapeHtml(personTitle(first))}</a> and <a href="#person-${b}">${escapeHtml(personTitle(second))}</a>: nearest faces ${distance.toFixed(3)} apart</li>`,
    );
  }
  await writeFile(
    join(dir, 'index.html'),
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dlib-wasm library: ${count(people.length, 'person', 'people')}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}section{margin-bottom:1.5em}.row{display:flex;flex-wrap:wrap;gap:6px}figure{margin:0}figcaption{font-size:11px;color:#555;max-width:150px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.nochip div{width:150px;height:150px;background:#ddd;font-size:11px;overflow:hidden;display:flex;align-items:center;justify-content:center}code{background:#eee;padding:0 .3em}.merges li{list-style:none;margin:4px 0}.merges img{vertical-align:middle;margin-right:2px}</style>
</head><body><h1>${count(people.length, 'person', 'people')}, ${count(faceCount, 'face', 'faces')}</h1>
<p>Name a person with <code>dlib-wasm name --db ${escapeHtml(db)} PERSON_ID NAME</code>.${unclustered > 0 ? ` ${count(unclustered, 'face is', 'faces are')} not in a person yet: run <code>dlib-wasm people</code>.` : ''}${chipless > 0 ? ' Faces indexed without <code>--chips</code> show their photo only.' : ''}</p>
<h2>Merge suggestions</h2>
${merges.length > 0 ? `<ul class="merges">\n${merges.join('\n')}\n</ul>` : '<p>None: no two people have faces this close.</p>'}
${sections.join('\n')}
</body></html>
`,
  );
  return { people: people.length, faces: faceCount };
}
