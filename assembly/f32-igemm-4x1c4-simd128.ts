import { f32x4_muladd, f32x4_relu_if } from './f32-vector';

/** Pixel tiles that share one pass over an output's weights (keeps their input rows in cache). */
const TILE_CHUNK = 32;

/**
 * Indirect GEMM for convolutions with very few output channels (a detector's
 * last layer has one): the vectors run along K, 4 consecutive (tap, channel)
 * products of one pixel per lane, where f32_igemm_4x8 runs them along 8
 * output channels, 7 of which would be padding. The same indirection buffer
 * `[tiles][taps][4]` (byte offsets from x, -1 for a row of zeros), the same
 * sum: for output pixel p and output channel n,
 *
 *   y[p][n] = sum over taps t, channels c of in(p, t)[c] * w[n][t][c] + bias[n]
 *
 * then ReLU if asked. Weights are packed `[channels][taps][tapChannels
 * rounded up to 4]`, zero-padded; bias holds `channels` floats. A tap's last
 * `tapChannels % 4` products are read one float at a time (loads past a row
 * could leave its buffer). The products are summed in 4 lanes, then across
 * them, before the bias is added: a different order from dlib's GEMM, within
 * the same rounding bound.
 *
 * Its loop runs at about 46% of the SIMD peak (5 loads, 4 multiply-adds and 5
 * pointer steps a vector). Measured in V8 and not taken (the face detector's
 * 9x9 layer, Node 22): two sums per pixel (8 chains) as fast; unrolled by two
 * vectors 1.33x slower (probably spilling: 10 loads and 8 sums live at once).
 *
 * Work: pixel tiles [tileStart, tileEnd) x output channels [blockStart, blockEnd).
 */
export function f32_igemm_4x1c4__simd128(
  x: usize, zero: usize, indirection: usize, taps: i32, tapChannels: i32,
  w: usize, bias: usize, y: usize, channels: i32, pixels: i32, relu: bool,
  tileStart: i32, tileEnd: i32, blockStart: i32, blockEnd: i32,
): void {
  const vectorBytes = <usize>(tapChannels & ~3) << 2;
  const rest = <usize>(tapChannels & 3) << 2;
  const tapBytes = <usize>((tapChannels + 3) & ~3) << 2;
  const outputBytes = <usize>taps * tapBytes;
  const yStride = <usize>channels << 2;
  for (let chunk = tileStart; chunk < tileEnd; chunk += TILE_CHUNK) {
    const chunkEnd = min(chunk + TILE_CHUNK, tileEnd);
    for (let n = blockStart; n < blockEnd; n++) {
      const wOutput = w + <usize>n * outputBytes;
      const b = f32x4.splat(load<f32>(bias + (<usize>n << 2)));
      for (let tile = chunk; tile < chunkEnd; tile++) {
        const zeroV = f32x4.splat(0);
        let c0 = zeroV, c1 = zeroV, c2 = zeroV, c3 = zeroV;
        let wTap = wOutput;
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
          let wp = wTap;
          const wEnd = wTap + vectorBytes;
          while (wp < wEnd) {
            const k = v128.load(wp);
            c0 = f32x4_muladd(v128.load(p0), k, c0);
            c1 = f32x4_muladd(v128.load(p1), k, c1);
            c2 = f32x4_muladd(v128.load(p2), k, c2);
            c3 = f32x4_muladd(v128.load(p3), k, c3);
            wp += 16;
            p0 += 16;
            p1 += 16;
            p2 += 16;
            p3 += 16;
          }
          for (let r: usize = 0; r < rest; r += 4) {
            const k = v128.load32_zero(wp + r);
            c0 = f32x4_muladd(v128.load32_zero(p0 + r), k, c0);
            c1 = f32x4_muladd(v128.load32_zero(p1 + r), k, c1);
            c2 = f32x4_muladd(v128.load32_zero(p2 + r), k, c2);
            c3 = f32x4_muladd(v128.load32_zero(p3 + r), k, c3);
          }
          wTap += tapBytes;
          ip += 16;
        }
        // Lane i of the sum: pixel i's four partial sums added.
        const s01 = f32x4.add(v128.shuffle<f32>(c0, c1, 0, 4, 1, 5), v128.shuffle<f32>(c0, c1, 2, 6, 3, 7));
        const s23 = f32x4.add(v128.shuffle<f32>(c2, c3, 0, 4, 1, 5), v128.shuffle<f32>(c2, c3, 2, 6, 3, 7));
        const sum = f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
        const out = f32x4_relu_if(f32x4.add(sum, b), relu);
        const rows = min(4, pixels - (tile << 2));
        const yp = y + <usize>(tile << 2) * yStride + (<usize>n << 2);
        if (channels == 1 && rows == 4) {
          v128.store(yp, out);
          continue;
        }
        store<f32>(yp, f32x4.extract_lane(out, 0));
        if (rows > 1) store<f32>(yp + yStride, f32x4.extract_lane(out, 1));
        if (rows > 2) store<f32>(yp + 2 * yStride, f32x4.extract_lane(out, 2));
        if (rows > 3) store<f32>(yp + 3 * yStride, f32x4.extract_lane(out, 3));
      }
    }
  }
}
