// libjpeg's accurate integer inverse DCT (jidctint.c, jpeg_idct_islow),
// bit for bit: the same 13-bit constants, the same order of operations in
// wrapping 32-bit arithmetic (as libjpeg's JLONG is in wasm32, so even
// overflowing coefficients give its bytes), its shortcuts for columns and
// rows whose AC terms are all zero (which differ from the full path only
// when that overflows), and its range-limit table, which wraps a value at
// 10 bits before it clamps. Four columns, then four rows, per i32x4.

const CONST_BITS = 13;
const PASS1_BITS = 2;

/**
 * One 1-D pass over four lanes: x0..x7 are the eight inputs of four columns
 * (or rows), the results go to `out` (eight v128, 16 bytes apart) descaled
 * by `shift` with rounding; lanes whose x1..x7 are all zero take
 * `shortcut` instead, as libjpeg skips those.
 */
// @ts-ignore: decorator
@inline
function idctPass(
  x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, x6: v128, x7: v128,
  shift: i32, shortcut: v128, zero: v128, out: usize,
): void {
  // Even part.
  let z1 = i32x4.mul(i32x4.add(x2, x6), i32x4.splat(4433));
  let tmp2 = i32x4.add(z1, i32x4.mul(x6, i32x4.splat(-15137)));
  let tmp3 = i32x4.add(z1, i32x4.mul(x2, i32x4.splat(6270)));
  let tmp0 = i32x4.shl(i32x4.add(x0, x4), CONST_BITS);
  let tmp1 = i32x4.shl(i32x4.sub(x0, x4), CONST_BITS);
  const tmp10 = i32x4.add(tmp0, tmp3);
  const tmp13 = i32x4.sub(tmp0, tmp3);
  const tmp11 = i32x4.add(tmp1, tmp2);
  const tmp12 = i32x4.sub(tmp1, tmp2);
  // Odd part.
  z1 = i32x4.add(x7, x1);
  let z2 = i32x4.add(x5, x3);
  let z3 = i32x4.add(x7, x3);
  let z4 = i32x4.add(x5, x1);
  const z5 = i32x4.mul(i32x4.add(z3, z4), i32x4.splat(9633));
  tmp0 = i32x4.mul(x7, i32x4.splat(2446));
  tmp1 = i32x4.mul(x5, i32x4.splat(16819));
  tmp2 = i32x4.mul(x3, i32x4.splat(25172));
  tmp3 = i32x4.mul(x1, i32x4.splat(12299));
  z1 = i32x4.mul(z1, i32x4.splat(-7373));
  z2 = i32x4.mul(z2, i32x4.splat(-20995));
  z3 = i32x4.add(i32x4.mul(z3, i32x4.splat(-16069)), z5);
  z4 = i32x4.add(i32x4.mul(z4, i32x4.splat(-3196)), z5);
  tmp0 = i32x4.add(tmp0, i32x4.add(z1, z3));
  tmp1 = i32x4.add(tmp1, i32x4.add(z2, z4));
  tmp2 = i32x4.add(tmp2, i32x4.add(z2, z3));
  tmp3 = i32x4.add(tmp3, i32x4.add(z1, z4));
  const round = i32x4.splat(1 << (shift - 1));
  v128.store(out, v128.bitselect(shortcut, i32x4.shr_s(i32x4.add(i32x4.add(tmp10, tmp3), round), shift), zero));
  v128.store(out, v128.bitselect(shortcut, i32x4.shr_s(i32x4.add(i32x4.add(tmp11, tmp2), round), shift), zero), 16);
  v128.store(out, v128.bitselect(shortcut, i32x4.shr_s(i32x4.add(i32x4.add(tmp12, tmp1), round), shift), zero), 32);
  v128.store(out, v128.bitselect(shortcut, i32x4.shr_s(i32x4.add(i32x4.add(tmp13, tmp0), round), shift), zero), 48);
  v128.store(out, v128.bitselect(shortcut, i32x4.shr_s(i32x4.add(i32x4.sub(tmp13, tmp0), round), shift), zero), 64);
  v128.store(out, v128.bitselect(shortcut, i32x4.shr_s(i32x4.add(i32x4.sub(tmp12, tmp1), round), shift), zero), 80);
  v128.store(out, v128.bitselect(shortcut, i32x4.shr_s(i32x4.add(i32x4.sub(tmp11, tmp2), round), shift), zero), 96);
  v128.store(out, v128.bitselect(shortcut, i32x4.shr_s(i32x4.add(i32x4.sub(tmp10, tmp3), round), shift), zero), 112);
}

/** Columns 4*half .. 4*half+3 of the block, dequantized, through the first pass into `ws` (8 rows of 4 lanes). */
// @ts-ignore: decorator
@inline
function columnPass(coefs: usize, quant: usize, high: bool, acZero: v128, ws: usize): void {
  let x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, x6: v128, x7: v128;
  if (high) {
    x0 = i32x4.extmul_high_i16x8_s(v128.load(coefs), v128.load(quant));
    x1 = i32x4.extmul_high_i16x8_s(v128.load(coefs, 16), v128.load(quant, 16));
    x2 = i32x4.extmul_high_i16x8_s(v128.load(coefs, 32), v128.load(quant, 32));
    x3 = i32x4.extmul_high_i16x8_s(v128.load(coefs, 48), v128.load(quant, 48));
    x4 = i32x4.extmul_high_i16x8_s(v128.load(coefs, 64), v128.load(quant, 64));
    x5 = i32x4.extmul_high_i16x8_s(v128.load(coefs, 80), v128.load(quant, 80));
    x6 = i32x4.extmul_high_i16x8_s(v128.load(coefs, 96), v128.load(quant, 96));
    x7 = i32x4.extmul_high_i16x8_s(v128.load(coefs, 112), v128.load(quant, 112));
  } else {
    x0 = i32x4.extmul_low_i16x8_s(v128.load(coefs), v128.load(quant));
    x1 = i32x4.extmul_low_i16x8_s(v128.load(coefs, 16), v128.load(quant, 16));
    x2 = i32x4.extmul_low_i16x8_s(v128.load(coefs, 32), v128.load(quant, 32));
    x3 = i32x4.extmul_low_i16x8_s(v128.load(coefs, 48), v128.load(quant, 48));
    x4 = i32x4.extmul_low_i16x8_s(v128.load(coefs, 64), v128.load(quant, 64));
    x5 = i32x4.extmul_low_i16x8_s(v128.load(coefs, 80), v128.load(quant, 80));
    x6 = i32x4.extmul_low_i16x8_s(v128.load(coefs, 96), v128.load(quant, 96));
    x7 = i32x4.extmul_low_i16x8_s(v128.load(coefs, 112), v128.load(quant, 112));
  }
  // The zero test is on the coefficients, before dequantizing, as libjpeg's.
  const zero = high ? i32x4.extend_high_i16x8_s(acZero) : i32x4.extend_low_i16x8_s(acZero);
  idctPass(x0, x1, x2, x3, x4, x5, x6, x7, CONST_BITS - PASS1_BITS, i32x4.shl(x0, PASS1_BITS), zero, ws);
}

/**
 * Rows 4*group .. 4*group+3: the first pass's output (`ws`: rows of 8 i32,
 * column halves 128 bytes apart) transposed, through the second pass into
 * `out` (eight v128: output column j of the four rows).
 */
// @ts-ignore: decorator
@inline
function rowPass(ws: usize, group: usize, out: usize): void {
  const lo = ws + group * 64;
  const hi = lo + 128;
  // 4x4 transposes: x_j holds column j of the four rows.
  let a0 = v128.load(lo), a1 = v128.load(lo, 16), a2 = v128.load(lo, 32), a3 = v128.load(lo, 48);
  let t0 = i32x4.shuffle(a0, a1, 0, 4, 1, 5), t1 = i32x4.shuffle(a0, a1, 2, 6, 3, 7);
  let t2 = i32x4.shuffle(a2, a3, 0, 4, 1, 5), t3 = i32x4.shuffle(a2, a3, 2, 6, 3, 7);
  const x0 = i32x4.shuffle(t0, t2, 0, 1, 4, 5), x1 = i32x4.shuffle(t0, t2, 2, 3, 6, 7);
  const x2 = i32x4.shuffle(t1, t3, 0, 1, 4, 5), x3 = i32x4.shuffle(t1, t3, 2, 3, 6, 7);
  a0 = v128.load(hi); a1 = v128.load(hi, 16); a2 = v128.load(hi, 32); a3 = v128.load(hi, 48);
  t0 = i32x4.shuffle(a0, a1, 0, 4, 1, 5); t1 = i32x4.shuffle(a0, a1, 2, 6, 3, 7);
  t2 = i32x4.shuffle(a2, a3, 0, 4, 1, 5); t3 = i32x4.shuffle(a2, a3, 2, 6, 3, 7);
  const x4 = i32x4.shuffle(t0, t2, 0, 1, 4, 5), x5 = i32x4.shuffle(t0, t2, 2, 3, 6, 7);
  const x6 = i32x4.shuffle(t1, t3, 0, 1, 4, 5), x7 = i32x4.shuffle(t1, t3, 2, 3, 6, 7);
  const ac = v128.or(v128.or(v128.or(x1, x2), v128.or(x3, x4)), v128.or(v128.or(x5, x6), x7));
  const zero = i32x4.eq(ac, i32x4.splat(0));
  const shortcut = i32x4.shr_s(i32x4.add(x0, i32x4.splat(1 << (PASS1_BITS + 2))), PASS1_BITS + 3);
  idctPass(x0, x1, x2, x3, x4, x5, x6, x7, CONST_BITS + PASS1_BITS + 3, shortcut, zero, out);
}

/** libjpeg's range-limit table as arithmetic: the low 10 bits, signed, plus 128, clamped (by the narrowing that follows). */
// @ts-ignore: decorator
@inline
function rangeLimit(v: v128): v128 {
  return i32x4.add(i32x4.shr_s(i32x4.shl(v, 22), 22), i32x4.splat(128));
}

/** Output column j of rows 0..7 as i16: the two row groups' column j, range-limited. */
// @ts-ignore: decorator
@inline
function outputColumn(out: usize, j: usize): v128 {
  return i16x8.narrow_i32x4_s(rangeLimit(v128.load(out + j * 16)), rangeLimit(v128.load(out + 128 + j * 16)));
}

/**
 * The 8x8 block of coefficients `coefs` (64 i16, natural order), times the
 * quantization table `quant` (64 i16, natural order), inverse transformed to
 * 8x8 samples at `dst`, rows `stride` bytes apart. `scratch`: 512 bytes,
 * 16-aligned.
 */
// @ts-ignore: decorator
@inline
export function idctIslow8x8(coefs: usize, quant: usize, dst: usize, stride: usize, scratch: usize): void {
  const acRows = v128.or(
    v128.or(v128.or(v128.load(coefs, 16), v128.load(coefs, 32)), v128.or(v128.load(coefs, 48), v128.load(coefs, 64))),
    v128.or(v128.or(v128.load(coefs, 80), v128.load(coefs, 96)), v128.load(coefs, 112)),
  );
  const acZero = i16x8.eq(acRows, i16x8.splat(0));
  const ws = scratch;
  // ws: columns 0..3 as 8 rows of 4 i32 (128 bytes), then columns 4..7.
  columnPass(coefs, quant, false, acZero, ws);
  if (i64x2.extract_lane(v128.or(acRows, v128.load(coefs)), 1) == 0) {
    // Columns 4..7 all zero (common: the high frequencies quantized away) give zeros, by the shortcut.
    const zero = i32x4.splat(0);
    for (let r: usize = 0; r < 128; r += 16) v128.store(ws + 128 + r, zero);
  } else {
    columnPass(coefs, quant, true, acZero, ws + 128);
  }
  const out = scratch + 256;
  // out: rows 0..3 as 8 output columns of 4 lanes (128 bytes), then rows 4..7.
  rowPass(ws, 0, out);
  rowPass(ws, 1, out + 128);
  // Columns (8 rows each, as bytes) to rows: p_k holds columns 2k and 2k+1.
  const p0 = i8x16.narrow_i16x8_u(outputColumn(out, 0), outputColumn(out, 1));
  const p1 = i8x16.narrow_i16x8_u(outputColumn(out, 2), outputColumn(out, 3));
  const p2 = i8x16.narrow_i16x8_u(outputColumn(out, 4), outputColumn(out, 5));
  const p3 = i8x16.narrow_i16x8_u(outputColumn(out, 6), outputColumn(out, 7));
  // Columns 0..3 (a) and 4..7 (b) of rows 0..3 and 4..7, four bytes per row.
  const a03 = i8x16.shuffle(p0, p1, 0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27);
  const a47 = i8x16.shuffle(p0, p1, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31);
  const b03 = i8x16.shuffle(p2, p3, 0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27);
  const b47 = i8x16.shuffle(p2, p3, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31);
  const r01 = i8x16.shuffle(a03, b03, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
  const r23 = i8x16.shuffle(a03, b03, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
  const r45 = i8x16.shuffle(a47, b47, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
  const r67 = i8x16.shuffle(a47, b47, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
  v128.store64_lane(dst, r01, 0);
  v128.store64_lane(dst + stride, r01, 1);
  v128.store64_lane(dst + 2 * stride, r23, 0);
  v128.store64_lane(dst + 3 * stride, r23, 1);
  v128.store64_lane(dst + 4 * stride, r45, 0);
  v128.store64_lane(dst + 5 * stride, r45, 1);
  v128.store64_lane(dst + 6 * stride, r67, 0);
  v128.store64_lane(dst + 7 * stride, r67, 1);
}

/**
 * A block whose only nonzero coefficient is its DC: every path of libjpeg's
 * IDCT takes both shortcuts, so all 64 samples are one value.
 */
// @ts-ignore: decorator
@inline
export function idctIslowDcOnly(dc: i32, quant: i32, dst: usize, stride: usize): void {
  const v = ((((dc * quant) << PASS1_BITS) + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3)) << 22 >> 22;
  const sample = <u8>min(max(v + 128, 0), 255);
  const row = i8x16.splat(sample);
  for (let r: usize = 0; r < 8; r++) v128.store64_lane(dst + r * stride, row, 0);
}
