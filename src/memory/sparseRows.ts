// Sparse weights of batch retrievals: each block's dense weights compressed to rows of nonzeros,
// and the blocks joined into one set of rows.
import type { RealArray } from '../kernels';
import type { RealConstructor } from '../validate';
import type { SparseRows } from './index';

/** The nonzeros of a dense rows x cols block. */
export function compress(dense: RealArray, rows: number, cols: number): SparseRows {
  const indptr = new Int32Array(rows + 1);
  let nonzero = 0;
  for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) nonzero++;
  const indices = new Int32Array(nonzero);
  const values = dense instanceof Float32Array ? new Float32Array(nonzero) : new Float64Array(nonzero);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = dense[r * cols + c];
      if (v === 0) continue;
      indices[at] = c;
      values[at++] = v;
    }
    indptr[r + 1] = at;
  }
  return { rows, cols, indptr, indices, values };
}

export function concatenate(parts: SparseRows[], rows: number, cols: number, Real: RealConstructor): SparseRows {
  if (parts.length === 1) return parts[0];
  const nonzero = parts.reduce((a, p) => a + p.indices.length, 0);
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(nonzero);
  const values = new Real(nonzero);
  let row = 0;
  let at = 0;
  for (const p of parts) {
    for (let r = 1; r <= p.rows; r++) indptr[row + r] = at + p.indptr[r];
    indices.set(p.indices, at);
    values.set(p.values, at);
    row += p.rows;
    at += p.indices.length;
  }
  return { rows, cols, indptr, indices, values };
}
