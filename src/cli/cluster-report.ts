import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PNG } from 'pngjs';
import type { RgbImage } from '../image.js';
import { encodePng } from './encode-png.js';

/**
 * One face found in a photo: where, the PNG file of its aligned chip (written
 * when the face was found, so that no chip waits in memory) and its descriptor.
 */
export interface ClusteredFace {
  photo: string;
  rect: { left: number; top: number; right: number; bottom: number };
  chipFile: string;
  descriptor: Float32Array;
  cluster: number;
}

/** Chips in the contact sheet, and the gap around each. */
const THUMB = 150;
const GAP = 6;
/** The sheet shows each person's first chips and the largest clusters only, so that its size stays bounded. */
export const SHEET_CHIPS_PER_PERSON = 12;
export const SHEET_PEOPLE = 40;

/** Clusters as lists of faces, the largest first (ties: by first appearance). */
export function groupByCluster(faces: ClusteredFace[]): ClusteredFace[][] {
  const groups = new Map<number, ClusteredFace[]>();
  for (const face of faces) {
    const group = groups.get(face.cluster);
    if (group) group.push(face);
    else groups.set(face.cluster, [face]);
  }
  return [...groups.values()].sort((a, b) => b.length - a.length);
}

/** Decodes a chip PNG to RGBA. */
async function readChip(file: string): Promise<RgbImage> {
  const png = PNG.sync.read(await readFile(file));
  return { width: png.width, height: png.height, data: png.data };
}

/** One row of chips per person, largest clusters first, on a light grey background. */
export async function contactSheet(clusters: ClusteredFace[][]): Promise<RgbImage> {
  const rows = clusters.slice(0, SHEET_PEOPLE).map((faces) => faces.slice(0, SHEET_CHIPS_PER_PERSON));
  const columns = rows.reduce((most, row) => Math.max(most, row.length), 1);
  const width = columns * (THUMB + GAP) + GAP;
  const height = Math.max(1, rows.length) * (THUMB + GAP) + GAP;
  const data = new Uint8Array(width * height * 3).fill(235);
  for (const [r, row] of rows.entries()) {
    for (const [c, face] of row.entries()) {
      const chip = await readChip(face.chipFile);
      const stride = chip.data.length / (chip.width * chip.height);
      const x0 = GAP + c * (THUMB + GAP);
      const y0 = GAP + r * (THUMB + GAP);
      for (let y = 0; y < THUMB; y++) {
        for (let x = 0; x < THUMB; x++) {
          // Nearest neighbour: chips are 150x150 already; others are scaled to fit.
          const sx = Math.min(chip.width - 1, Math.floor((x * chip.width) / THUMB));
          const sy = Math.min(chip.height - 1, Math.floor((y * chip.height) / THUMB));
          const src = (sy * chip.width + sx) * stride;
          data.set(chip.data.subarray(src, src + 3), ((y0 + y) * width + x0 + x) * 3);
        }
      }
    }
  }
  return { width, height, data };
}

/** `1 person`, `2 people`. */
export const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Writes `dir/clusters.json`, moves each face's chip to `dir/chips/<cluster>/`,
 * and writes `dir/contact-sheet.png` (a row per person) and `dir/index.html`.
 */
export async function writeClusterReport(dir: string, faces: ClusteredFace[]): Promise<{ clusters: ClusteredFace[][] }> {
  const clusters = groupByCluster(faces);
  const json = {
    clusters: [] as { id: number; faces: { photo: string; rect: ClusteredFace['rect']; chip: string; descriptor: number[] }[] }[],
  };
  for (const [id, members] of clusters.entries()) {
    await mkdir(join(dir, 'chips', String(id)), { recursive: true });
    const entries = [];
    for (const [n, face] of members.entries()) {
      const chip = join('chips', String(id), `${n}.png`);
      await rename(face.chipFile, join(dir, chip));
      face.chipFile = join(dir, chip);
      entries.push({ photo: face.photo, rect: face.rect, chip: relative(dir, face.chipFile), descriptor: Array.from(face.descriptor) });
    }
    json.clusters.push({ id, faces: entries });
  }
  await writeFile(join(dir, 'clusters.json'), `${JSON.stringify(json, null, 1)}\n`);
  await writeFile(join(dir, 'contact-sheet.png'), encodePng(await contactSheet(clusters)));
  const people = json.clusters
    .map(
      (c) => `<section><h2>Person ${c.id + 1}: ${count(c.faces.length, 'face', 'faces')}</h2>
${c.faces.map((f) => `<figure><img src="${escapeHtml(f.chip)}" width="150" height="150" alt=""><figcaption>${escapeHtml(f.photo)}</figcaption></figure>`).join('\n')}
</section>`,
    )
    .join('\n');
  await writeFile(
    join(dir, 'index.html'),
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dlib-wasm: ${count(clusters.length, 'person', 'people')}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}section{margin-bottom:1.5em}figure{display:inline-block;margin:0 6px 6px 0}figcaption{font-size:11px;color:#555;max-width:150px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}</style>
</head><body><h1>${count(faces.length, 'face', 'faces')}, ${count(clusters.length, 'person', 'people')}</h1>
<p><img src="contact-sheet.png" alt="One row of face chips per person"></p>
${clusters.length > SHEET_PEOPLE || clusters.some((c) => c.length > SHEET_CHIPS_PER_PERSON) ? `<p>The sheet shows the ${Math.min(SHEET_PEOPLE, clusters.length)} largest clusters, up to ${SHEET_CHIPS_PER_PERSON} faces each; every face is below.</p>` : ''}
${people}
</body></html>
`,
  );
  return { clusters };
}
