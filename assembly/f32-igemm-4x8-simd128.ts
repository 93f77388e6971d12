import { f32x4_muladd, f32x4_relu_if, f32x4_store_first } from './f32-vector';

/** Pixel tiles that share one pass over a block of weights (keeps their input rows in cache). */
const TILE_CHUNK = 32;

/**
 * Indirect GEMM: a convolution (or fully connected layer) without an im2col
 * copy. For output pixel p and output channel n:
 *
 *   y[p][n] = sum over taps t, channels c of in(p, t)[c] * w[t*tapChannels + c][n] + bias[n]
 *
 * then ReLU if asked. in(p, t) is the input row the indirection buffer names
 * for pixel p and tap t: a byte offset from x, or -1 for a row of zeros
 * (padding). Pixels come in tiles of 4, the buffer is `[tiles][taps][4]` i32,
 * and a short last tile repeats a valid pixel. Weights are packed
 * `[blocks][taps*tapChannels][8]` and bias `[blocks*8]`, zero-padded to whole
 * blocks of 8 output channels. y holds `channels` floats per pixel (NHWC).
 *
 * The products are summed from zero in (tap, channel) order and the bias is
 * added last, as dlib's im2col GEMM followed by its bias add rounds them.
 *
 * Work: pixel tiles [tileStart, tileEnd) x channel blocks [blockStart, blockEnd).
 */
export function f32_igemm_4x8__simd128(
  x: usize, zero: usize, indirection: usize, taps: i32, tapChannels: i32,
  w: usize, bias: usize, y: usize, channels: i32, pixels: i32, relu: bool,
  tileStart: i32, tileEnd: i32, blockStart: i32, blockEnd: i32,
): void {
  igemm(x, zero, indirection, taps, tapChannels, w, bias, y, channels, pixels, relu, tileStart, tileEnd, blockStart, blockEnd);
}

/**
 * `batch` igemms of the same shape, indirection and bias (as the 16 or 36
 * transform-domain GEMMs of a Winograd convolution): GEMM g reads
 * x + g*xBatchStride and w + g*wBatchStride and writes y + g*yBatchStride
 * (in bytes).
 *
 * Work: pixel tiles [tileStart, tileEnd) x channel blocks [blockStart, blockEnd), of every GEMM.
 */
export function f32_igemm_4x8_batched__simd128(
  x: usize, zero: usize, indirection: usize, taps: i32, tapChannels: i32,
  w: usize, bias: usize, y: usize, channels: i32, pixels: i32, relu: bool,
  batch: i32, xBatchStride: usize, wBatchStride: usize, yBatchStride: usize,
  tileStart: i32, tileEnd: i32, blockStart: i32, blockEnd: i32,
): void {
  for (let g = 0; g < batch; g++) {
    igemm(
      x + <usize>g * xBatchStride, zero, indirection, taps, tapChannels, w + <usize>g * wBatchStride, bias,
      y + <usize>g * yBatchStride, channels, pixels, relu, tileStart, tileEnd, blockStart, blockEnd,
    );
  }
}

/**
 * The igemm itself. Called from both kernels, so that it stays a function of
 * its own: inlined into the batched kernel's loop, the loop's extra live
 * values cost the microkernel registers and it ran 20-30% slower.
 */
function igemm(
  x: usize, zero: usize, indirection: usize, taps: i32, tapChannels: i32,
  w: usize, bias: usize, y: usize, channels: i32, pixels: i32, relu: bool,
  tileStart: i32, tileEnd: i32, blockStart: i32, blockEnd: i32,
): void {
  const blockBytes = <usize>(taps * tapChannels) << 5;
  const rowBytes = <usize>tapChannels << 2;
  const yStride = <usize>channels << 2;
  for (let chunk = tileStart; chunk < tileEnd; chunk += TILE_CHUNK) {
    const chunkEnd = min(chunk + TILE_CHUNK, tileEnd);
    for (let block = blockStart; block < blockEnd; block++) {
      const wBlock = w + <usize>block * blockBytes;
      const biasBlock = bias + (<usize>block << 5);
      const cols = min(8, channels - (block << 3));
      for (let tile = chunk; tile < chunkEnd; tile++) {
        const zeroV = f32x4.splat(0);
        let c00 = zeroV, c01 = zeroV, c10 = zeroV, c11 = zeroV;
        let c20 = zeroV, c21 = zeroV, c30 = zeroV, c31 = zeroV;
        let wp = wBlock;
        let ip = indirection + (<usize>(tile * taps) << 4);
        for (let t = 0; t < taps; t++) {
          const e0 = load<i32>(ip);
          const e1 = load<i32>(ip, 4);
          const e2 = load<i32>(ip, 8);
          const e3 = load<i32>(ip, 12);
          let p0 = select<usize>(zero, x + <usize>e0, e0 < 0);
          let p1 = select<usize>(zero, x + <usize>e1, e1 < 0);
          let p2 = select<usize>(zero, x + <usize>e2, e2 < 0);
          let p3 = select<usize>(zero, x + <usize>e3, e3 < 0);
          // The row pointers advance with the weights rather than being indexed by an offset: with
          // p + off, V8 recomputed each select inside this loop (too few registers to keep them), and
          // it ran 7% slower in the face model. Unrolled by two channels (the second's loads at fixed
          // offsets), every layer of the CNN face detector ran 1.5-1.7x slower (Node 22).
          const wEnd = wp + (rowBytes << 3);
          while (wp < wEnd) {
            const b0 = v128.load(wp);
            const b1 = v128.load(wp, 16);
            const a0 = v128.load32_splat(p0);
            const a1 = v128.load32_splat(p1);
            const a2 = v128.load32_splat(p2);
            const a3 = v128.load32_splat(p3);
            c00 = f32x4_muladd(a0, b0, c00);
            c01 = f32x4_muladd(a0, b1, c01);
            c10 = f32x4_muladd(a1, b0, c10);
            c11 = f32x4_muladd(a1, b1, c11);
            c20 = f32x4_muladd(a2, b0, c20);
            c21 = f32x4_muladd(a2, b1, c21);
            c30 = f32x4_muladd(a3, b0, c30);
            c31 = f32x4_muladd(a3, b1, c31);
            wp += 32;
            p0 += 4;
            p1 += 4;
            p2 += 4;
            p3 += 4;
          }
          ip += 16;
        }
        const bias0 = v128.load(biasBlock);
        const bias1 = v128.load(biasBlock, 16);
        const rows = min(4, pixels - (tile << 2));
        const yp = y + <usize>(tile << 2) * yStride + (<usize>block << 5);
        storeRow(yp, finish(c00, bias0, relu), finish(c01, bias1, relu), cols);
        if (rows > 1) storeRow(yp + yStride, finish(c10, bias0, relu), finish(c11, bias1, relu), cols);
        if (rows > 2) storeRow(yp + 2 * yStride, finish(c20, bias0, relu), finish(c21, bias1, relu), cols);
        if (rows > 3) storeRow(yp + 3 * yStride, finish(c30, bias0, relu), finish(c31, bias1, relu), cols);
      }
    }
  }
}

// @ts-ignore: decorator
@inline function finish(acc: v128, bias: v128, relu: bool): v128 {
  return f32x4_relu_if(f32x4.add(acc, bias), relu);
}

// @ts-ignore: decorator
@inline function storeRow(ptr: usize, lo: v128, hi: v128, cols: i32): void {
  if (cols == 8) {
    v128.store(ptr, lo);
    v128.store(ptr, hi, 16);
  } else {
    f32x4_store_first(ptr, lo, cols);
    f32x4_store_first(ptr + 16, hi, cols - 4);
  }
}
