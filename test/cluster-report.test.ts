import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { groupByCluster, writeClusterReport } from '../src/cli/cluster-report.js';
import { encodePng } from '../src/cli/encode-png.js';
import { chineseWhispers } from '../src/index.js';
import { fixtureJson, fixturePng } from './support/helpers.js';

describe('cluster report', () => {
  it("writes bald_guys' 24 faces as 4 people of 6: JSON, chips, contact sheet and page", async () => {
    const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
    const bald = items.filter((it) => it.chip.includes('bald_guys'));
    const { labels } = chineseWhispers({ descriptors: bald.map((it) => it.descriptor) });
    const dir = mkdtempSync(join(tmpdir(), 'dlib-wasm-report-'));
    const faces = bald.map((it, i) => {
      // The cluster command writes each chip as it is cut; the report moves them.
      const chipFile = join(dir, `found-${i}.png`);
      writeFileSync(chipFile, encodePng(fixturePng(it.chip)));
      return {
        photo: 'bald_guys.jpg',
        rect: { left: i, top: 0, right: i + 10, bottom: 10 },
        chipFile,
        descriptor: Float32Array.from(it.descriptor),
        cluster: labels[i],
      };
    });
    await writeClusterReport(dir, faces);

    const json = JSON.parse(readFileSync(join(dir, 'clusters.json'), 'utf8'));
    expect(json.clusters.map((c: any) => c.faces.length)).toEqual([6, 6, 6, 6]);
    expect(json.clusters.map((c: any) => c.id)).toEqual([0, 1, 2, 3]);
    const face = json.clusters[0].faces[0];
    expect(face).toMatchObject({ photo: 'bald_guys.jpg', chip: 'chips/0/0.png' });
    expect(face.descriptor).toHaveLength(128);
    expect(existsSync(join(dir, 'chips/3/5.png'))).toBe(true);
    expect(existsSync(join(dir, 'found-0.png'))).toBe(false);
    const sheet = PNG.sync.read(readFileSync(join(dir, 'contact-sheet.png')));
    expect([sheet.width, sheet.height]).toEqual([6 * 156 + 6, 4 * 156 + 6]);
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('24 faces, 4 people');
  });

  it('groups 200,000 faces of one person in one pass (no copy of the group per face)', () => {
    const face = { photo: 'p.jpg', rect: { left: 0, top: 0, right: 1, bottom: 1 }, chipFile: 'c.png', descriptor: new Float32Array(128) };
    const faces = Array.from({ length: 200_000 }, (_, i) => ({ ...face, cluster: i === 0 ? 1 : 0 }));
    const groups = groupByCluster(faces);
    expect(groups.map((g) => g.length)).toEqual([199_999, 1]);
    expect(groups[1][0]).toBe(faces[0]);
  });
});
