import { f32x4_muladd } from './f32-vector';

/**
 * The input transform of a Winograd convolution of alpha x alpha input tiles
 * (stride 1; alpha 6: F(2x2, 5x5) or F(4x4, 3x3), alpha 8: F(4x4, 5x5) or
 * F(6x6, 3x3), alpha 10: F(6x6, 5x5), by outputTile 2, 4 or 6) of an NHWC
 * tensor, vectorized over channels. Tile t
 * covers alpha x alpha input pixels whose top left is (outputTile*ty - padY,
 * outputTile*tx - padX) of its sample; pixels outside the image read as
 * zeros from `zero` (a row of at least `fold` * `channels` rounded up to 4 zeros).
 * Per channel it computes V = Bᵀ d B with, for alpha 6 (the points 0, ±1,
 * ±2 and ∞),
 *
 *   Bᵀ = | 4  0 -5  0  1  0 |
 *        | 0 -4 -4  1  1  0 |
 *        | 0  4 -4 -1  1  0 |
 *        | 0 -2 -1  2  1  0 |
 *        | 0  2 -1 -2  1  0 |
 *        | 0  4  0 -5  0  1 |
 *
 * and for alpha 8 (the points 0, ±1, ±2, ±½ and ∞)
 *
 *   Bᵀ = | 1   0   -21/4  0      21/4   0     -1  0 |
 *        | 0   1    1    -17/4  -17/4   1      1  0 |
 *        | 0  -1    1     17/4  -17/4  -1      1  0 |
 *        | 0   1/2  1/4  -5/2   -5/4    2      1  0 |
 *        | 0  -1/2  1/4   5/2   -5/4   -2      1  0 |
 *        | 0   2    4    -5/2   -5      1/2    1  0 |
 *        | 0  -2    4     5/2   -5     -1/2    1  0 |
 *        | 0  -1    0     21/4   0     -21/4   0  1 |
 *
 * and for alpha 10 (the points 0, ±½, ±¾, ±5/4, ±5/2 and ∞) the one of
 * storeBt10, and writes V as alpha² matrices, one per position ξ = alpha*i + j:
 * element (i, j) of tile t goes to row t of matrix ξ, at v + ξ*vMatrixBytes.
 * A row holds `channels` rounded up to 4 floats (the padding lanes hold
 * whatever the loads past the last channel read). Bᵀ d is written to V's
 * rows first, then read back and multiplied by B in place: the alpha²
 * intermediate vectors would not fit in registers.
 *
 * With `fold` 2 the tiles are those of x's space to depth by 2x2 (as
 * f32_space_to_depth_2x2_nhwc lays it out: pixel (Y, X) holds x's pixels (2Y
 * + dy, 2X + dx), dy then dx, `channels` each, zeros past x's edges), read
 * from x itself: tile coordinates, padding and `tilesY` x `tilesX` are the
 * space to depth's, `height`, `width` and `channels` x's, and V's rows hold
 * 4 * `channels` floats (`channels` a multiple of 4). Fold 1 reads x as it is.
 *
 * Work: tiles [tileStart, tileEnd), counted over all samples, tilesY*tilesX per sample.
 */
export function f32_winograd_input_nhwc__simd128(
  alpha: i32, outputTile: i32, fold: i32, x: usize, zero: usize, height: i32, width: i32, channels: i32, padY: i32, padX: i32,
  tilesY: i32, tilesX: i32, v: usize, vMatrixBytes: usize,
  tileStart: i32, tileEnd: i32,
): void {
  // Each tile size compiled on its own: its loads and Bᵀ unroll.
  if (alpha == 10) {
    inputTransform(10, outputTile, fold, x, zero, height, width, channels, padY, padX, tilesY, tilesX, v, vMatrixBytes, tileStart, tileEnd);
  } else if (alpha == 8) {
    inputTransform(8, outputTile, fold, x, zero, height, width, channels, padY, padX, tilesY, tilesX, v, vMatrixBytes, tileStart, tileEnd);
  } else {
    inputTransform(6, outputTile, fold, x, zero, height, width, channels, padY, padX, tilesY, tilesX, v, vMatrixBytes, tileStart, tileEnd);
  }
}

// @ts-ignore: decorator
@inline function inputTransform(
  alpha: i32, outputTile: i32, fold: i32, x: usize, zero: usize, height: i32, width: i32, channels: i32, padY: i32, padX: i32,
  tilesY: i32, tilesX: i32, v: usize, vMatrixBytes: usize,
  tileStart: i32, tileEnd: i32,
): void {
  const pixelBytes = <usize>channels << 2;
  // A V row: fold² blocks of x's channels; unfolded, one block of whole vectors (its last lanes read past the pixel).
  const blocks = fold * fold;
  const rowBytes = <usize>((blocks * channels + 3) & ~3) << 2;
  const blockBytes = fold == 1 ? rowBytes : pixelBytes;
  const plane = tilesY * tilesX;
  const rowStride = <usize>width * pixelBytes;
  const positionRowBytes = <usize>alpha * vMatrixBytes;
  for (let t = tileStart; t < tileEnd; t++) {
    const sample = t / plane;
    const q = t - sample * plane;
    const ty = q / tilesX;
    const y0 = fold * (outputTile * ty - padY);
    const x0 = fold * (outputTile * (q - ty * tilesX) - padX);
    const image = x + <usize>(sample * height * width) * pixelBytes;
    const out = v + <usize>t * rowBytes;
    // Bᵀ d, column by column: column j of d to positions j, alpha + j, ...; a run of blocks at a time (a row dy of the
    // fold x fold pixels, contiguous in x), block by block where the run straddles the right edge. A tile inside the
    // image steps from pixel to pixel unchecked.
    const interior = y0 >= 0 && y0 + fold * alpha <= height && x0 >= 0 && x0 + fold * alpha <= width;
    for (let j = 0; j < alpha; j++) {
      const left = x0 + fold * j;
      const straddles = fold > 1 && left < width && left + fold > width;
      for (let dy = 0; dy < fold; dy++) {
        const column = out + <usize>j * vMatrixBytes + <usize>(dy * fold) * blockBytes;
        const runBytes = <usize>fold * blockBytes;
        if (interior) {
          columnBt(alpha, fold, true, image, y0 + dy, left, height, width, rowStride, pixelBytes, zero, column, runBytes, positionRowBytes);
        } else if (!straddles) {
          columnBt(alpha, fold, false, image, y0 + dy, left, height, width, rowStride, pixelBytes, zero, column, runBytes, positionRowBytes);
        } else {
          for (let dx = 0; dx < fold; dx++) {
            const at = column + <usize>dx * blockBytes;
            columnBt(alpha, fold, false, image, y0 + dy, left + dx, height, width, rowStride, pixelBytes, zero, at, blockBytes, positionRowBytes);
          }
        }
      }
    }
    // (Bᵀ d) B, row by row, in place: row i at positions alpha*i .. alpha*i + alpha - 1.
    for (let i = 0; i < alpha; i++) {
      const row = out + <usize>i * positionRowBytes;
      for (let c: usize = 0; c < rowBytes; c += 16) {
        const p = row + c;
        if (alpha == 10) {
          storeBt10(
            v128.load(p), v128.load(p + vMatrixBytes), v128.load(p + 2 * vMatrixBytes), v128.load(p + 3 * vMatrixBytes),
            v128.load(p + 4 * vMatrixBytes), v128.load(p + 5 * vMatrixBytes), v128.load(p + 6 * vMatrixBytes),
            v128.load(p + 7 * vMatrixBytes), v128.load(p + 8 * vMatrixBytes), v128.load(p + 9 * vMatrixBytes), p, vMatrixBytes,
          );
        } else if (alpha == 8) {
          storeBt8(
            v128.load(p), v128.load(p + vMatrixBytes), v128.load(p + 2 * vMatrixBytes), v128.load(p + 3 * vMatrixBytes),
            v128.load(p + 4 * vMatrixBytes), v128.load(p + 5 * vMatrixBytes), v128.load(p + 6 * vMatrixBytes),
            v128.load(p + 7 * vMatrixBytes), p, vMatrixBytes,
          );
        } else {
          storeBt6(
            v128.load(p), v128.load(p + vMatrixBytes), v128.load(p + 2 * vMatrixBytes),
            v128.load(p + 3 * vMatrixBytes), v128.load(p + 4 * vMatrixBytes), v128.load(p + 5 * vMatrixBytes),
            p, vMatrixBytes,
          );
        }
      }
    }
  }
}

/**
 * Bᵀ times the alpha pixels (`top` + fold * k, `left`), `bytes` of each from
 * the pixel on (zeros outside the image, unless `inside` says all are in it),
 * stored at `column` + k * stride.
 */
// @ts-ignore: decorator
@inline function columnBt(
  alpha: i32, fold: i32, inside: bool, image: usize, top: i32, left: i32, height: i32, width: i32, rowStride: usize,
  pixelBytes: usize, zero: usize, column: usize, bytes: usize, stride: usize,
): void {
  const step = <usize>fold * rowStride;
  const p0 = inside ? image + <usize>top * rowStride + <usize>left * pixelBytes : pixelAt(image, top, left, height, width, rowStride, pixelBytes, zero);
  const p1 = inside ? p0 + step : pixelAt(image, top + fold, left, height, width, rowStride, pixelBytes, zero);
  const p2 = inside ? p1 + step : pixelAt(image, top + 2 * fold, left, height, width, rowStride, pixelBytes, zero);
  const p3 = inside ? p2 + step : pixelAt(image, top + 3 * fold, left, height, width, rowStride, pixelBytes, zero);
  const p4 = inside ? p3 + step : pixelAt(image, top + 4 * fold, left, height, width, rowStride, pixelBytes, zero);
  const p5 = inside ? p4 + step : pixelAt(image, top + 5 * fold, left, height, width, rowStride, pixelBytes, zero);
  const p6 = alpha <= 6 ? p5 : inside ? p5 + step : pixelAt(image, top + 6 * fold, left, height, width, rowStride, pixelBytes, zero);
  const p7 = alpha <= 6 ? p5 : inside ? p6 + step : pixelAt(image, top + 7 * fold, left, height, width, rowStride, pixelBytes, zero);
  const p8 = alpha <= 8 ? p5 : inside ? p7 + step : pixelAt(image, top + 8 * fold, left, height, width, rowStride, pixelBytes, zero);
  const p9 = alpha <= 8 ? p5 : inside ? p8 + step : pixelAt(image, top + 9 * fold, left, height, width, rowStride, pixelBytes, zero);
  if (alpha == 10) {
    for (let c: usize = 0; c < bytes; c += 16) {
      storeBt10(
        v128.load(p0 + c), v128.load(p1 + c), v128.load(p2 + c), v128.load(p3 + c), v128.load(p4 + c),
        v128.load(p5 + c), v128.load(p6 + c), v128.load(p7 + c), v128.load(p8 + c), v128.load(p9 + c),
        column + c, stride,
      );
    }
  } else if (alpha == 8) {
    for (let c: usize = 0; c < bytes; c += 16) {
      storeBt8(
        v128.load(p0 + c), v128.load(p1 + c), v128.load(p2 + c), v128.load(p3 + c),
        v128.load(p4 + c), v128.load(p5 + c), v128.load(p6 + c), v128.load(p7 + c),
        column + c, stride,
      );
    }
  } else {
    for (let c: usize = 0; c < bytes; c += 16) {
      storeBt6(
        v128.load(p0 + c), v128.load(p1 + c), v128.load(p2 + c), v128.load(p3 + c), v128.load(p4 + c), v128.load(p5 + c),
        column + c, stride,
      );
    }
  }
}

/** The address of pixel (y, x) of an image, or of a row of zeros outside it. */
// @ts-ignore: decorator
@inline function pixelAt(
  image: usize, y: i32, x: i32, height: i32, width: i32, rowStride: usize, pixelBytes: usize, zero: usize,
): usize {
  const inside = y >= 0 && y < height && x >= 0 && x < width;
  return inside ? image + <usize>y * rowStride + <usize>x * pixelBytes : zero;
}

/** alpha 6's Bᵀ times (d0 .. d5), stored at `ptr` + k * stride for k = 0..5. */
// @ts-ignore: decorator
@inline function storeBt6(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, ptr: usize, stride: usize): void {
  const four = f32x4.splat(4), five = f32x4.splat(5), two = f32x4.splat(2);
  const t1 = f32x4.sub(d4, f32x4.mul(four, d2));
  const t2 = f32x4.sub(d3, f32x4.mul(four, d1));
  const t3 = f32x4.sub(d4, d2);
  const t4 = f32x4.mul(two, f32x4.sub(d3, d1));
  v128.store(ptr, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4));
  v128.store(ptr + stride, f32x4.add(t1, t2));
  v128.store(ptr + 2 * stride, f32x4.sub(t1, t2));
  v128.store(ptr + 3 * stride, f32x4.add(t3, t4));
  v128.store(ptr + 4 * stride, f32x4.sub(t3, t4));
  v128.store(ptr + 5 * stride, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5));
}

/**
 * alpha 8's Bᵀ times (d0 .. d7), stored at `ptr` + k * stride for k = 0..7:
 * rows 1-6 in pairs (the points ±p), the sum and difference of their even
 * and odd columns' parts.
 */
// @ts-ignore: decorator
@inline function storeBt8(
  d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, d6: v128, d7: v128, ptr: usize, stride: usize,
): void {
  const c21 = f32x4.splat(5.25), c17 = f32x4.splat(-4.25), c5 = f32x4.splat(-1.25), c10 = f32x4.splat(-2.5);
  const half = f32x4.splat(0.5), two = f32x4.splat(2);
  // Rows 1 and 2 (the points ±1): d2 + d6 - 17/4 d4 ± (d1 + d5 - 17/4 d3).
  const e1 = f32x4_muladd(c17, d4, f32x4.add(d2, d6));
  const o1 = f32x4_muladd(c17, d3, f32x4.add(d1, d5));
  // Rows 3 and 4 (±2): 1/4 d2 - 5/4 d4 + d6 ± (1/2 d1 - 5/2 d3 + 2 d5).
  const e3 = f32x4_muladd(c5, d4, f32x4_muladd(f32x4.splat(0.25), d2, d6));
  const o3 = f32x4_muladd(two, d5, f32x4_muladd(c10, d3, f32x4.mul(half, d1)));
  // Rows 5 and 6 (±1/2): 4 d2 - 5 d4 + d6 ± (2 d1 - 5/2 d3 + 1/2 d5).
  const e5 = f32x4_muladd(f32x4.splat(4), f32x4_muladd(c5, d4, d2), d6);
  const o5 = f32x4_muladd(half, d5, f32x4_muladd(c10, d3, f32x4.mul(two, d1)));
  v128.store(ptr, f32x4_muladd(c21, f32x4.sub(d4, d2), f32x4.sub(d0, d6)));
  v128.store(ptr + stride, f32x4.add(e1, o1));
  v128.store(ptr + 2 * stride, f32x4.sub(e1, o1));
  v128.store(ptr + 3 * stride, f32x4.add(e3, o3));
  v128.store(ptr + 4 * stride, f32x4.sub(e3, o3));
  v128.store(ptr + 5 * stride, f32x4.add(e5, o5));
  v128.store(ptr + 6 * stride, f32x4.sub(e5, o5));
  v128.store(ptr + 7 * stride, f32x4_muladd(c21, f32x4.sub(d3, d5), f32x4.sub(d7, d1)));
}

/**
 * alpha 10's Bᵀ times (d0 .. d9), stored at `ptr` + k * stride for k =
 * 0..9. Row i is the coefficients of prod_{j != i} (x - p_j) (the points 0,
 * ±½, ±¾, ±5/4, ±5/2; the last row, for ∞, those of prod_j (x - p_j)): with
 * Q(x²) = prod (x² - p²) over the four pairs, row 0 is Q's coefficients on
 * the even d's, row 9 on the odd ones; the pair ±p's rows are E ± p O,
 * E and O the coefficients of Q(x²) / (x² - p²) on d2, d4, d6, d8 and on d1,
 * d3, d5, d7.
 */
// @ts-ignore: decorator
@inline function storeBt10(
  d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, d6: v128, d7: v128, d8: v128, d9: v128, ptr: usize, stride: usize,
): void {
  // Q: 5625/4096 - 4625/512 x² + 4161/256 x⁴ - 69/8 x⁶ + x⁸.
  const q0 = f32x4.splat(5625.0 / 4096), q1 = f32x4.splat(-4625.0 / 512), q2 = f32x4.splat(4161.0 / 256), q3 = f32x4.splat(-69.0 / 8);
  v128.store(ptr, f32x4_muladd(q0, d0, f32x4_muladd(q1, d2, f32x4_muladd(q2, d4, f32x4_muladd(q3, d6, d8)))));
  v128.store(ptr + 9 * stride, f32x4_muladd(q0, d1, f32x4_muladd(q1, d3, f32x4_muladd(q2, d5, f32x4_muladd(q3, d7, d9)))));
  storePairBt10(1.0 / 2, -5625.0 / 1024, 3625.0 / 256, -67.0 / 8, d1, d2, d3, d4, d5, d6, d7, d8, ptr + stride, stride);
  storePairBt10(3.0 / 4, -625.0 / 256, 375.0 / 32, -129.0 / 16, d1, d2, d3, d4, d5, d6, d7, d8, ptr + 3 * stride, stride);
  storePairBt10(5.0 / 4, -225.0 / 256, 167.0 / 32, -113.0 / 16, d1, d2, d3, d4, d5, d6, d7, d8, ptr + 5 * stride, stride);
  storePairBt10(5.0 / 2, -225.0 / 1024, 361.0 / 256, -19.0 / 8, d1, d2, d3, d4, d5, d6, d7, d8, ptr + 7 * stride, stride);
}

/** The rows of the pair ±p: E ± p O with Q(x²) / (x² - p²) = r0 + r1 x² + r2 x⁴ + x⁶; stored at `ptr` and `ptr` + stride. */
// @ts-ignore: decorator
@inline function storePairBt10(
  p: f32, r0: f32, r1: f32, r2: f32, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, d6: v128, d7: v128, d8: v128,
  ptr: usize, stride: usize,
): void {
  const c0 = f32x4.splat(r0), c1 = f32x4.splat(r1), c2 = f32x4.splat(r2);
  const even = f32x4_muladd(c0, d2, f32x4_muladd(c1, d4, f32x4_muladd(c2, d6, d8)));
  const odd = f32x4_muladd(c0, d1, f32x4_muladd(c1, d3, f32x4_muladd(c2, d5, d7)));
  const point = f32x4.splat(p);
  v128.store(ptr, f32x4_muladd(point, odd, even));
  v128.store(ptr + stride, f32x4_muladd(f32x4.splat(-p), odd, even));
}
