import { describe, expect, it } from 'vitest';
import { packageFigures, readmeFigures } from '../scripts/package-figures.mjs';

/** The numbers in a figure's text, e.g. [17.4, 6.6] in "17.4 KB, 6.6 KB gzipped". */
const numbers = (text: string) => [...text.matchAll(/\d+(\.\d+)?/g)].map(([n]) => Number(n));

describe("the README's figures", () => {
  it('are those of this build, within 5% (npm run docs:figures rewrites them)', async () => {
    const measured: Record<string, string> = await packageFigures();
    const written: Record<string, string> = readmeFigures();
    expect(Object.keys(written).sort()).toEqual(Object.keys(measured).sort());
    for (const [name, text] of Object.entries(measured)) {
      const [now, stated] = [numbers(text), numbers(written[name])];
      expect(stated.length, `${name}: README says "${written[name]}", the build gives "${text}"`).toBe(now.length);
      stated.forEach((value, i) => {
        expect(
          Math.abs(value - now[i]) / now[i],
          `${name}: README says "${written[name]}", the build gives "${text}": run npm run docs:figures`,
        ).toBeLessThan(0.05);
      });
    }
  }, 120_000);
});
