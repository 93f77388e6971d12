import { f32x4_muladd, f32x4_relu_if, f32x4_store_first } from './f32-vector';

/**
 * C[m][n] = A[m][k] * B[k][n] + bias[m], then ReLU if asked.
 *
 * The products are summed from zero in k order and the bias added last, as
 * dlib's BLAS GEMM followed by its bias add rounds them.
 *
 * A is packed by `packGemmA` (row blocks of 4, `[m/4][k][4]`, zero-padded),
 * bias has one value per packed row. B and C are row-major with leading
 * dimensions ldb and ldc (in floats). Tiles are 4 rows by 8 columns (two
 * vectors); the last column tile reads up to 7 floats past a row of B, which
 * the caller keeps inside memory, and stores only the valid ones.
 */
export function f32_gemm_4x8__simd128(
  m: i32, n: i32, k: i32, a: usize, bias: usize, b: usize, ldb: i32, c: usize, ldc: i32, relu: bool,
): void {
  const bStride = <usize>ldb << 2;
  const cStride = <usize>ldc << 2;
  for (let mb = 0; mb < m; mb += 4) {
    const aBlock = a + (<usize>mb * <usize>k << 2);
    const bias0 = v128.load32_splat(bias + (<usize>mb << 2));
    const bias1 = v128.load32_splat(bias + (<usize>mb << 2), 4);
    const bias2 = v128.load32_splat(bias + (<usize>mb << 2), 8);
    const bias3 = v128.load32_splat(bias + (<usize>mb << 2), 12);
    const rows = min(4, m - mb);
    const cRow = c + <usize>mb * cStride;
    for (let nb = 0; nb < n; nb += 8) {
      const zero = f32x4.splat(0);
      let c00 = zero, c01 = zero, c10 = zero, c11 = zero;
      let c20 = zero, c21 = zero, c30 = zero, c31 = zero;
      let ap = aBlock;
      let bp = b + (<usize>nb << 2);
      for (let kk = 0; kk < k; kk++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const a0 = v128.load32_splat(ap);
        const a1 = v128.load32_splat(ap, 4);
        const a2 = v128.load32_splat(ap, 8);
        const a3 = v128.load32_splat(ap, 12);
        c00 = f32x4_muladd(a0, b0, c00);
        c01 = f32x4_muladd(a0, b1, c01);
        c10 = f32x4_muladd(a1, b0, c10);
        c11 = f32x4_muladd(a1, b1, c11);
        c20 = f32x4_muladd(a2, b0, c20);
        c21 = f32x4_muladd(a2, b1, c21);
        c30 = f32x4_muladd(a3, b0, c30);
        c31 = f32x4_muladd(a3, b1, c31);
        ap += 16;
        bp += bStride;
      }
      const cols = min(8, n - nb);
      const cp = cRow + (<usize>nb << 2);
      storeRow(cp, finish(c00, bias0, relu), finish(c01, bias0, relu), cols);
      if (rows > 1) storeRow(cp + cStride, finish(c10, bias1, relu), finish(c11, bias1, relu), cols);
      if (rows > 2) storeRow(cp + 2 * cStride, finish(c20, bias2, relu), finish(c21, bias2, relu), cols);
      if (rows > 3) storeRow(cp + 3 * cStride, finish(c30, bias3, relu), finish(c31, bias3, relu), cols);
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
