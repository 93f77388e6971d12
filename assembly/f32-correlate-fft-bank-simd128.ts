import { fft2d } from './f32-fft-2d-simd128';
import { f32x4_muladd, f32x4_mulsub } from './f32-vector';

// A bank of 2-D correlations, each output the sum over all sources of a
// correlation of its own, by FFT: overlap-save over n x n tiles, the sources
// transformed once per tile for all outputs and each output's sum taken in
// the frequency domain, so one inverse transform per output and tile.
//
// Real sources go two to a complex tile (z = a + ib); a pair's filters are
// one complex filter g = h_a - i h_b, whose correlation with z has the real
// part a ⋆ h_a + b ⋆ h_b: the products stay plain complex multiply-adds over
// the whole spectrum, and each output is the real part of its inverse.

/**
 * A complex tile's imaginary parts start this far past the end of its real
 * parts, and the next tile twice as far past its end: the products read all
 * pairs' tiles at once, and at multiples of 4 KB apart they would share the
 * same sets of the first-level cache and evict each other.
 */
const IM_OFFSET: usize = 64;

/** Bytes of a complex n x n tile in the bank's scratch, with the offsets that keep tiles off each other's cache sets. */
// @ts-ignore: decorator
@inline function complexTileBytes(n: i32): usize {
  return (<usize>(n * n) << 3) + 3 * IM_OFFSET;
}

/** Floats a pair's spectrum for one output takes at each group of four frequencies: four real parts, four imaginary ones. */
const GROUP_FLOATS: usize = 8;

/**
 * The filters' spectra for f32_correlate_fft_bank__simd128: filter (o, p) of
 * output o and source p is `tapRows` x `tapCols` row-major taps at
 * taps + 4 (o sourceCount + p) tapRows tapCols. For n = 1 << log2Size
 * (>= tapRows, tapCols, and >= 4), writes ceil(sourceCount / 2) pairs x
 * outputCount spectra of n² complex values (8 n² bytes each) at `spectra`,
 * interleaved as the bank reads them. `scratch`: 16 n² bytes.
 */
export function f32_correlate_fft_spectra__simd128(
  taps: usize, sourceCount: i32, outputCount: i32, tapRows: i32, tapCols: i32, log2Size: i32, twiddles: usize,
  spectra: usize, scratch: usize,
): void {
  const n = 1 << log2Size;
  const tileBytes = <usize>(n * n) << 2;
  const re = scratch;
  const im = scratch + tileBytes;
  const pairs = (sourceCount + 1) >> 1;
  const filterFloats = tapRows * tapCols;
  // Correlation is convolution with the reversed filter: tap (m, l) at (-m, -l) mod n, over n² so that the inverse is exact.
  const scale = <f32>1 / <f32>(n * n);
  for (let o = 0; o < outputCount; o++) {
    for (let q = 0; q < pairs; q++) {
      memory.fill(scratch, 0, tileBytes << 1);
      for (let half = 0; half < 2; half++) {
        const p = 2 * q + half;
        if (p >= sourceCount) break;
        const filter = taps + (<usize>(o * sourceCount + p) * filterFloats << 2);
        // The second source's filter is the imaginary part, negated.
        const plane = half == 0 ? re : im;
        const sign: f32 = half == 0 ? scale : -scale;
        for (let m = 0; m < tapRows; m++) {
          for (let l = 0; l < tapCols; l++) {
            const at = <usize>(((n - m) & (n - 1)) * n + ((n - l) & (n - 1))) << 2;
            store<f32>(plane + at, load<f32>(filter + (<usize>(m * tapCols + l) << 2)) * sign);
          }
        }
      }
      fft2d(re, im, log2Size, twiddles, false, scratch + (tileBytes << 1));
      const groups = (n * n) >> 2;
      for (let v = 0; v < groups; v++) {
        const out = spectra + ((<usize>(v * pairs + q) * outputCount + o) * GROUP_FLOATS << 2);
        v128.store(out, v128.load(re + (<usize>v << 4)));
        v128.store(out, v128.load(im + (<usize>v << 4)), 16);
      }
    }
  }
}

/**
 * Every output o of `outputCount` written over with the sum over sources p of
 * the correlation of source p with filter (o, p):
 * out_o[r][c] = sum over p, m < tapRows, l < tapCols of
 * src_p[r - anchorRow + m][c - anchorCol + l] f_op[m][l],
 * for rows [rowStart, rowEnd) and columns [columnStart, columnEnd).
 *
 * Sources: `sourceCount` planes `planeBytes` apart from `sources`, `stride`
 * floats a row; rows outside [srcRowStart, srcRowEnd) and columns outside
 * [0, stride) count as zero (not read). Outputs: `outputTable` holds each
 * output plane's byte address (i32), planes of `stride` floats a row.
 * `spectra`: the filters' from f32_correlate_fft_spectra__simd128 with the
 * same n = 1 << log2Size (> tapRows, tapCols); `twiddles`: n cosines then n
 * sines of 2πj / n.
 *
 * Work: tiles of n - tapRows + 1 output rows by n - tapCols + 1 columns,
 * row-major from (rowStart, columnStart), in groups of `tilesPerGroup`;
 * groups [groupStart, groupEnd). Group g transforms in its own scratch of
 * (8 n² + 192) (ceil(sourceCount / 2) + outputCount + 1) bytes from
 * scratch + g times that.
 */
export function f32_correlate_fft_bank__simd128(
  sources: usize, sourceCount: i32, planeBytes: i32, stride: i32, srcRowStart: i32, srcRowEnd: i32,
  outputTable: usize, outputCount: i32, spectra: usize, log2Size: i32, twiddles: usize,
  tapRows: i32, tapCols: i32, anchorRow: i32, anchorCol: i32, rowStart: i32, rowEnd: i32, columnStart: i32, columnEnd: i32,
  scratch: usize, tilesPerGroup: i32, groupStart: i32, groupEnd: i32,
): void {
  const n = 1 << log2Size;
  const imOffset = (<usize>(n * n) << 2) + IM_OFFSET;
  const pairBytes = complexTileBytes(n);
  const pairs = (sourceCount + 1) >> 1;
  const groupBytes = pairBytes * <usize>(pairs + outputCount + 1);
  const tileRows = n - tapRows + 1;
  const tileCols = n - tapCols + 1;
  const across = (columnEnd - columnStart + tileCols - 1) / tileCols;
  const down = (rowEnd - rowStart + tileRows - 1) / tileRows;
  const last = across * down;
  for (let g = groupStart; g < groupEnd; g++) {
    const z = scratch + <usize>g * groupBytes;
    const y = z + pairBytes * <usize>pairs;
    const fftScratch = y + pairBytes * <usize>outputCount;
    for (let t = g * tilesPerGroup; t < min(last, (g + 1) * tilesPerGroup); t++) {
      // The tile's output (0, 0) is at (r0, c0), its first source row and column at (r0, c0) less the anchor.
      const r0 = rowStart + (t / across) * tileRows;
      const c0 = columnStart + (t % across) * tileCols;
      for (let q = 0; q < pairs; q++) {
        const re = z + pairBytes * <usize>q;
        const first = sources + <usize>(2 * q) * <usize>planeBytes;
        loadTile(re, first, n, stride, r0 - anchorRow, c0 - anchorCol, srcRowStart, srcRowEnd);
        if (2 * q + 1 < sourceCount) {
          loadTile(re + imOffset, first + <usize>planeBytes, n, stride, r0 - anchorRow, c0 - anchorCol, srcRowStart, srcRowEnd);
        } else {
          zeroFloats(re + imOffset, n * n);
        }
        fft2d(re, re + imOffset, log2Size, twiddles, false, fftScratch);
      }
      // The outputs' spectra by threes, twos: each loaded source spectrum serves all in a group.
      let o = 0;
      for (; o + 3 <= outputCount; o += 3) products(z, y, spectra, n, pairs, outputCount, o, 3);
      if (o + 2 <= outputCount) {
        products(z, y, spectra, n, pairs, outputCount, o, 2);
        o += 2;
      }
      if (o < outputCount) products(z, y, spectra, n, pairs, outputCount, o, 1);
      const rows = min(tileRows, rowEnd - r0);
      const cols = min(tileCols, columnEnd - c0);
      for (o = 0; o < outputCount; o++) {
        const re = y + pairBytes * <usize>o;
        fft2d(re, re + imOffset, log2Size, twiddles, true, fftScratch);
        const out = <usize>load<i32>(outputTable + (<usize>o << 2));
        for (let i = 0; i < rows; i++) {
          copyFloats(out + ((<usize>(r0 + i) * <usize>stride + <usize>c0) << 2), re + ((<usize>i * <usize>n) << 2), cols);
        }
      }
    }
  }
}

/** Rows [top, top + n) and columns [left, left + n) of a source into an n x n tile, zero outside its rows and columns. */
// @ts-ignore: decorator
@inline function loadTile(tile: usize, src: usize, n: i32, stride: i32, top: i32, left: i32, srcRowStart: i32, srcRowEnd: i32): void {
  const c0 = max(left, 0);
  const c1 = min(left + n, stride);
  for (let i = 0; i < n; i++) {
    const row = tile + (<usize>(i * n) << 2);
    const r = top + i;
    if (r < srcRowStart || r >= srcRowEnd || c1 <= c0) {
      zeroFloats(row, n);
      continue;
    }
    if (c0 > left) zeroFloats(row, c0 - left);
    copyFloats(row + (<usize>(c0 - left) << 2), src + ((<usize>r * <usize>stride + <usize>c0) << 2), c1 - c0);
    if (c1 < left + n) zeroFloats(row + (<usize>(c1 - left) << 2), left + n - c1);
  }
}

// Short rows are copied and cleared here rather than by memory.copy and memory.fill, which V8 calls out of line.


/** Copies `count` floats from src to dst. */
// @ts-ignore: decorator
@inline function copyFloats(dst: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** Sets `count` floats from dst on to zero. */
// @ts-ignore: decorator
@inline function zeroFloats(dst: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), f32x4.splat(0));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/**
 * Outputs [o, o + count) (count 1 to 3): y_o = sum over pairs q of z_q s_qo at
 * every frequency, four at a time, each source spectrum loaded once for all.
 */
// @ts-ignore: decorator
@inline function products(z: usize, y: usize, spectra: usize, n: i32, pairs: i32, outputCount: i32, o: i32, count: i32): void {
  const imOffset = (<usize>(n * n) << 2) + IM_OFFSET;
  const pairBytes = complexTileBytes(n);
  const groups = (n * n) >> 2;
  const outBytes = <usize>outputCount * (GROUP_FLOATS << 2);
  let s = spectra + <usize>o * (GROUP_FLOATS << 2);
  for (let v = 0; v < groups; v++) {
    const at = <usize>v << 4;
    let ar = f32x4.splat(0), ai = f32x4.splat(0);
    let br = f32x4.splat(0), bi = f32x4.splat(0);
    let cr = f32x4.splat(0), ci = f32x4.splat(0);
    let zq = z + at;
    for (let q = 0; q < pairs; q++, zq += pairBytes, s += outBytes) {
      const zr = v128.load(zq), zi = v128.load(zq + imOffset);
      // (zr + i zi)(sr + i si) = zr sr - zi si + i(zr si + zi sr)
      let sr = v128.load(s), si = v128.load(s, 16);
      ar = f32x4_mulsub(zi, si, f32x4_muladd(zr, sr, ar));
      ai = f32x4_muladd(zi, sr, f32x4_muladd(zr, si, ai));
      if (count > 1) {
        sr = v128.load(s, 32);
        si = v128.load(s, 48);
        br = f32x4_mulsub(zi, si, f32x4_muladd(zr, sr, br));
        bi = f32x4_muladd(zi, sr, f32x4_muladd(zr, si, bi));
      }
      if (count > 2) {
        sr = v128.load(s, 64);
        si = v128.load(s, 80);
        cr = f32x4_mulsub(zi, si, f32x4_muladd(zr, sr, cr));
        ci = f32x4_muladd(zi, sr, f32x4_muladd(zr, si, ci));
      }
    }
    const ya = y + <usize>o * pairBytes + at;
    v128.store(ya, ar);
    v128.store(ya + imOffset, ai);
    if (count > 1) {
      v128.store(ya + pairBytes, br);
      v128.store(ya + pairBytes + imOffset, bi);
    }
    if (count > 2) {
      v128.store(ya + 2 * pairBytes, cr);
      v128.store(ya + 2 * pairBytes + imOffset, ci);
    }
  }
}
