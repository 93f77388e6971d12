import { f32x4_muladd } from './f32-vector';

// A 2-D complex FFT of a square tile, radix 2: each pass transforms the
// tile's columns, four adjacent ones at a time in the four lanes (contiguous
// in a row-major tile), so that every butterfly is plain f32x4 arithmetic on
// two rows with one twiddle for all lanes; a transpose between the two passes
// turns the rows into columns. The forward transform decimates in frequency
// (natural order in, bit-reversed out) and the inverse in time (bit-reversed
// in, natural out): neither permutes anything, and the spectrum, in the
// forward's order, is what the inverse takes (pointwise products of spectra
// need no order).

/**
 * In place, the 2-D DFT of an n x n complex tile (n = 1 << log2Size, n >= 4):
 * real parts at `re`, imaginary parts at `im`, each row-major, n floats a row,
 * 16-byte aligned. `twiddles`: n / 2 cosines, then n / 2 sines, of 2πj / n.
 *
 * Forward (`inverse` false): X[u][v] = sum over r, c of x[r][c] e^(-2πi(ur + vc)/n),
 * stored transposed and bit-reversed on both axes: X[u][v] at row bitrev(v),
 * column bitrev(u). Inverse: from a spectrum stored so, x[r][c] = sum over u, v
 * of X[u][v] e^(+2πi(ur + vc)/n) at row r, column c (not divided by n²).
 */
export function f32_fft_2d__simd128(re: usize, im: usize, log2Size: i32, twiddles: usize, inverse: bool): void {
  fft2d(re, im, log2Size, twiddles, inverse);
}

/** f32_fft_2d__simd128, for the kernels that transform tiles of their own. */
// @ts-ignore: decorator
@inline export function fft2d(re: usize, im: usize, log2Size: i32, twiddles: usize, inverse: bool): void {
  const n = 1 << log2Size;
  if (inverse) {
    columnsInTime(re, im, n, twiddles);
    transpose(re, n);
    transpose(im, n);
    columnsInTime(re, im, n, twiddles);
  } else {
    columnsInFrequency(re, im, n, twiddles);
    transpose(re, n);
    transpose(im, n);
    columnsInFrequency(re, im, n, twiddles);
  }
}

/** The forward DFT (e^-) of every column, decimated in frequency: rows in natural order, bit-reversed out. */
function columnsInFrequency(re: usize, im: usize, n: i32, twiddles: usize): void {
  const rowBytes = <usize>n << 2;
  const sines = twiddles + (<usize>n << 1);
  for (let span = n >> 1; span >= 1; span >>= 1) {
    const step = <usize>(n / (span << 1)) << 2;
    for (let s = 0; s < n; s += span << 1) {
      const top = <usize>s * rowBytes;
      const bottom = top + <usize>span * rowBytes;
      // j = 0: the twiddle is 1.
      for (let c: usize = 0; c < rowBytes; c += 16) {
        const ar = v128.load(re + top + c), ai = v128.load(im + top + c);
        const br = v128.load(re + bottom + c), bi = v128.load(im + bottom + c);
        v128.store(re + top + c, f32x4.add(ar, br));
        v128.store(im + top + c, f32x4.add(ai, bi));
        v128.store(re + bottom + c, f32x4.sub(ar, br));
        v128.store(im + bottom + c, f32x4.sub(ai, bi));
      }
      for (let j = 1; j < span; j++) {
        const t = <usize>j * step;
        // (a - b) e^(-2πi j / 2span): cos w, -sin w.
        const cw = v128.load32_splat(twiddles + t);
        const sw = v128.load32_splat(sines + t);
        const nsw = f32x4.neg(sw);
        const a = top + <usize>j * rowBytes;
        const b = bottom + <usize>j * rowBytes;
        for (let c: usize = 0; c < rowBytes; c += 16) {
          const ar = v128.load(re + a + c), ai = v128.load(im + a + c);
          const br = v128.load(re + b + c), bi = v128.load(im + b + c);
          v128.store(re + a + c, f32x4.add(ar, br));
          v128.store(im + a + c, f32x4.add(ai, bi));
          const dr = f32x4.sub(ar, br), di = f32x4.sub(ai, bi);
          // (dr + i di)(cw - i sw) = dr cw + di sw + i(di cw - dr sw)
          v128.store(re + b + c, f32x4_muladd(di, sw, f32x4.mul(dr, cw)));
          v128.store(im + b + c, f32x4_muladd(dr, nsw, f32x4.mul(di, cw)));
        }
      }
    }
  }
}

/** The inverse DFT (e^+) of every column, decimated in time: rows bit-reversed in, natural order out. */
function columnsInTime(re: usize, im: usize, n: i32, twiddles: usize): void {
  const rowBytes = <usize>n << 2;
  const sines = twiddles + (<usize>n << 1);
  for (let span = 1; span < n; span <<= 1) {
    const step = <usize>(n / (span << 1)) << 2;
    for (let s = 0; s < n; s += span << 1) {
      const top = <usize>s * rowBytes;
      const bottom = top + <usize>span * rowBytes;
      for (let c: usize = 0; c < rowBytes; c += 16) {
        const ar = v128.load(re + top + c), ai = v128.load(im + top + c);
        const br = v128.load(re + bottom + c), bi = v128.load(im + bottom + c);
        v128.store(re + top + c, f32x4.add(ar, br));
        v128.store(im + top + c, f32x4.add(ai, bi));
        v128.store(re + bottom + c, f32x4.sub(ar, br));
        v128.store(im + bottom + c, f32x4.sub(ai, bi));
      }
      for (let j = 1; j < span; j++) {
        const t = <usize>j * step;
        // b e^(+2πi j / 2span): cos w, +sin w.
        const cw = v128.load32_splat(twiddles + t);
        const sw = v128.load32_splat(sines + t);
        const nsw = f32x4.neg(sw);
        const a = top + <usize>j * rowBytes;
        const b = bottom + <usize>j * rowBytes;
        for (let c: usize = 0; c < rowBytes; c += 16) {
          const br = v128.load(re + b + c), bi = v128.load(im + b + c);
          // (br + i bi)(cw + i sw) = br cw - bi sw + i(bi cw + br sw)
          const tr = f32x4_muladd(bi, nsw, f32x4.mul(br, cw));
          const ti = f32x4_muladd(br, sw, f32x4.mul(bi, cw));
          const ar = v128.load(re + a + c), ai = v128.load(im + a + c);
          v128.store(re + a + c, f32x4.add(ar, tr));
          v128.store(im + a + c, f32x4.add(ai, ti));
          v128.store(re + b + c, f32x4.sub(ar, tr));
          v128.store(im + b + c, f32x4.sub(ai, ti));
        }
      }
    }
  }
}

/** Transposes an n x n tile in place (n a multiple of 4), 4 x 4 blocks at a time. */
function transpose(tile: usize, n: i32): void {
  const rowBytes = <usize>n << 2;
  for (let i = 0; i < n; i += 4) {
    const diagonal = tile + <usize>i * rowBytes + (<usize>i << 2);
    transposeBlock(diagonal, diagonal, rowBytes);
    for (let j = i + 4; j < n; j += 4) {
      transposeBlock(tile + <usize>i * rowBytes + (<usize>j << 2), tile + <usize>j * rowBytes + (<usize>i << 2), rowBytes);
    }
  }
}

/** Swaps the 4 x 4 blocks at p and q, each transposed (p == q: transposes it). */
// @ts-ignore: decorator
@inline function transposeBlock(p: usize, q: usize, rowBytes: usize): void {
  const p0 = v128.load(p), p1 = v128.load(p + rowBytes), p2 = v128.load(p + 2 * rowBytes), p3 = v128.load(p + 3 * rowBytes);
  const q0 = v128.load(q), q1 = v128.load(q + rowBytes), q2 = v128.load(q + 2 * rowBytes), q3 = v128.load(q + 3 * rowBytes);
  storeTransposed(q, rowBytes, p0, p1, p2, p3);
  if (p != q) storeTransposed(p, rowBytes, q0, q1, q2, q3);
}

/** Stores the rows r0..r3 of a 4 x 4 block as the columns of the one at o. */
// @ts-ignore: decorator
@inline function storeTransposed(o: usize, rowBytes: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(o, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(o + rowBytes, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(o + 2 * rowBytes, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(o + 3 * rowBytes, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}
