/**
 * The order in which the HOG detector makes a detection's rows, band by band:
 * the caller's image comes in a band of rows at a time; each band feeds the
 * next image of the chain (the up-sampled ones, then each pyramid level),
 * and each level's histograms, normalization, features and scores follow as
 * far as the rows they read allow. Each image, histogram or feature plane is
 * a window of rows that slides down as its readers move on (an image given
 * as one band is whole), so a large image takes memory in proportion to the
 * images' widths, not their areas (bald_guys up-sampled once: 52 MB against
 * 84 in whole planes; 8000x8000: 104 MB against 429), and touches fewer
 * fresh pages (~10-20 us each on some machines).
 *
 * Every kernel computes a row the same way whatever band it comes in (the
 * cell kernel's chunks and the correlation bank's bands were already
 * independent of the split; the FFT tiles stay where they were: a score band
 * starts on their grid), so the detections are those of whole planes, bit
 * for bit. The schedule depends on the sizes alone: it is made once per
 * image size, with each window's rows, and replayed at every detection.
 */

/** A chain image: its rows, and for every image but the first the two rows of the one before that each of its rows reads. */
export interface ScheduleImage {
  height: number;
  /** Rows made at a time (its height: made whole). */
  bandRows: number;
  /** Row r reads rows top[r] and bottom[r] (bottom >= top) of the image before it. */
  sourceRows?: { top: Int32Array; bottom: Int32Array };
}

/** A scanned level: where its rows come from and what each stage of it reads. */
export interface ScheduleLevel {
  /** Its image in the chain. */
  image: number;
  /** Histogram rows (the cells and a border each side), histogram cells, feature cells (two fewer). */
  histRows: number;
  cellRows: number;
  hogRows: number;
  /**
   * Histogram rows [s, e) read pixel rows [firstPixelRows[s] - 1, firstPixelRows[e + 1] + 1), see
   * fhogCellTables; from [firstPixelRows[s + 1] - 1 when the call before stored row s for them.
   */
  firstPixelRows: Int32Array;
  /** Feature row y is feature-plane row y + padTop, of planeRows (the rest zeros). */
  padTop: number;
  planeRows: number;
  /** Score rows [scoreStart, scoreEnd); row r reads feature-plane rows [r - anchorRow, r - anchorRow + tapRows). */
  scoreStart: number;
  scoreEnd: number;
  anchorRow: number;
  tapRows: number;
  /** The FFT tiles' output rows when the level is scored by tiles (its bands start on their grid), else undefined (the bank). */
  tileRows: number | undefined;
  /** Histogram rows a cell kernel call makes: a whole number of the kernel's chunks (one per thread), or all. */
  histBandRows: number;
}

/**
 * One step of a detection. Rows are those of what the step writes: an
 * image's, histogram rows (`cells`), cell rows (`energy`, `blocks`), feature
 * rows (`features`, with their padding columns), score rows (`score`, with
 * the hits). `slide` moves a window's rows [rowStart, rowEnd) to its start,
 * dropping those above.
 */
export type HogStep =
  | { kind: 'stage'; rowStart: number; rowEnd: number }
  | { kind: 'resize'; image: number; rowStart: number; rowEnd: number }
  | { kind: 'cells' | 'energy' | 'blocks' | 'features' | 'score'; level: number; rowStart: number; rowEnd: number }
  | { kind: 'slide'; window: number; rowStart: number; rowEnd: number };

/** The windows of a level, after the images' (window i is image i's). */
export const LEVEL_WINDOWS = 4;
export const LevelWindow = {
  Histogram: 0,
  /** The energies, block norms and block scales: three planes of cell rows. */
  Norms: 1,
  /** Feature-plane rows (padded coordinates). */
  Features: 2,
  Scores: 3,
} as const;
export type LevelWindow = (typeof LevelWindow)[keyof typeof LevelWindow];

export interface HogSchedule {
  steps: HogStep[];
  /** Each window's rows: images first, then LEVEL_WINDOWS per level. */
  windowRows: number[];
  /** The first row each window holds when a detection starts. */
  firstRows: number[];
  /** The most score rows one step makes (the bank's and the hits' scratch). */
  mostScoreRows: number;
  /** Each window's first and last step (the steps that write or read it): its rows are alive between them. */
  lifetimes: Array<[number, number]>;
}

/** The windows a step writes or reads, of `images` chain images (`levelImages`: each level's). */
export function windowsOfStep(step: HogStep, images: number, levelImages: number[]): number[] {
  if (step.kind === 'stage') return [0];
  if (step.kind === 'resize') return [step.image - 1, step.image];
  if (step.kind === 'slide') return [step.window];
  const w = (which: LevelWindow) => levelWindow(images, step.level, which);
  if (step.kind === 'cells') return [levelImages[step.level], w(LevelWindow.Histogram)];
  if (step.kind === 'energy') return [w(LevelWindow.Histogram), w(LevelWindow.Norms)];
  if (step.kind === 'blocks') return [w(LevelWindow.Norms)];
  if (step.kind === 'features') return [w(LevelWindow.Histogram), w(LevelWindow.Norms), w(LevelWindow.Features)];
  return [w(LevelWindow.Features), w(LevelWindow.Scores)];
}

/** The window index of a level's window. */
export const levelWindow = (images: number, level: number, window: LevelWindow) => images + LEVEL_WINDOWS * level + window;

/**
 * The steps of a detection over `images` (the first is the caller's, each
 * next made from the one before) and the `levels` scanned in them, and the
 * rows each window needs; a call of the correlation bank makes at least
 * `scoreBandRows` rows (it sums the rows around its band again each call), but a level's last.
 */
export function scheduleHogScan(images: ScheduleImage[], levels: ScheduleLevel[], scoreBandRows: number): HogSchedule {
  const windowCount = images.length + LEVEL_WINDOWS * levels.length;
  const firstRows = new Array<number>(windowCount).fill(0);
  levels.forEach((level, l) => {
    firstRows[levelWindow(images.length, l, LevelWindow.Scores)] = level.scoreStart;
  });
  const spans = replay(images, levels, scoreBandRows, firstRows).spans;
  // A few rows to spare: a window slides only when a band would not fit (each slide copies the rows still read).
  const windowRows = spans.map((rows) => rows + 8);
  const { steps } = replay(images, levels, scoreBandRows, firstRows, windowRows);
  const mostScoreRows = steps.reduce((most, s) => (s.kind === 'score' ? Math.max(most, s.rowEnd - s.rowStart) : most), 0);
  const levelImages = levels.map((level) => level.image);
  const lifetimes = windowRows.map((): [number, number] => [-1, -1]);
  steps.forEach((step, k) => {
    for (const w of windowsOfStep(step, images.length, levelImages)) {
      if (lifetimes[w][0] < 0) lifetimes[w][0] = k;
      lifetimes[w][1] = k;
    }
  });
  return { steps, windowRows, firstRows, mostScoreRows, lifetimes };
}

/**
 * Runs the schedule on row counters alone. Without `windowRows`, it only
 * measures each window's span (the most rows it must hold at once); with
 * them, it also slides each window when a write would overflow it.
 */
function replay(
  images: ScheduleImage[],
  levels: ScheduleLevel[],
  scoreBandRows: number,
  firstRows: number[],
  windowRows?: number[],
): { steps: HogStep[]; spans: number[] } {
  // Without windows the steps are not kept: only the spans are wanted.
  const steps: HogStep[] = [];
  const push = windowRows ? (step: HogStep) => steps.push(step) : () => {};
  const windowCount = firstRows.length;
  const spans = new Array<number>(windowCount).fill(0);
  const low = [...firstRows];
  const written = [...firstRows];
  // Rows made so far: of each image; of each level's histograms, energies, blocks, features and scores.
  const made = images.map(() => 0);
  const progress = levels.map((level) => ({ hist: 0, energy: 0, blocks: 0, features: 0, scores: level.scoreStart }));
  const levelOf = images.map((_, i) => levels.findIndex((level) => level.image === i));
  const windowOf = (l: number, w: LevelWindow) => levelWindow(images.length, l, w);
  const NONE = Number.POSITIVE_INFINITY;

  /** Writes rows [start, end) into window `w`, whose readers need rows from `needed` on. */
  const write = (w: number, start: number, end: number, needed: number) => {
    const keep = Math.min(needed, start);
    if (keep < low[w]) throw new Error(`HOG schedule: window ${w} dropped row ${keep}, still needed`);
    spans[w] = Math.max(spans[w], end - keep);
    if (windowRows && end - low[w] > windowRows[w]) {
      push({ kind: 'slide', window: w, rowStart: keep, rowEnd: Math.max(keep, written[w]) });
      low[w] = keep;
    }
    // The norms' window takes energy rows and block rows in turns: the last written is the furthest.
    written[w] = Math.max(written[w], end);
  };

  /** The first row of image i that a reader still needs: its level's cell kernel, the next image's resize. */
  const imageNeeds = (i: number) => {
    let needed = NONE;
    const l = levelOf[i];
    const hist = l >= 0 ? progress[l].hist : 0;
    // A cell call after the first takes its first row as the call before stored it, and starts at its second band.
    if (l >= 0 && hist < levels[l].histRows) needed = levels[l].firstPixelRows[hist > 0 ? hist + 1 : 0] - 1;
    const next = images[i + 1];
    if (next?.sourceRows && made[i + 1] < next.height) needed = Math.min(needed, next.sourceRows.top[made[i + 1]]);
    return needed;
  };

  const scanLevel = (l: number) => {
    const level = levels[l];
    const p = progress[l];
    const image = level.image;
    // Histogram rows, whole calls of chunks, once the pixel rows they read are made.
    while (p.hist < level.histRows) {
      const end = Math.min(p.hist + level.histBandRows, level.histRows);
      const reads = Math.min(images[image].height, level.firstPixelRows[end + 1] + 1);
      if (made[image] < reads) break;
      // The call adds to its first row and stores the first row of the next call (see f32_fhog_cells__simd128's carries).
      const needed = Math.min(p.hist, p.energy < level.cellRows ? p.energy + 1 : NONE, p.features < level.hogRows ? p.features + 2 : NONE);
      write(windowOf(l, LevelWindow.Histogram), p.hist, end < level.histRows ? end + 1 : end, needed);
      push({ kind: 'cells', level: l, rowStart: p.hist, rowEnd: end });
      p.hist = end;
    }
    // The energies of cell row r read histogram row r + 1; block row r reads energy rows r and r + 1;
    // feature row y reads block rows y and y + 1 and histogram row y + 2.
    const normsNeeded = () => Math.min(p.blocks < level.cellRows - 1 ? p.blocks : NONE, p.features < level.hogRows ? p.features : NONE);
    const energyEnd = Math.min(level.cellRows, p.hist - 1);
    if (energyEnd > p.energy) {
      write(windowOf(l, LevelWindow.Norms), p.energy, energyEnd, normsNeeded());
      push({ kind: 'energy', level: l, rowStart: p.energy, rowEnd: energyEnd });
      p.energy = energyEnd;
    }
    const blocksEnd = Math.min(level.cellRows - 1, p.energy - 1);
    if (blocksEnd > p.blocks) {
      write(windowOf(l, LevelWindow.Norms), p.blocks, blocksEnd, normsNeeded());
      push({ kind: 'blocks', level: l, rowStart: p.blocks, rowEnd: blocksEnd });
      p.blocks = blocksEnd;
    }
    const featuresEnd = Math.min(level.hogRows, p.blocks - 1, p.hist - 2);
    if (featuresEnd > p.features) {
      // The first rows come with the padding rows above them, the last with those below (a whole filter reads them).
      const needed = p.scores < level.scoreEnd ? Math.max(0, p.scores - level.anchorRow) : NONE;
      const first = p.features === 0 ? 0 : level.padTop + p.features;
      const last = featuresEnd === level.hogRows ? level.planeRows : level.padTop + featuresEnd;
      write(windowOf(l, LevelWindow.Features), first, last, needed);
      push({ kind: 'features', level: l, rowStart: p.features, rowEnd: featuresEnd });
      p.features = featuresEnd;
    }
    // Score rows once the feature rows they read are made.
    while (p.scores < level.scoreEnd) {
      let end = level.scoreEnd;
      if (p.features < level.hogRows) {
        end = Math.min(end, level.padTop + p.features + level.anchorRow - level.tapRows + 1);
        if (level.tileRows !== undefined) end = level.scoreStart + Math.floor((end - level.scoreStart) / level.tileRows) * level.tileRows;
        else if (end - p.scores < scoreBandRows) break;
      }
      if (end <= p.scores) break;
      write(windowOf(l, LevelWindow.Scores), p.scores, end, p.scores);
      push({ kind: 'score', level: l, rowStart: p.scores, rowEnd: end });
      p.scores = end;
    }
  };

  /** After image i has new rows: its level's stages, then the next image's rows as far as they can go, each band passed on at once. */
  const advance = (i: number) => {
    if (levelOf[i] >= 0) scanLevel(levelOf[i]);
    const next = images[i + 1]?.sourceRows;
    if (!next) return;
    const height = images[i + 1].height;
    while (made[i + 1] < height && next.bottom[made[i + 1]] < made[i]) {
      const start = made[i + 1];
      let end = start;
      while (end < height && end - start < images[i + 1].bandRows && next.bottom[end] < made[i]) end++;
      write(i + 1, start, end, imageNeeds(i + 1));
      push({ kind: 'resize', image: i + 1, rowStart: start, rowEnd: end });
      made[i + 1] = end;
      advance(i + 1);
    }
  };

  while (made[0] < images[0].height) {
    const start = made[0];
    const end = Math.min(images[0].height, start + images[0].bandRows);
    write(0, start, end, imageNeeds(0));
    push({ kind: 'stage', rowStart: start, rowEnd: end });
    made[0] = end;
    advance(0);
  }
  levels.forEach((level, l) => {
    const p = progress[l];
    if (p.hist < level.histRows || p.features < level.hogRows || p.scores < level.scoreEnd) {
      throw new Error(`HOG schedule: level ${l} left unfinished`);
    }
  });
  return { steps, spans };
}
