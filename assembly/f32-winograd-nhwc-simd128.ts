import { f32_igemm_4x8_batched__simd128 } from './f32-igemm-4x8-simd128';
import { f32_winograd_2x2_3x3_input_nhwc__simd128 } from './f32-winograd-2x2-3x3-input-nhwc-simd128';
import { f32_winograd_2x2_3x3_output_nhwc__simd128 } from './f32-winograd-2x2-3x3-output-nhwc-simd128';
import { f32_winograd_input_nhwc__simd128 } from './f32-winograd-input-nhwc-simd128';
import { f32_winograd_output_nhwc__simd128 } from './f32-winograd-output-nhwc-simd128';

/**
 * Groups of 4 tiles per pass of the three stages, at most: their V and M rows
 * stay in cache from one stage to the next.
 */
const GROUPS_PER_PASS = 4;
/**
 * Bytes of a pass's V rows of one position, at most: each GEMM reads them
 * again for every block of 8 filters while its weights stream through, and
 * those reads stay in L1 only while the rows are few. Passes of 4 groups
 * where channels are few, 2 from 128 channels on, 1 from 256 (the face
 * model's 128-channel F(4x4, 3x3) layers 5% faster in passes of 2 groups
 * than of 4, its 256-channel F(2x2, 3x3) ones 15-21% faster in passes of 1
 * or 2; its 32- and 64-channel F(6x6, 3x3) ones 1-2% slower in passes of 1,
 * 4-5% slower in passes of 8 or 16: Node 22, 1 thread, batch 8).
 */
const PASS_POSITION_V_BYTES: usize = 4096;

/**
 * A whole Winograd F(2x2, 3x3), F(4x4, 3x3), F(6x6, 3x3), F(2x2, 5x5),
 * F(4x4, 5x5) or F(6x6, 5x5) convolution (outputTile 2, 4 or 6, kernelSize 3
 * or 5), a few tiles at a time: the input transform of a pass's tiles (16,
 * or 8 or 4 where V's rows are wide: PASS_POSITION_V_BYTES) into V, the
 * 16 (4x4 input tiles), 36 (6x6), 64 (8x8) or 100 (10x10) transform-domain GEMMs of their rows into M (the batched igemm,
 * weights w + ξ*wMatrixBytes, no bias), the output transform of those rows
 * with the bias; then the next pass's tiles. M's rows hold the filters rounded
 * up to 4; the output is the input's size padded, less the kernel's, plus 1.
 * Each call (a thread's range of n groups) owns the part of vAll and mAll
 * from its first group's (alpha² * 4 rows a group, `positions * 4 * row`
 * bytes each): it lays out each pass there as alpha² matrices of the pass's
 * rows, pass after pass in the same bytes, which stay in cache; the rest of
 * the buffers (laid out for every tile, hundreds of MB for a large photo)
 * is never touched, so never resident. From one matrix to the next, an odd
 * number of cache lines where the range's part leaves room (the rows a
 * tile's transform reads or writes in different cache sets). Laid out for
 * every tile instead (`[alpha²][tiles]`, each pass in rows a whole matrix
 * apart), the face detector's Winograd layers ran 1-5% slower (Node 22).
 * Run as three steps, each over all
 * tiles, V and M went to memory and back: measured 15-25% slower on the
 * face detector's 5x5 layers, the same on the face model's 3x3 ones. The
 * arguments are the three kernels', `tiles` the count over all samples;
 * `fold` 2 (the input transform's, for outputTile 4 or 6) reads the tiles of
 * x's space to depth without a copy of it.
 *
 * Work: groups of 4 tiles [groupStart, groupEnd), counted over all samples.
 */
export function f32_winograd_nhwc__simd128(
  outputTile: i32, kernelSize: i32, fold: i32, x: usize, zero: usize, height: i32, width: i32, channels: i32, padY: i32, padX: i32,
  tilesY: i32, tilesX: i32, tiles: i32, vAll: usize, indirection: usize,
  w: usize, wMatrixBytes: usize, zeroBias: usize, mAll: usize,
  bias: usize, filters: i32, y: usize, relu: bool,
  groupStart: i32, groupEnd: i32,
): void {
  const alpha = outputTile + kernelSize - 1;
  const positions = alpha * alpha;
  // M's rows: the filters in whole vectors; the output: the (folded) input's size, padded, less the kernel's.
  const mChannels = (filters + 3) & ~3;
  const outHeight = (height + fold - 1) / fold + 2 * padY - kernelSize + 1;
  const outWidth = (width + fold - 1) / fold + 2 * padX - kernelSize + 1;
  // The GEMMs' K: the channels of the tiles (x's, or 4 times x's folded).
  const k = fold * fold * channels;
  const vRowBytes = <usize>((k + 3) & ~3) << 2;
  const mRowBytes = <usize>mChannels << 2;
  const groupsPerPass = <i32>max<usize>(1, min<usize>(GROUPS_PER_PASS, PASS_POSITION_V_BYTES / (vRowBytes << 2)));
  const passRows = min(groupsPerPass, groupEnd - groupStart) << 2;
  const ownedRows = <usize>(groupEnd - groupStart) << 2;
  const vMatrixBytes = matrixStride(passRows, vRowBytes, ownedRows);
  const mMatrixBytes = matrixStride(passRows, mRowBytes, ownedRows);
  const vOwned = vAll + <usize>(groupStart << 2) * <usize>positions * vRowBytes;
  const mOwned = mAll + <usize>(groupStart << 2) * <usize>positions * mRowBytes;
  for (let group = groupStart; group < groupEnd; group += groupsPerPass) {
    const passEnd = min(group + groupsPerPass, groupEnd);
    const tileStart = group << 2;
    const tileEnd = min(passEnd << 2, tiles);
    // The kernels index V and M by tile: their bases move back by the tiles before this pass (addresses wrap, as wasm's do).
    const v = vOwned - <usize>tileStart * vRowBytes;
    const m = mOwned - <usize>tileStart * mRowBytes;
    if (alpha > 4) {
      f32_winograd_input_nhwc__simd128(alpha, outputTile, fold, x, zero, height, width, channels, padY, padX, tilesY, tilesX, v, vMatrixBytes, tileStart, tileEnd);
    } else {
      f32_winograd_2x2_3x3_input_nhwc__simd128(x, zero, height, width, channels, padY, padX, tilesY, tilesX, v, vMatrixBytes, tileStart, tileEnd);
    }
    f32_igemm_4x8_batched__simd128(
      v, zero, indirection, 1, k, w, zeroBias, m, mChannels, tiles, false,
      positions, vMatrixBytes, wMatrixBytes, mMatrixBytes, group, passEnd, 0, (mChannels + 7) >> 3,
    );
    if (alpha > 4) {
      f32_winograd_output_nhwc__simd128(alpha, outputTile, m, mMatrixBytes, bias, filters, outHeight, outWidth, tilesY, tilesX, y, relu, tileStart, tileEnd);
    } else {
      f32_winograd_2x2_3x3_output_nhwc__simd128(m, mMatrixBytes, bias, filters, outHeight, outWidth, tilesY, tilesX, y, relu, tileStart, tileEnd);
    }
  }
}

/**
 * Bytes from one of a pass's alpha² matrices of `rows` rows to the next: an
 * odd number of cache lines, if the range's part of the buffer (alpha²
 * `owned` rows) holds them; else the rows alone.
 */
function matrixStride(rows: i32, rowBytes: usize, owned: usize): usize {
  const bytes = <usize>rows * rowBytes;
  const odd = ((bytes + 127) & ~127) + 64;
  return odd <= owned * rowBytes ? odd : bytes;
}
