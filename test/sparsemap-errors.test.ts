// Bad input gives a clear TypeError / RangeError naming the problem, never a crash or NaN; the
// native binding itself rejects inconsistent arrays (a wrong length never aborts the process).
import t from 'tap';
import { getBackend } from '../src/backend';
import { FactorGraph, kSubsetsExact, kSubsetsExactBackward, sequentialKSubsets, sequentialKSubsetsBackward } from '../src/index';
import { backendsUnderTest } from './helpers';

const backends = backendsUnderTest();

t.test('graph construction errors', async (t) => {
  t.throws(() => new FactorGraph(0), RangeError);
  t.throws(() => new FactorGraph(2.5), RangeError);
  const g = new FactorGraph(5);
  t.throws(() => g.addXor([0, 5]), { name: 'RangeError', message: /vars\[1\] must be an integer in \[0, 4\]/ });
  t.throws(() => g.addXor([0, -1]), RangeError);
  t.throws(() => g.addXor([1, 2, 1]), { name: 'RangeError', message: /twice/ });
  t.throws(() => g.addXor([]), { name: 'RangeError', message: /at least 1/ });
  t.throws(() => g.addXor('01' as unknown as number[]), TypeError);
  t.throws(() => g.addImply([1]), { name: 'RangeError', message: /at least 2/ });
  t.throws(() => g.addOr([0, 1], [true]), { name: 'RangeError', message: /negated must have length 2/ });
  t.throws(() => g.addBudget([0, 1, 2], 4), { name: 'RangeError', message: /k must be an integer in \[0, 3\]/ });
  t.throws(() => g.addBudget([0, 1, 2], -1), RangeError);
  t.throws(() => g.addBudget([0, 1, 2], 1.5), RangeError);
  t.throws(() => g.addKnapsack([0, 1], [1, 0], 1), { name: 'RangeError', message: /costs\[1\] must be > 0/ });
  t.throws(() => g.addKnapsack([0, 1], [1], 1), { name: 'RangeError', message: /costs must have length 2/ });
  t.throws(() => g.addKnapsack([0, 1], [1, 1], NaN), RangeError);
  t.throws(() => g.addKnapsack([0, 1], [1e-101, 1], 1), { name: 'RangeError', message: /costs must be within a factor 1e100 of each other/ });
  t.throws(() => g.addPair(1, 1, 0.5), { name: 'RangeError', message: /twice/ });
  t.throws(() => g.addPair(0, 1, NaN), { name: 'RangeError', message: /score must be finite/ });
  t.throws(() => g.addSequence([0, 1, 2], { states: 2 }), { name: 'RangeError', message: /L \* states/ });
  t.throws(() => g.addSequence([0, 1, 2, 3], { states: 2, transitions: [1, 2, 3] }), { name: 'RangeError', message: /transitions must have length states\^2 = 4 or .* = 8, got 3/ });
  t.throws(() => g.addSequence([0, 1, 2, 3], { states: 2, transitions: [1, 2, NaN, 4] }), { name: 'RangeError', message: /transitions\[2\] must be finite/ });
  t.throws(() => g.addSequence([0, 1, 2, 3], { states: 2, start: [1] }), { name: 'RangeError', message: /start must have length 2/ });
  t.throws(() => g.addSequenceBudget([0, 1, 2, 3], { states: 2, k: 3 }), { name: 'RangeError', message: /k must be an integer in \[0, 2\]/ });
  t.throws(() => g.addSequenceBudget([0, 1, 2], { states: 1, k: 2 }), { name: 'RangeError', message: /must be L = 3/ });
  t.throws(() => g.addDense([[0, 1], [1]], [1, 2]), { name: 'RangeError', message: /twice/ });
  t.throws(() => g.addDense([[0, 1], [2]], [1, 2, 3]), { name: 'RangeError', message: /scores must have length 2, got 3/ });
  t.throws(() => g.addDense([], []), TypeError);
  t.throws(() => g.addDense([[0, 1], []], [1, 2]), { name: 'RangeError', message: /groups\[1\] must have at least 1/ });
  t.throws(() => g.addTree([0, 1, 2], { length: 2 }), { name: 'RangeError', message: /length\^2 = 4 arc variables, got 3/ });
  t.throws(() => g.addTree([0, 1, 2, 3], { length: 0 }), RangeError);
  t.equal(g.nFactors, 0, 'failed additions add nothing');
});

t.test('solve errors', async (t) => {
  const g = new FactorGraph(3);
  t.throws(() => g.solve([0, 0, 0]), { name: 'RangeError', message: /no factors/ });
  g.addXor([0, 1, 2]);
  for (const backend of backends) {
    t.throws(() => g.solve([0, 0], { backend }), { name: 'RangeError', message: /unaryScores must have length 3, got 2/ });
    t.throws(() => g.solve([0, NaN, 0], { backend }), { name: 'RangeError', message: /unaryScores\[1\] must be finite/ });
    t.throws(() => g.solve([0, 0, 0], { backend, tol: 0 }), RangeError);
    t.throws(() => g.solve([0, 0, 0], { backend, maxIter: 0 }), RangeError);
    t.throws(() => g.solve([0, 0, 0], { backend, additionalScores: [1] }), { name: 'RangeError', message: /additionalScores must have length 0/ });
    const r = g.solve([0.2, 0.1, 0.3], { backend });
    t.throws(() => r.backward([1, 2]), { name: 'RangeError', message: /gradU must have length 3/ });
    await t.rejects(g.solveAsync([0, Infinity, 0], { backend }), RangeError);
  }
  t.throws(() => kSubsetsExact([1, 2, 3], 4), { name: 'RangeError', message: /k must be an integer in \[0, 3\]/ });
  t.throws(() => kSubsetsExact([1, NaN, 3], 1), RangeError);
  t.throws(() => sequentialKSubsets([1, 2, 3], { k: -1 }), RangeError);
  t.throws(() => sequentialKSubsets([1, 2, 3], { k: 1, bonus: NaN }), RangeError);
  t.throws(() => kSubsetsExactBackward([[1, 2, 3]], 1, [[1, 2]]), { name: 'RangeError', message: /grad must be 1 x 3/ });
  t.throws(() => sequentialKSubsetsBackward([[1, 2, 3]], [[1, NaN, 2]], { k: 1 }), RangeError);
});

t.test('the native binding rejects inconsistent arrays instead of aborting', async (t) => {
  if (!backends.includes('native')) return;
  const native = getBackend('native');
  const g = new FactorGraph(3);
  g.addXor([0, 1, 2]);
  const data = g.toData();
  const params = { maxIter: 10, tol: 1e-6, rhoInit: 0.1, adaptRho: true, maxActiveSetIter: 10, objective: 0 };
  const out = () => ({
    u: new Float64Array(3), additionals: new Float64Array(0), info: new Float64Array(6), localInputs: new Float64Array(3),
    supportCount: new Int32Array(1), supportWeights: new Float64Array(0), supportLabels: new Int32Array(0),
  });
  native.sparsemapSolve(data, new Float64Array(3), new Float64Array(0), params, out()); // the well-formed call works
  t.throws(() => native.sparsemapSolve(data, new Float64Array(2), new Float64Array(0), params, out()), RangeError, 'short unary');
  t.throws(() => native.sparsemapSolve({ ...data, vars: Int32Array.of(0, 1, 7) }, new Float64Array(3), new Float64Array(0), params, out()), { name: 'RangeError', message: /out of range/ });
  t.throws(() => native.sparsemapSolve({ ...data, vars: Int32Array.of(0, 1, 1) }, new Float64Array(3), new Float64Array(0), params, out()), { name: 'RangeError', message: /twice/ });
  t.throws(() => native.sparsemapSolve({ ...data, varStart: Int32Array.of(0, 9) }, new Float64Array(3), new Float64Array(0), params, out()), RangeError);
  t.throws(() => native.sparsemapSolve({ ...data, kinds: Int32Array.of(42) }, new Float64Array(3), new Float64Array(0), params, out()), { name: 'RangeError', message: /unknown kind/ });
  t.throws(() => native.kSubsetsBatch(new Float64Array(5), 2, 3, 1, new Float64Array(6), 1), RangeError, 'short scores');
});
