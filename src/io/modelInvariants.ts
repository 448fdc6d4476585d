// What a model file's contents must satisfy beyond its checksums, as BinaryHopfield writes them:
// a CRC only says the bytes are those written, not that they make one network. Per rule:
//   hebbian       integer counts equal to X^T X (less p on a zeroed diagonal), scale 1/n
//   storkey       float64, symmetric, zero diagonal (always zeroed), scale 1
//   pseudoinverse float64, symmetric, rank in [min(1, p), min(p, n)], scale 1
//   custom        float64, no patterns, rank 0, diagonal not forced, scale 1
// and for all: a stored transpose equals the transpose (else the weights are symmetric), a zeroed
// diagonal is zero, real weights and thresholds are finite and within MAX_WEIGHT. Without these,
// fields 'matrix' and 'patterns' (the same network, two ways to keep its fields) recalled different
// states, and a scale of 1.7e308 gave energies of NaN.
import { MAX_WEIGHT, WeightArray } from '../kernels';
import { Rng } from '../rng';
import { firstBeyond } from '../validate';
import type { ModelSnapshot } from './modelFile';

/** Throws a RangeError naming the file and the field. */
type Fail = (field: string, why: string) => never;

/** Index (i * n + j) of the first entry whose transpose entry differs, or -1. */
function firstAsymmetry(w: WeightArray, n: number): number {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (w[i * n + j] !== w[j * n + i]) return i * n + j;
  return -1;
}

/**
 * Whether the counts equal X^T X - offset I. Entries are first bounded (|count| <= p, of the
 * parity of p; the diagonal exactly p - offset) so that the rest is exact in doubles; then
 * Freivalds' check: for random integer vectors r, counts r = X^T (X r) - offset r, O(n^2 + n p) per
 * vector instead of the O(n^2 p) of recomputing the counts. A wrong matrix passes one vector with
 * probability at most 1/R (Schwartz-Zippel); the vectors come from a fixed seed, so a file is
 * always judged alike.
 */
function hebbianCountsMatch(counts: WeightArray, patterns: Int8Array, n: number, p: number, offset: number): boolean {
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) {
      const c = counts[row + j];
      if ((c > p || c < -p || ((c + p) & 1) !== 0) && j !== i) return false;
    }
    if (counts[row + i] !== p - offset) return false;
  }
  // |counts r|, |X^T X r| <= n p R < 2^53: every sum below is an exact integer.
  const R = Math.max(2, Math.min(2 ** 20, Math.floor(2 ** 52 / (n * Math.max(p, 1)))));
  const rng = new Rng(0x5eed);
  const r = new Float64Array(n);
  const overlaps = new Float64Array(p);
  const expected = new Float64Array(n);
  for (let trial = 0; trial < 2; trial++) {
    for (let i = 0; i < n; i++) r[i] = 1 + rng.below(R);
    expected.fill(0);
    for (let mu = 0; mu < p; mu++) {
      const x = patterns.subarray(mu * n, (mu + 1) * n);
      let m = 0;
      for (let i = 0; i < n; i++) m += x[i] * r[i];
      overlaps[mu] = m;
      for (let i = 0; i < n; i++) expected[i] += x[i] * m;
    }
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += counts[i * n + j] * r[j];
      if (sum !== expected[i] - offset * r[i]) return false;
    }
  }
  return true;
}

/** Throws (through `fail`) at the first invariant `model` breaks. */
export function checkModelInvariants(model: ModelSnapshot, fail: Fail): void {
  const { n, rule, weights, weightsT, thresholds, zeroDiagonal, scale, rank } = model;
  const p = model.patterns.length / n;
  const integer = !(weights instanceof Float64Array);
  const typeName = weights.constructor.name;
  if (rule === 'hebbian' ? !integer : integer) fail('weights', `are ${typeName}, rule '${rule}' stores ${rule === 'hebbian' ? 'integer counts' : 'Float64Array weights'}`);
  const impliedScale = rule === 'hebbian' ? 1 / n : 1;
  if (scale !== impliedScale) fail('scale', `is ${scale}, rule '${rule}' with n = ${n} implies ${impliedScale}`);
  if (rule === 'custom' && (p !== 0 || rank !== 0)) fail('patterns', `are ${p} rows (rank ${rank}), a network from explicit weights stores none`);
  const maxRank = rule === 'pseudoinverse' ? Math.min(p, n) : p;
  if (rule !== 'custom' && (rank < Math.min(1, p) || rank > maxRank)) fail('rank', `is ${rank}, outside [${Math.min(1, p)}, ${maxRank}] for ${p} patterns of ${n}`);
  if (rule === 'storkey' && !zeroDiagonal) fail('zeroDiagonal', "is false, rule 'storkey' always zeroes the diagonal");
  if (rule === 'custom' && zeroDiagonal) fail('zeroDiagonal', 'is true, a network from explicit weights keeps its diagonal');
  if (thresholds) {
    const k = firstBeyond(thresholds, MAX_WEIGHT);
    if (k >= 0) fail(`thresholds[${k}]`, `is ${thresholds[k]}, it must be finite and at most ${MAX_WEIGHT} in magnitude`);
  }
  if (!integer) {
    const k = firstBeyond(weights, MAX_WEIGHT);
    if (k >= 0) fail(`weights[${Math.floor(k / n)}][${k % n}]`, `is ${weights[k]}, it must be finite and at most ${MAX_WEIGHT} in magnitude`);
  }
  if (zeroDiagonal) {
    for (let i = 0; i < n; i++) if (weights[i * n + i] !== 0) fail(`weights[${i}][${i}]`, `is ${weights[i * n + i]}, the diagonal is zeroed`);
  }
  if (weightsT) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) if (!Object.is(weightsT[j * n + i], weights[i * n + j])) fail(`weightsT[${j}][${i}]`, `is ${weightsT[j * n + i]}, not the transpose entry ${weights[i * n + j]}`);
    }
  } else {
    const k = firstAsymmetry(weights, n);
    if (k >= 0) fail(`weights[${Math.floor(k / n)}][${k % n}]`, 'differs from its transpose entry and no transpose is stored');
  }
  if (rule === 'hebbian' && !hebbianCountsMatch(weights, model.patterns, n, p, zeroDiagonal ? p : 0)) {
    fail('weights', `are not the Hebbian counts of the ${p} stored patterns`);
  }
}
