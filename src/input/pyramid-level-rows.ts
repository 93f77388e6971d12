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
  /** The rows held, at `r % rows.length`: every row for a level kept, else a ring of the last few. */
  private readonly rows: Float32Array[] = [];
  /** Which row each of `rows` holds (-1: none yet). */
  private readonly held: Int32Array;

  constructor(
    readonly width: number,
    readonly height: number,
    keep: boolean,
  ) {
    this.held = new Int32Array(keep ? height : Math.min(height, ROWS_HELD + 1)).fill(-1);
  }

  /** Row `r`, valid until the next row of this level made (for a level not kept, `ROWS_HELD` rows later at least). */
  row(r: number): Float32Array {
    const slot = r % this.held.length;
    let row = this.rows[slot];
    if (this.held[slot] === r) return row;
    row ??= this.rows[slot] = new Float32Array(3 * this.width);
    this.make(r, row);
    this.held[slot] = r;
    return row;
  }

  protected abstract make(r: number, out: Float32Array): void;
}

/** The image itself, dlib's level 0: `(value - mean) / 256` in f32; made again whenever asked. */
export class ImageRows extends LevelRows {
  private readonly stride: number;
  /** Each channel's 256 byte values normalized once, rather than each pixel's. */
  private readonly normalized: Float32Array[];

  constructor(
    private readonly image: RgbImage,
    mean: readonly number[],
  ) {
    super(image.width, image.height, false);
    this.stride = image.data.length / (image.width * image.height);
    this.normalized = [0, 1, 2].map((c) => {
      const m = Math.fround(mean[c]);
      return Float32Array.from({ length: 256 }, (_, v) => Math.fround(v - m) / 256);
    });
  }

  protected make(r: number, out: Float32Array): void {
    const { width, data } = this.image;
    const stride = this.stride;
    for (let c = 0; c < 3; c++) {
      const normalized = this.normalized[c];
      const from = r * width * stride + c;
      const to = c * width;
      for (let x = 0; x < width; x++) out[to + x] = normalized[data[from + x * stride]];
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
