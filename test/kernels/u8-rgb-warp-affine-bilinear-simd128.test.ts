import { beforeAll, beforeEach, describe, it } from 'vitest';
import { expectExact, KERNEL_BUILDS, KernelHarness, randomInts } from '../support/kernel-harness.js';
import { random } from '../support/reference-conv.js';

// u8_rgb_warp_affine_bilinear__simd128, dlib's transform_image with
// interpolate_bilinear on an RGB image: output (c, r) samples the source at
// x = m00 c + m01 r + b0, y = m10 c + m11 r + b1, black unless floor(x),
// floor(x) + 1, floor(y), floor(y) + 1 are all inside the source (so x = width
// - 1 exactly is black), else (1 - fy)((1 - fx) tl + fx tr) + fy((1 - fx) bl +
// fx br) in double, truncated. The same double arithmetic here: exact. The
// kernel computes in f32 and redoes in double what f32 cannot decide, so the
// larger sources below put many values on or near whole numbers (few grey
// levels, exact thirds, whole-pixel points) and many equal samples (flat patches).

type Map = [number, number, number, number, number, number];

function reference(
  src: number[],
  width: number,
  height: number,
  rowBytes: number,
  stride: number,
  dw: number,
  dh: number,
  m: Map,
): Uint8Array {
  const [m00, m01, m10, m11, b0, b1] = m;
  const out = new Uint8Array(dw * dh * 3);
  for (let r = 0; r < dh; r++) {
    for (let c = 0; c < dw; c++) {
      const x = m00 * c + m01 * r + b0;
      const y = m10 * c + m11 * r + b1;
      const left = Math.floor(x);
      const top = Math.floor(y);
      if (!(left >= 0 && top >= 0 && left + 1 < width && top + 1 < height)) continue;
      const fx = x - left;
      const fy = y - top;
      const at = (yy: number, xx: number, k: number) => src[yy * rowBytes + xx * stride + k];
      for (let k = 0; k < 3; k++) {
        const v =
          (1 - fy) * ((1 - fx) * at(top, left, k) + fx * at(top, left + 1, k)) +
          fy * ((1 - fx) * at(top + 1, left, k) + fx * at(top + 1, left + 1, k));
        out[(r * dw + c) * 3 + k] = Math.trunc(v);
      }
    }
  }
  return out;
}

const maps: { name: string; dw: number; dh: number; m: Map }[] = [
  { name: 'identity', dw: 9, dh: 7, m: [1, 0, 0, 1, 0, 0] },
  { name: 'one pixel at the centre of four', dw: 1, dh: 1, m: [1, 0, 0, 1, 0.5, 0.5] },
  { name: 'one pixel exactly on the last column (black)', dw: 1, dh: 1, m: [1, 0, 0, 1, 8, 0] },
  { name: 'a chip: rotated, scaled and shifted, partly outside', dw: 13, dh: 11, m: [0.8, -0.35, 0.35, 0.8, 2.25, -1.5] },
  { name: 'up-sampled 4x with a sub-pixel offset', dw: 30, dh: 22, m: [0.25, 0, 0, 0.25, 0.125, 0.375] },
  { name: 'down-sampled, reflected', dw: 4, dh: 3, m: [-2.1, 0, 0, 2.3, 8.7, 0.2] },
  { name: 'all outside', dw: 3, dh: 2, m: [1, 0, 0, 1, -5, 20] },
];

describe.each(KERNEL_BUILDS)('u8_rgb_warp_affine_bilinear__simd128 (%s build)', (build) => {
  let h: KernelHarness;
  beforeAll(async () => {
    h = await KernelHarness.create(build);
  });
  beforeEach(() => h.reset());

  describe.each([3, 4])('pixel stride %i', (stride) => {
    it.each(maps)('$name, to $dw x $dh, whole and split by rows', ({ dw, dh, m }) => {
      const width = 9,
        height = 8;
      const rowBytes = width * stride + 3;
      const src = randomInts(random(dw * 100 + dh + stride), rowBytes * height, 256);
      const expected = reference(src, width, height, rowBytes, stride, dw, dh, m);
      const s = h.u8(src);
      for (const splits of [
        [0, dh],
        [0, Math.floor(dh / 2), dh],
      ]) {
        const dst = h.alloc(dw * dh * 3);
        for (let i = 0; i + 1 < splits.length; i++) {
          h.k.u8_rgb_warp_affine_bilinear__simd128(s, width, height, rowBytes, stride, dst, dw, ...m, splits[i], splits[i + 1]);
        }
        expectExact(h.readU8(dst, dw * dh * 3), expected, `rows ${splits}`);
      }
      h.expectGuardsIntact();
    });
  });
  const sources: { name: string; pixel: (next: () => number, x: number, y: number) => number }[] = [
    { name: 'noise', pixel: (next) => randomInts(next, 1, 256)[0] },
    { name: 'four grey levels', pixel: (next) => randomInts(next, 1, 4)[0] },
    {
      name: 'flat 8x8 patches, 1 in 16 samples off',
      pixel: (next, x, y) => (next() > 0.875 ? randomInts(next, 1, 256)[0] : ((x >> 3) * 37 + (y >> 3) * 91) & 255),
    },
  ];
  const largeMaps: { name: string; m: Map }[] = [
    { name: 'rotated and shrunk', m: [0.9, -0.4, 0.4, 0.9, 12.3, 3.7] },
    { name: 'enlarged 3x (thirds of a pixel)', m: [1 / 3, 0, 0, 1 / 3, 5 + 1 / 3, 7] },
    { name: 'shrunk 7x and rotated', m: [Math.cos(0.2) * 1.4, -Math.sin(0.2) * 1.4, Math.sin(0.2) * 1.4, Math.cos(0.2) * 1.4, 8.5, 0.25] },
    { name: 'whole-pixel points', m: [1, 0, 0, 1, 3, 4] },
    { name: 'across the edges', m: [1.9, 0.05, -0.03, 1.7, -3.5, -2.25] },
  ];
  describe.each([3, 4])('a 64x48 source, pixel stride %i', (stride) => {
    it.each(sources)('$name, through every map, to 37 x 29', ({ name, pixel }) => {
      const width = 64,
        height = 48,
        dw = 37,
        dh = 29;
      const rowBytes = width * stride;
      const next = random(name.length * 7 + stride);
      const src = Array.from({ length: rowBytes * height }, (_, i) => pixel(next, (i % rowBytes) / stride, Math.floor(i / rowBytes)));
      const s = h.u8(src);
      for (const { name: map, m } of largeMaps) {
        const dst = h.alloc(dw * dh * 3);
        h.k.u8_rgb_warp_affine_bilinear__simd128(s, width, height, rowBytes, stride, dst, dw, ...m, 0, dh);
        expectExact(h.readU8(dst, dw * dh * 3), reference(src, width, height, rowBytes, stride, dw, dh, m), map);
      }
      h.expectGuardsIntact();
    });
  });
});
