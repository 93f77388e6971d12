// Face descriptors made from real ones: dlib's descriptors of 7,701 LFW images (4,281 people, by
// the folder names), and from them as many new people as asked, each with as many faces as asked.
//
// A new person's centre lies between real people: a random real person's centre (the mean of their
// LFW faces), moved a uniform share of the way to one of its 5 nearest real centres, plus
// `apart` (0.3) times a zero-mean draw with the real centres' covariance (a sum of 64 random
// centres' offsets from their mean, each weighted by a normal variate / 8). The new people so fill
// the space where real people are, as unevenly as they do, without copying them. A face is its
// person's centre plus a draw with the within-person covariance, made the same way from the
// offsets of LFW faces from their person's mean (people with 2 or more faces, each offset scaled
// by sqrt(n / (n - 1)) for the mean it was taken from), times a log-normal factor per person
// (sigma 0.12: some people vary more than others).
//
// checkAgainstLfw compares, for a synthetic set of LFW's shape (as many people, as many faces
// each) and LFW itself: each face's nearest other person's distance, the same person's distances,
// and the share of other-person pairs under 0.6 (bench/RESULTS.md has the figures).
import { readFileSync } from 'node:fs';
import { DlibRand } from '../../dist/index.js';

const LENGTH = 128;
const MIXED = 64;
/** dlib's descriptors of LFW and their image names, as the repository's fixtures carry them (test/fixtures/README.md). */
const LFW = new URL('../../test/fixtures/lfw', import.meta.url).pathname;

export function loadLfw(folder = LFW) {
  const bytes = readFileSync(`${folder}/descriptors_sp5.f32`);
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const names = readFileSync(`${folder}/images.txt`, 'utf8').trim().split('\n');
  const people = new Map();
  names.forEach((name, i) => {
    const person = name.split('/')[0];
    if (!people.has(person)) people.set(person, []);
    people.get(person).push(i);
  });
  return { values, count: names.length, people: [...people.values()] };
}

/** The LFW model: centres, their mean, and offsets that carry the between- and within-person covariance. */
export function lfwModel(lfw = loadLfw()) {
  const { values, people } = lfw;
  const centres = people.map((faces) => {
    const centre = new Float64Array(LENGTH);
    for (const i of faces) for (let k = 0; k < LENGTH; k++) centre[k] += values[i * LENGTH + k] / faces.length;
    return centre;
  });
  const mean = new Float64Array(LENGTH);
  for (const c of centres) for (let k = 0; k < LENGTH; k++) mean[k] += c[k] / centres.length;
  const between = centres.map((c) => c.map((v, k) => v - mean[k]));
  const within = [];
  people.forEach((faces, p) => {
    if (faces.length < 2) return;
    const scale = Math.sqrt(faces.length / (faces.length - 1));
    for (const i of faces) within.push(Float64Array.from({ length: LENGTH }, (_, k) => (values[i * LENGTH + k] - centres[p][k]) * scale));
  });
  return { centres, mean, between, within, faceCounts: people.map((faces) => faces.length) };
}

function generator(seed) {
  const rand = new DlibRand(seed);
  const uniform = () => rand.nextDouble();
  const gaussian = () => Math.sqrt(-2 * Math.log(Math.max(uniform(), 1e-12))) * Math.cos(2 * Math.PI * uniform());
  /** A zero-mean draw with the covariance of `offsets` (their mean outer product). */
  const draw = (offsets, out) => {
    out.fill(0);
    for (let n = 0; n < MIXED; n++) {
      const o = offsets[Math.floor(uniform() * offsets.length)];
      const w = gaussian() / Math.sqrt(MIXED);
      for (let k = 0; k < LENGTH; k++) out[k] += w * o[k];
    }
    return out;
  };
  return { uniform, gaussian, draw };
}

/** Each real centre's `k` nearest other centres. */
function nearestCentres(centres, k) {
  return centres.map((c, p) => {
    const near = [];
    centres.forEach((o, q) => {
      if (q === p) return;
      let sum = 0;
      for (let v = 0; v < LENGTH; v++) sum += (c[v] - o[v]) ** 2;
      near.push([sum, q]);
    });
    return near
      .sort((a, b) => a[0] - b[0])
      .slice(0, k)
      .map(([, q]) => q);
  });
}

/**
 * `faceCounts[p]` faces of each of faceCounts.length new people, person after person:
 * { values, count, length, person } (person: each face's person). A new centre lies on the segment
 * from a random real centre to one of its `near` nearest real centres (uniformly along it), so the
 * new people fill the space where real people are, as densely clumped; each new person's faces
 * scatter with the within-person covariance times a factor of their own (log-normal, sigma
 * `spreadSigma`: some people vary more than others).
 */
export function syntheticPeople(model, faceCounts, { near = 5, apart = 0.3, spreadSigma = 0.12, seed = 'lfw-synthetic' } = {}) {
  const { uniform, gaussian, draw } = generator(seed);
  model.nearest ??= nearestCentres(model.centres, near);
  const count = faceCounts.reduce((a, b) => a + b, 0);
  const values = new Float32Array(count * LENGTH);
  const person = new Int32Array(count);
  const noise = new Float64Array(LENGTH);
  const centre = new Float64Array(LENGTH);
  let i = 0;
  faceCounts.forEach((faces, p) => {
    const from = Math.floor(uniform() * model.centres.length);
    const to = model.nearest[from][Math.floor(uniform() * near)];
    const t = uniform();
    draw(model.between, noise);
    for (let k = 0; k < LENGTH; k++)
      centre[k] = model.centres[from][k] + t * (model.centres[to][k] - model.centres[from][k]) + apart * noise[k];
    const spread = Math.exp(spreadSigma * gaussian() - spreadSigma ** 2 / 2);
    for (let f = 0; f < faces; f++, i++) {
      draw(model.within, noise);
      for (let k = 0; k < LENGTH; k++) values[i * LENGTH + k] = centre[k] + spread * noise[k];
      person[i] = p;
    }
  });
  return { values, count, length: LENGTH, person };
}

/** Faces per person for a library of `size` faces: log-normal (median 6, mean 10, a few in the hundreds), in all exactly `size`. */
export function libraryFaceCounts(size, seed = 'library-faces') {
  const { gaussian } = generator(seed);
  const sigma = 1;
  const mu = Math.log(10) - sigma ** 2 / 2;
  const counts = [];
  let total = 0;
  while (total < size) {
    const faces = Math.min(size - total, Math.max(1, Math.round(Math.exp(mu + sigma * gaussian()))));
    counts.push(faces);
    total += faces;
  }
  return counts;
}

function distance(values, a, b) {
  let sum = 0;
  for (let k = 0; k < LENGTH; k++) sum += (values[a * LENGTH + k] - values[b * LENGTH + k]) ** 2;
  return Math.sqrt(sum);
}

/** For a set with `person` per face: quantiles of each face's nearest other person, and of same-person distances; the share of other-person pairs under 0.6. */
export function identityStatistics({ values, count, person }) {
  const nearestOther = new Float64Array(count).fill(Infinity);
  const same = [];
  let otherPairs = 0;
  let otherUnder = 0;
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      const d = distance(values, i, j);
      if (person[i] === person[j]) same.push(d);
      else {
        otherPairs++;
        if (d < 0.6) otherUnder++;
        nearestOther[i] = Math.min(nearestOther[i], d);
        nearestOther[j] = Math.min(nearestOther[j], d);
      }
    }
  }
  const quantiles = (list) => {
    const sorted = Float64Array.from(list).sort();
    return Object.fromEntries(
      [0.05, 0.25, 0.5, 0.75, 0.95].map((q) => [`q${q * 100}`, +sorted[Math.floor(q * (sorted.length - 1))].toFixed(3)]),
    );
  };
  return {
    nearestOtherPerson: quantiles(nearestOther),
    samePerson: quantiles(same),
    otherPairsUnder06: +(otherUnder / otherPairs).toExponential(2),
  };
}

/** LFW's statistics and those of a synthetic set of LFW's shape (as many people, as many faces each). */
export function checkAgainstLfw(options = {}) {
  const lfw = loadLfw();
  const model = lfwModel(lfw);
  const person = new Int32Array(lfw.count);
  lfw.people.forEach((faces, p) => {
    for (const i of faces) person[i] = p;
  });
  const real = identityStatistics({ values: lfw.values, count: lfw.count, person });
  const synthetic = identityStatistics(syntheticPeople(model, model.faceCounts, { ...options, seed: 'lfw-check' }));
  return { real, synthetic };
}
