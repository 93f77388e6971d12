import { f32x4_muladd, f32x4_mulsub } from './f32-vector';

// A 2-D complex FFT of a square tile, radix 2² (two radix-2 stages a pass
// over the tile): each pass transforms the tile's columns, four adjacent ones
// at a time in the four lanes (contiguous in a row-major tile), so that every
// butterfly is plain f32x4 arithmetic with one twiddle for all lanes. Between
// the two passes the tile is transposed, the rows becoming columns, within the
// first pass's last stage (forward) or the second's first (inverse), whose
// twiddles are all 1: each 4 x 4 block goes to a second tile transposed in
// registers. The forward transform decimates in frequency (natural order in,
// bit-reversed out) and the inverse in time (bit-reversed in, natural out):
// neither permutes anything, and the spectrum, in the forward's order, is what
// the inverse takes (pointwise products of spectra need no order).

/**
 * In place, the 2-D DFT of an n x n complex tile (n = 1 << log2Size, n >= 4):
 * real parts at `re`, imaginary parts at `im`, each row-major, n floats a row,
 * 16-byte aligned. `twiddles`: n cosines, then n sines, of 2πj / n.
 * `scratch`: 8 n² bytes.
 *
 * Forward (`inverse` false): X[u][v] = sum over r, c of x[r][c] e^(-2πi(ur + vc)/n),
 * stored transposed and bit-reversed on both axes: X[u][v] at row bitrev(v),
 * column bitrev(u). Inverse: from a spectrum stored so, x[r][c] = sum over u, v
 * of X[u][v] e^(+2πi(ur + vc)/n) at row r, column c (not divided by n²).
 */
export function f32_fft_2d__simd128(re: usize, im: usize, log2Size: i32, twiddles: usize, inverse: bool, scratch: usize): void {
  fft2d(re, im, log2Size, twiddles, inverse, scratch);
}

/** f32_fft_2d__simd128, for the kernels that transform tiles of their own. */
// @ts-ignore: decorator
@inline export function fft2d(re: usize, im: usize, log2Size: i32, twiddles: usize, inverse: bool, scratch: usize): void {
  const n = 1 << log2Size;
  const otherRe = scratch;
  const otherIm = scratch + (<usize>(n * n) << 2);
  if (inverse) {
    columnsInTime(re, im, otherRe, otherIm, n, twiddles, false);
    columnsInTime(otherRe, otherIm, re, im, n, twiddles, true);
  } else {
    columnsInFrequency(re, im, otherRe, otherIm, n, twiddles, true);
    columnsInFrequency(otherRe, otherIm, re, im, n, twiddles, false);
  }
}

/**
 * The forward DFT (e^-) of every column of the tile at (re, im), decimated in
 * frequency: rows in natural order, bit-reversed out, into the tile at
 * (outRe, outIm), transposed if `transposed`. The tile at (re, im) is
 * overwritten. A first radix-2 stage alone when log2 n is odd, then stages by
 * twos (radix 2²: the same sums as two radix-2 stages, with half the loads and
 * stores), the last into the other tile.
 */
function columnsInFrequency(re: usize, im: usize, outRe: usize, outIm: usize, n: i32, twiddles: usize, transposed: bool): void {
  const rowBytes = <usize>n << 2;
  let quarter = n >> 2;
  if ((n & 0x55555555) == 0) {
    // (a + b, (a - b) e^(-2πi j / n)) on rows j and j + n / 2.
    const half = <usize>(n >> 1) * rowBytes;
    for (let j: usize = 0; j < <usize>(n >> 1); j++) {
      const cw = v128.load32_splat(twiddles + (j << 2));
      const sw = v128.load32_splat(twiddles + (<usize>n << 2) + (j << 2));
      const a = j * rowBytes;
      const b = a + half;
      for (let c: usize = 0; c < rowBytes; c += 16) {
        const ar = v128.load(re + a + c), ai = v128.load(im + a + c);
        const br = v128.load(re + b + c), bi = v128.load(im + b + c);
        v128.store(re + a + c, f32x4.add(ar, br));
        v128.store(im + a + c, f32x4.add(ai, bi));
        storeTwiddled(re + b + c, im + b + c, f32x4.sub(ar, br), f32x4.sub(ai, bi), cw, sw, false);
      }
    }
    quarter >>= 1;
  }
  for (; quarter > 1; quarter >>= 2) {
    const step = <usize>(n / (quarter << 2)) << 2;
    for (let s = 0; s < n; s += quarter << 2) {
      const block = <usize>s * rowBytes;
      frequencyQuads(re, im, block, quarter, rowBytes, twiddles, n, 0, 0, true);
      for (let j: usize = 1; j < <usize>quarter; j++) frequencyQuads(re, im, block, quarter, rowBytes, twiddles, n, j, j * step, false);
    }
  }
  // The last two stages (twiddles 1), four rows at a time, into the other tile.
  for (let s = 0; s < n; s += 4) {
    const r0 = <usize>s * rowBytes;
    const r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
    for (let c: usize = 0; c < rowBytes; c += 16) {
      const x0r = v128.load(re + r0 + c), x0i = v128.load(im + r0 + c);
      const x2r = v128.load(re + r2 + c), x2i = v128.load(im + r2 + c);
      const t0r = f32x4.add(x0r, x2r), t0i = f32x4.add(x0i, x2i);
      const t1r = f32x4.sub(x0r, x2r), t1i = f32x4.sub(x0i, x2i);
      const x1r = v128.load(re + r1 + c), x1i = v128.load(im + r1 + c);
      const x3r = v128.load(re + r3 + c), x3i = v128.load(im + r3 + c);
      const t2r = f32x4.add(x1r, x3r), t2i = f32x4.add(x1i, x3i);
      // -i (x1 - x3): (im, -re)
      const t3r = f32x4.sub(x1i, x3i), t3i = f32x4.sub(x3r, x1r);
      // Rows: t0 + t2, t0 - t2, t1 + t3, t1 - t3.
      if (transposed) {
        // Rows s..s + 3, columns c..c + 3 become rows c..c + 3, columns s..s + 3.
        const o = (c >> 2) * rowBytes + (<usize>s << 2);
        storeTransposed(outRe + o, rowBytes, f32x4.add(t0r, t2r), f32x4.sub(t0r, t2r), f32x4.add(t1r, t3r), f32x4.sub(t1r, t3r));
        storeTransposed(outIm + o, rowBytes, f32x4.add(t0i, t2i), f32x4.sub(t0i, t2i), f32x4.add(t1i, t3i), f32x4.sub(t1i, t3i));
      } else {
        v128.store(outRe + r0 + c, f32x4.add(t0r, t2r));
        v128.store(outIm + r0 + c, f32x4.add(t0i, t2i));
        v128.store(outRe + r1 + c, f32x4.sub(t0r, t2r));
        v128.store(outIm + r1 + c, f32x4.sub(t0i, t2i));
        v128.store(outRe + r2 + c, f32x4.add(t1r, t3r));
        v128.store(outIm + r2 + c, f32x4.add(t1i, t3i));
        v128.store(outRe + r3 + c, f32x4.sub(t1r, t3r));
        v128.store(outIm + r3 + c, f32x4.sub(t1i, t3i));
      }
    }
  }
}

/**
 * The inverse DFT (e^+) of every column of the tile at (re, im) (of its rows,
 * read as columns, if `transposed`), decimated in time: rows bit-reversed in,
 * natural order out, into the tile at (outRe, outIm). The first two stages
 * (twiddles 1) read the tile four rows at a time and write the other; then
 * stages by twos, and a last radix-2 one alone when log2 n is odd, in place.
 */
function columnsInTime(re: usize, im: usize, outRe: usize, outIm: usize, n: i32, twiddles: usize, transposed: bool): void {
  const rowBytes = <usize>n << 2;
  for (let s = 0; s < n; s += 4) {
    const r0 = <usize>s * rowBytes;
    const r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
    for (let c: usize = 0; c < rowBytes; c += 16) {
      let x0r: v128, x1r: v128, x2r: v128, x3r: v128, x0i: v128, x1i: v128, x2i: v128, x3i: v128;
      if (transposed) {
        // Rows s..s + 3, columns c..c + 3 of the transpose: rows c..c + 3, columns s..s + 3.
        const at = (c >> 2) * rowBytes + (<usize>s << 2);
        const a0 = v128.load(re + at), a1 = v128.load(re + at + rowBytes), a2 = v128.load(re + at + 2 * rowBytes), a3 = v128.load(re + at + 3 * rowBytes);
        const u0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), u1 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
        const u2 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), u3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
        x0r = v128.shuffle<f32>(u0, u2, 0, 1, 4, 5);
        x1r = v128.shuffle<f32>(u0, u2, 2, 3, 6, 7);
        x2r = v128.shuffle<f32>(u1, u3, 0, 1, 4, 5);
        x3r = v128.shuffle<f32>(u1, u3, 2, 3, 6, 7);
        const b0 = v128.load(im + at), b1 = v128.load(im + at + rowBytes), b2 = v128.load(im + at + 2 * rowBytes), b3 = v128.load(im + at + 3 * rowBytes);
        const w0 = v128.shuffle<f32>(b0, b1, 0, 4, 1, 5), w1 = v128.shuffle<f32>(b0, b1, 2, 6, 3, 7);
        const w2 = v128.shuffle<f32>(b2, b3, 0, 4, 1, 5), w3 = v128.shuffle<f32>(b2, b3, 2, 6, 3, 7);
        x0i = v128.shuffle<f32>(w0, w2, 0, 1, 4, 5);
        x1i = v128.shuffle<f32>(w0, w2, 2, 3, 6, 7);
        x2i = v128.shuffle<f32>(w1, w3, 0, 1, 4, 5);
        x3i = v128.shuffle<f32>(w1, w3, 2, 3, 6, 7);
      } else {
        x0r = v128.load(re + r0 + c);
        x0i = v128.load(im + r0 + c);
        x1r = v128.load(re + r1 + c);
        x1i = v128.load(im + r1 + c);
        x2r = v128.load(re + r2 + c);
        x2i = v128.load(im + r2 + c);
        x3r = v128.load(re + r3 + c);
        x3i = v128.load(im + r3 + c);
      }
      // a = x0 ± x1, b = x2 ± x3; rows a+ + b+, a- + i b-, a+ - b+, a- - i b-.
      const a0r = f32x4.add(x0r, x1r), a0i = f32x4.add(x0i, x1i);
      const a1r = f32x4.sub(x0r, x1r), a1i = f32x4.sub(x0i, x1i);
      const b0r = f32x4.add(x2r, x3r), b0i = f32x4.add(x2i, x3i);
      const b1r = f32x4.sub(x2r, x3r), b1i = f32x4.sub(x2i, x3i);
      v128.store(outRe + r0 + c, f32x4.add(a0r, b0r));
      v128.store(outIm + r0 + c, f32x4.add(a0i, b0i));
      v128.store(outRe + r2 + c, f32x4.sub(a0r, b0r));
      v128.store(outIm + r2 + c, f32x4.sub(a0i, b0i));
      v128.store(outRe + r1 + c, f32x4.sub(a1r, b1i));
      v128.store(outIm + r1 + c, f32x4.add(a1i, b1r));
      v128.store(outRe + r3 + c, f32x4.add(a1r, b1i));
      v128.store(outIm + r3 + c, f32x4.sub(a1i, b1r));
    }
  }
  let quarter = 4;
  for (; quarter << 2 <= n; quarter <<= 2) {
    const step = <usize>(n / (quarter << 2)) << 2;
    for (let s = 0; s < n; s += quarter << 2) {
      const block = <usize>s * rowBytes;
      timeQuads(outRe, outIm, block, quarter, rowBytes, twiddles, n, 0, 0, true);
      for (let j: usize = 1; j < <usize>quarter; j++) timeQuads(outRe, outIm, block, quarter, rowBytes, twiddles, n, j, j * step, false);
    }
  }
  if ((n & 0x55555555) == 0) {
    // (a + b w, a - b w), w = e^(+2πi j / n), on rows j and j + n / 2.
    const half = <usize>(n >> 1) * rowBytes;
    for (let j: usize = 0; j < <usize>(n >> 1); j++) {
      const cw = v128.load32_splat(twiddles + (j << 2));
      const sw = v128.load32_splat(twiddles + (<usize>n << 2) + (j << 2));
      const a = j * rowBytes;
      const b = a + half;
      for (let c: usize = 0; c < rowBytes; c += 16) {
        const br = v128.load(outRe + b + c), bi = v128.load(outIm + b + c);
        const tr = twiddledRe(br, bi, cw, sw), ti = twiddledIm(br, bi, cw, sw);
        const ar = v128.load(outRe + a + c), ai = v128.load(outIm + a + c);
        v128.store(outRe + a + c, f32x4.add(ar, tr));
        v128.store(outIm + a + c, f32x4.add(ai, ti));
        v128.store(outRe + b + c, f32x4.sub(ar, tr));
        v128.store(outIm + b + c, f32x4.sub(ai, ti));
      }
    }
  }
}

/**
 * Two DIF stages on rows j, j + q, j + 2q, j + 3q of the block at `block`
 * (q = quarter), all columns: with w = e^(-2πi j / 4q), t0 = x0 + x2,
 * t1 = x0 - x2, t2 = x1 + x3, t3 = -i(x1 - x3): rows get t0 + t2,
 * (t0 - t2) w², (t1 + t3) w, (t1 - t3) w³. `t` is j's twiddle offset (bytes
 * into the table, j times its step), `one` when j = 0.
 */
// @ts-ignore: decorator
@inline function frequencyQuads(
  re: usize, im: usize, block: usize, quarter: i32, rowBytes: usize, twiddles: usize, n: i32, j: usize, t: usize, one: bool,
): void {
  const sines = twiddles + (<usize>n << 2);
  const c1 = v128.load32_splat(twiddles + t), s1 = v128.load32_splat(sines + t);
  const c2 = v128.load32_splat(twiddles + 2 * t), s2 = v128.load32_splat(sines + 2 * t);
  const c3 = v128.load32_splat(twiddles + 3 * t), s3 = v128.load32_splat(sines + 3 * t);
  const r0 = block + j * rowBytes;
  const span = <usize>quarter * rowBytes;
  const r1 = r0 + span, r2 = r1 + span, r3 = r2 + span;
  for (let c: usize = 0; c < rowBytes; c += 16) {
    const x0r = v128.load(re + r0 + c), x0i = v128.load(im + r0 + c);
    const x2r = v128.load(re + r2 + c), x2i = v128.load(im + r2 + c);
    const t0r = f32x4.add(x0r, x2r), t0i = f32x4.add(x0i, x2i);
    const t1r = f32x4.sub(x0r, x2r), t1i = f32x4.sub(x0i, x2i);
    const x1r = v128.load(re + r1 + c), x1i = v128.load(im + r1 + c);
    const x3r = v128.load(re + r3 + c), x3i = v128.load(im + r3 + c);
    const t2r = f32x4.add(x1r, x3r), t2i = f32x4.add(x1i, x3i);
    // -i (x1 - x3): (im, -re)
    const t3r = f32x4.sub(x1i, x3i), t3i = f32x4.sub(x3r, x1r);
    v128.store(re + r0 + c, f32x4.add(t0r, t2r));
    v128.store(im + r0 + c, f32x4.add(t0i, t2i));
    storeTwiddled(re + r1 + c, im + r1 + c, f32x4.sub(t0r, t2r), f32x4.sub(t0i, t2i), c2, s2, one);
    storeTwiddled(re + r2 + c, im + r2 + c, f32x4.add(t1r, t3r), f32x4.add(t1i, t3i), c1, s1, one);
    storeTwiddled(re + r3 + c, im + r3 + c, f32x4.sub(t1r, t3r), f32x4.sub(t1i, t3i), c3, s3, one);
  }
}

/** Stores (dr + i di)(cw - i sw) = dr cw + di sw + i(di cw - dr sw): e^- twiddles. */
// @ts-ignore: decorator
@inline function storeTwiddled(pr: usize, pi: usize, dr: v128, di: v128, cw: v128, sw: v128, one: bool): void {
  if (one) {
    v128.store(pr, dr);
    v128.store(pi, di);
    return;
  }
  v128.store(pr, f32x4_muladd(di, sw, f32x4.mul(dr, cw)));
  v128.store(pi, f32x4_mulsub(dr, sw, f32x4.mul(di, cw)));
}

/** (br + i bi)(cw + i sw) = br cw - bi sw + i(bi cw + br sw): e^+ twiddles, as [re, im] (two results). */
// @ts-ignore: decorator
@inline function twiddledRe(br: v128, bi: v128, cw: v128, sw: v128): v128 {
  return f32x4_mulsub(bi, sw, f32x4.mul(br, cw));
}
// @ts-ignore: decorator
@inline function twiddledIm(br: v128, bi: v128, cw: v128, sw: v128): v128 {
  return f32x4_muladd(br, sw, f32x4.mul(bi, cw));
}

/**
 * Two DIT stages (inverse, e^+) on rows j, j + q, j + 2q, j + 3q of the block
 * at `block` (q = quarter), all columns: with w = e^(+2πi j / 4q),
 * a = x0 ± w² x1, b = x2 ± w² x3; rows get a+ + w b+, a- + i w b-,
 * a+ - w b+, a- - i w b-. `t` is j's twiddle offset, `one` when j = 0.
 */
// @ts-ignore: decorator
@inline function timeQuads(
  re: usize, im: usize, block: usize, quarter: i32, rowBytes: usize, twiddles: usize, n: i32, j: usize, t: usize, one: bool,
): void {
  const sines = twiddles + (<usize>n << 2);
  const c1 = v128.load32_splat(twiddles + t), s1 = v128.load32_splat(sines + t);
  const c2 = v128.load32_splat(twiddles + 2 * t), s2 = v128.load32_splat(sines + 2 * t);
  const r0 = block + j * rowBytes;
  const span = <usize>quarter * rowBytes;
  const r1 = r0 + span, r2 = r1 + span, r3 = r2 + span;
  for (let c: usize = 0; c < rowBytes; c += 16) {
    let x1r = v128.load(re + r1 + c), x1i = v128.load(im + r1 + c);
    let x3r = v128.load(re + r3 + c), x3i = v128.load(im + r3 + c);
    if (!one) {
      const pr = twiddledRe(x1r, x1i, c2, s2), pi = twiddledIm(x1r, x1i, c2, s2);
      x1r = pr;
      x1i = pi;
      const qr = twiddledRe(x3r, x3i, c2, s2), qi = twiddledIm(x3r, x3i, c2, s2);
      x3r = qr;
      x3i = qi;
    }
    const x0r = v128.load(re + r0 + c), x0i = v128.load(im + r0 + c);
    const x2r = v128.load(re + r2 + c), x2i = v128.load(im + r2 + c);
    const a0r = f32x4.add(x0r, x1r), a0i = f32x4.add(x0i, x1i);
    const a1r = f32x4.sub(x0r, x1r), a1i = f32x4.sub(x0i, x1i);
    let b0r = f32x4.add(x2r, x3r), b0i = f32x4.add(x2i, x3i);
    let b1r = f32x4.sub(x2r, x3r), b1i = f32x4.sub(x2i, x3i);
    if (!one) {
      const ur = twiddledRe(b0r, b0i, c1, s1), ui = twiddledIm(b0r, b0i, c1, s1);
      b0r = ur;
      b0i = ui;
      const vr = twiddledRe(b1r, b1i, c1, s1), vi = twiddledIm(b1r, b1i, c1, s1);
      b1r = vr;
      b1i = vi;
    }
    // i b1: (-im, re)
    v128.store(re + r0 + c, f32x4.add(a0r, b0r));
    v128.store(im + r0 + c, f32x4.add(a0i, b0i));
    v128.store(re + r2 + c, f32x4.sub(a0r, b0r));
    v128.store(im + r2 + c, f32x4.sub(a0i, b0i));
    v128.store(re + r1 + c, f32x4.sub(a1r, b1i));
    v128.store(im + r1 + c, f32x4.add(a1i, b1r));
    v128.store(re + r3 + c, f32x4.add(a1r, b1i));
    v128.store(im + r3 + c, f32x4.sub(a1i, b1r));
  }
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
