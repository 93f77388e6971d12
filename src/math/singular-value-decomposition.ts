/** A = U diag(S) Vᵀ with the singular values in decreasing order. */
export interface SingularValueDecomposition {
  /** rows x k, column-major: column j (the j-th left singular vector) at `u.subarray(j * rows, (j + 1) * rows)`. */
  u: Float64Array;
  /** k = min(rows, cols) values, largest first. */
  s: Float64Array;
  /** cols x k, column-major likewise. */
  v: Float64Array;
}

const MAX_SWEEPS = 100;

/**
 * The SVD of a small dense row-major matrix by one-sided Jacobi rotations
 * (Hestenes), accurate to a few units in the last place of each singular
 * triple, well enough that a vector rounded to f32 comes out as any other
 * accurate SVD's (LAPACK's included) nearly always.
 */
export function singularValueDecomposition(a: ArrayLike<number>, rows: number, cols: number): SingularValueDecomposition {
  if (rows < cols) {
    const transposed = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) transposed[c * rows + r] = a[r * cols + c];
    const { u, s, v } = singularValueDecomposition(transposed, cols, rows);
    return { u: v, s, v: u };
  }
  const m = rows;
  const n = cols;
  // Columns of A, rotated in place until pairwise orthogonal; V collects the rotations.
  const w = new Float64Array(m * n);
  for (let r = 0; r < m; r++) for (let c = 0; c < n; c++) w[c * m + r] = a[r * n + c];
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0,
          beta = 0,
          gamma = 0;
        for (let i = 0; i < m; i++) {
          const x = w[p * m + i];
          const y = w[q * m + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= Number.EPSILON * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotate(w, m, p, q, c, s);
        rotate(v, n, p, q, c, s);
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let i = 0; i < m; i++) sum += w[j * m + i] * w[j * m + i];
    norms[j] = Math.sqrt(sum);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => norms[y] - norms[x]);
  const u = new Float64Array(m * n);
  const s = new Float64Array(n);
  const vSorted = new Float64Array(n * n);
  order.forEach((j, k) => {
    s[k] = norms[j];
    for (let i = 0; i < m; i++) u[k * m + i] = norms[j] === 0 ? 0 : w[j * m + i] / norms[j];
    vSorted.set(v.subarray(j * n, (j + 1) * n), k * n);
  });
  return { u, s, v: vSorted };
}

/** Columns p and q of a column-major matrix with `length`-long columns, rotated by (c, s). */
function rotate(x: Float64Array, length: number, p: number, q: number, c: number, s: number): void {
  for (let i = 0; i < length; i++) {
    const xp = x[p * length + i];
    const xq = x[q * length + i];
    x[p * length + i] = c * xp - s * xq;
    x[q * length + i] = s * xp + c * xq;
  }
}
