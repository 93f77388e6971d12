import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descriptorDistance, DisposedError, FaceMatcher, InputError, UNKNOWN_PERSON } from '../src/index.js';
import { fixtureJson } from './support/helpers.js';

// FaceMatcher against descriptorDistance on dlib's descriptors of the reference chips: the
// person of chips/johns/<person>/... is <person>; each chips/faces/<photo>_fNN chip is a face of its own.

const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
const person = (chip: string) => (chip.startsWith('chips/johns/') ? chip.split('/')[2] : chip.replace(/^.*\/|\.png$/g, ''));
const faces = items.map(({ chip, descriptor }) => ({ name: person(chip), descriptor }));
// Every other face known: some people have known descriptors, and some faces are of no one known.
const known = faces.filter((_, i) => i % 2 === 0);

/** The match by a plain loop over descriptorDistance: the nearest, the first of equals, within tolerance. */
function expectedMatch(knownFaces: typeof faces, descriptor: number[], tolerance: number) {
  let best = { name: UNKNOWN_PERSON, distance: Infinity };
  for (const k of knownFaces) {
    const distance = descriptorDistance(descriptor, k.descriptor);
    if (distance < best.distance) best = { name: k.name, distance };
  }
  return { name: best.distance <= tolerance ? best.name : UNKNOWN_PERSON, distance: best.distance };
}

describe('FaceMatcher', () => {
  let matcher: FaceMatcher;
  beforeAll(async () => {
    matcher = await FaceMatcher.create();
    for (const { name, descriptor } of known) matcher.add(name, Float32Array.from(descriptor));
  });
  afterAll(() => matcher.dispose());

  it('has more descriptors than its first room (64): it grew', () => {
    expect(matcher.size).toBe(known.length);
    expect(known.length).toBeGreaterThan(64);
  });

  it("finds each fixture face's nearest known face, with descriptorDistance's float32 distance bit for bit", () => {
    let matched = 0;
    let unknown = 0;
    for (const { descriptor } of faces) {
      const expected = expectedMatch(known, descriptor, 0.6);
      expect(matcher.findBestMatch(descriptor)).toEqual(expected);
      if (expected.name === UNKNOWN_PERSON) unknown++;
      else matched++;
    }
    // Both outcomes occur: known faces (and their people's other photos) match, strangers do not.
    expect(matched).toBeGreaterThan(known.length);
    expect(unknown).toBeGreaterThan(10);
  });

  it('is tested where it matters: over these pairs, float64 distances rounded to float32 often differ from float32 sums', () => {
    let differ = 0;
    for (const a of faces) {
      for (const b of known) {
        const float64 = Math.sqrt(a.descriptor.reduce((s, v, k) => s + (Math.fround(v) - Math.fround(b.descriptor[k])) ** 2, 0));
        if (Math.fround(float64) !== descriptorDistance(a.descriptor, b.descriptor)) differ++;
      }
    }
    expect(differ).toBeGreaterThan(100);
  });

  it('matches a face exactly at the tolerance (distance <= tolerance), not one just past it', () => {
    const query = faces[1].descriptor;
    const { name, distance } = expectedMatch(known, query, Infinity);
    expect(matcher.findBestMatch(query, distance)).toEqual({ name, distance });
    const below = distance - distance * 2 ** -40;
    expect(matcher.findBestMatch(query, below)).toEqual({ name: UNKNOWN_PERSON, distance });
  });

  it('findBestMatches is findBestMatch for each', () => {
    const queries = faces.slice(0, 20).map((f) => f.descriptor);
    expect(matcher.findBestMatches(queries, 0.5)).toEqual(queries.map((q) => expectedMatch(known, q, 0.5)));
    expect(matcher.findBestMatches([])).toEqual([]);
  });

  it('round-trips through JSON exactly: same names, descriptors and matches', async () => {
    const json = matcher.toJSON();
    expect(json.version).toBe(1);
    expect(json.names).toEqual(known.map((k) => k.name));
    expect(json.descriptors).toEqual(known.map((k) => Array.from(Float32Array.from(k.descriptor))));
    const copy = await FaceMatcher.fromJSON(JSON.parse(JSON.stringify(matcher)));
    try {
      expect(copy.toJSON()).toEqual(json);
      for (const { descriptor } of faces.slice(0, 30)) expect(copy.findBestMatch(descriptor)).toEqual(matcher.findBestMatch(descriptor));
    } finally {
      copy.dispose();
    }
  });
});

describe('FaceMatcher edge cases', () => {
  const d = faces[0].descriptor;

  it('knows no one when empty: unknown_person at distance Infinity', async () => {
    const empty = await FaceMatcher.create();
    expect(empty.findBestMatch(d)).toEqual({ name: UNKNOWN_PERSON, distance: Infinity });
    expect(empty.toJSON()).toEqual({ version: 1, names: [], descriptors: [] });
    empty.dispose();
  });

  it('gives equally near descriptors to the first added', async () => {
    const m = await FaceMatcher.create();
    m.add('first', d);
    m.add('second', d);
    expect(m.findBestMatch(d)).toEqual({ name: 'first', distance: 0 });
    m.dispose();
  });

  it('throws DisposedError after dispose', async () => {
    const m = await FaceMatcher.create();
    m.dispose();
    expect(() => m.findBestMatch(d)).toThrow(DisposedError);
    expect(() => m.add('a', d)).toThrow(DisposedError);
    expect(() => m.toJSON()).toThrow(DisposedError);
  });

  const nan = d.slice();
  nan[5] = Number.NaN;
  it.each([
    ['add(null, d)', (m: FaceMatcher) => m.add(null as never, d), /name must be a non-empty string, got null/],
    ["add('', d)", (m: FaceMatcher) => m.add('', d), /name must be a non-empty string, got a string/],
    ["add('a', [1, 2])", (m: FaceMatcher) => m.add('a', [1, 2]), /descriptor must be a descriptor of 128 numbers .*got an array of 2/],
    ["add('a', NaN at 5)", (m: FaceMatcher) => m.add('a', nan), /descriptor\[5\] is NaN, not a finite float32/],
    ["add('a', 1e39 at 0)", (m: FaceMatcher) => m.add('a', [1e39, ...d.slice(1)]), /descriptor\[0\] is 1e\+39, not a finite float32/],
    ['findBestMatch(null)', (m: FaceMatcher) => m.findBestMatch(null as never), /descriptor must be a descriptor of 128 numbers/],
    ['findBestMatch(d, 0)', (m: FaceMatcher) => m.findBestMatch(d, 0), /tolerance must be a positive finite distance .*got 0/],
    ['findBestMatch(d, NaN)', (m: FaceMatcher) => m.findBestMatch(d, Number.NaN), /got NaN/],
    ["findBestMatch(d, '0.6')", (m: FaceMatcher) => m.findBestMatch(d, '0.6' as never), /got a string/],
    ['findBestMatches(d)', (m: FaceMatcher) => m.findBestMatches(d as never), /descriptors\[0\] must be a descriptor/],
    [
      'findBestMatches(null)',
      (m: FaceMatcher) => m.findBestMatches(null as never),
      /descriptors must be an array of descriptors, got null/,
    ],
  ])('%s is an InputError', async (_, call, message) => {
    const m = await FaceMatcher.create();
    expect(() => call(m)).toThrow(InputError);
    expect(() => call(m)).toThrow(message);
    expect(m.size).toBe(0);
    m.dispose();
  });

  it.each([
    ['null', null, /takes \{ version: 1, names, descriptors \}, got null/],
    ['an array', [], /got an array of 0/],
    ['version 2', { version: 2, names: [], descriptors: [] }, /version 2 is not known: this library reads version 1/],
    ['no version', { names: [], descriptors: [] }, /version undefined is not known/],
    [
      'names without descriptors',
      { version: 1, names: ['a'], descriptors: [] },
      /names and descriptors of one length, got an array of 1 and an array of 0/,
    ],
    ['a short descriptor', { version: 1, names: ['a'], descriptors: [d.slice(1)] }, /descriptors\[0\] must be a descriptor of 128 numbers/],
    ['a NaN', { version: 1, names: ['a', 'b'], descriptors: [d, nan] }, /descriptors\[1\]\[5\] is NaN/],
    ['a null in a descriptor', { version: 1, names: ['a'], descriptors: [[null, ...d.slice(1)]] }, /descriptors\[0\]\[0\] is null/],
    ['a name that is a number', { version: 1, names: [5], descriptors: [d] }, /names\[0\] must be a non-empty string, got 5/],
  ])('fromJSON(%s) is an InputError', async (_, json, message) => {
    const error = await FaceMatcher.fromJSON(json).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
  });
});
