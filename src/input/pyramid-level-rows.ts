import type { Size } from '../face/image-pyramid.js';
import type { RgbImage } from '../image.js';
import { type FloatRowResizer, floatRowResizer } from './resize-image.js';

/** Rows behind the last one made that a level not kept still holds: its reader's next rows read no further back. */
const ROWS_HELD = 4;

/**
 * The rows of one level of an image pyramid in f32, as dlib's `to_tensor`
 * makes them, made on demand: each row holds the level's three channel rows
 * one after another. A level that is kept holds every row it made; one that
 * is not holds only its last few rows, for a reader that goes down the rows
 * (a row asked for again further back is made again, from the level before).
 */
export abstract class LevelRows implements Size {
  private readonly made = new Map<number, Float32Array>();

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly keep: boolean,
  ) {}

  /** A row let go, whose array the next row made takes (so that going down a level makes no garbage). */
  private spare: Float32Array | undefined;

  row(r: number): Float32Array {
    let row = this.made.get(r);
    if (row) return row;
    row = this.spare ?? new Float32Array(3 * this.width);
    this.spare = undefined;
    this.make(r, row);
    this.made.set(r, row);
    if (!this.keep) {
      for (const [k, old] of this.made) {
        if (k >= r - ROWS_HELD) continue;
        this.made.delete(k);
        this.spare = old;
      }
    }
    return row;
  }

  protected abstract make(r: number, out: Float32Array): void;
}

/** The image itself, dlib's level 0: `(value - mean) / 256` in f32; made again whenever asked. */
export class ImageRows extends LevelRows {
  private readonly stride: number;

  constructor(
    private readonly image: RgbImage,
    private readonly mean: readonly number[],
  ) {
    super(image.width, image.height, false);
    this.stride = image.data.length / (image.width * image.height);
  }

  protected make(r: number, out: Float32Array): void {
    const { width, data } = this.image;
    const stride = this.stride;
    for (let c = 0; c < 3; c++) {
      const mean = Math.fround(this.mean[c]);
      const from = r * width * stride + c;
      const to = c * width;
      for (let x = 0; x < width; x++) out[to + x] = Math.fround(data[from + x * stride] - mean) / 256;
    }
  }
}

/** A level resized in f32 from the level before, as dlib resizes the levels inside its input tensor. */
export class ResizedRows extends LevelRows {
  private readonly resizer: FloatRowResizer;

  constructor(
    private readonly source: LevelRows,
    size: Size,
    keep: boolean,
  ) {
    super(size.width, size.height, keep);
    this.resizer = floatRowResizer(source, size);
  }

  protected make(r: number, out: Float32Array): void {
    const [t, b] = this.resizer.sourceRows(r);
    const top = this.source.row(t);
    this.resizer.resizeRow(r, top, this.source.row(b), out);
  }
}
