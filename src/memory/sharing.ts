// Inputs that async retrievals read while the caller's code goes on: arrays the library makes on
// shared memory (which cannot be detached, so a pinned reference keeps them alive), and private
// copies of those the caller made.
import type { MemoryOutputs, RealArray } from '../kernels';
import { checkAllocation } from '../limits';
import type { RealConstructor } from '../validate';

/** Rows [start, start + rows) of options.scores (total x n): a view, or for async calls a copy in `copy`. */
export function blockScores(scores: RealArray, total: number, n: number, start: number, rows: number, copy: RealArray | null): RealArray {
  const view = () => scores.subarray(start * n, (start + rows) * n);
  if (!copy) return view();
  if (scores.length !== total * n) throw new RangeError('options.scores was detached or resized while the call ran');
  copy.set(view());
  return copy.subarray(0, rows * n);
}

/**
 * Gives an async call its own copy of options.gram unless it is on shared memory (memory.gram()'s),
 * which cannot be detached while the call reads it; returns the caller's arrays when the rows the
 * call fills on demand are to be copied back.
 */
export function privateGram(out: MemoryOutputs): { data: RealArray; ready: Uint8Array } | null {
  const { gram, gramReady } = out;
  if (!gram || (isShared(gram) && (!gramReady || isShared(gramReady)))) return null;
  checkAllocation('a copy of options.gram', gram.length, gram.BYTES_PER_ELEMENT);
  out.gram = gram.slice();
  out.gramReady = gramReady ? gramReady.slice() : null;
  return gramReady ? { data: gram, ready: gramReady } : null;
}

/** Rows of a private on-demand Gram copy that the call filled, into the caller's (if still whole). */
export function copyFilledRows(out: MemoryOutputs, callers: { data: RealArray; ready: Uint8Array }, n: number): void {
  const gram = out.gram as RealArray;
  const ready = out.gramReady as Uint8Array;
  if (callers.data.length !== n * n || callers.ready.length !== n) return;
  for (let i = 0; i < n; i++) {
    if (!ready[i] || callers.ready[i]) continue;
    callers.data.set(gram.subarray(i * n, (i + 1) * n), i * n);
    callers.ready[i] = 1;
  }
}

export function sharedReal(Real: RealConstructor, length: number): RealArray {
  const buffer = new SharedArrayBuffer(length * Real.BYTES_PER_ELEMENT);
  return Real === Float32Array ? new Float32Array(buffer) : new Float64Array(buffer);
}

export function isShared(array: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer === 'function' && array.buffer instanceof SharedArrayBuffer;
}
