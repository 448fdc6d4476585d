// LP-SparseMAP benchmarks: native vs pure TypeScript, median of several runs, with the accuracy
// reached (ADMM residuals, or the optimality gap of single active-set factors).
// Run: npx tsc -p . && node bench/sparsemap.js
'use strict';
const { FactorGraph, Rng, availableBackends, kSubsetsExactBatch, sequentialKSubsetsBatch } = require('../lib');
const { medianMs, printTable } = require('./harness');

const backends = availableBackends();
const rng = new Rng(1);
const scores = (n, scale = 1) => Array.from({ length: n }, () => scale * (2 * rng.nextDouble() - 1));
const range = (n, from = 0) => Array.from({ length: n }, (_, i) => from + i);

function budgetCase(n) {
  const g = new FactorGraph(n);
  g.addBudget(range(n), n / 10);
  return { name: `Budget n=${n}, k=${n / 10}`, graph: g, eta: scores(n, 2), runs: n >= 10000 ? 21 : 41 };
}

function sequenceCase(L, S) {
  const g = new FactorGraph(L * S);
  g.addSequence(range(L * S), { states: S, transitions: scores(S * S) });
  return { name: `Sequence L=${L}, S=${S}`, graph: g, eta: scores(L * S, 2), runs: 11 };
}

function sequenceBudgetCase(L, k) {
  const g = new FactorGraph(2 * L);
  const transitions = [0.5, 0, 0, 0];
  g.addSequenceBudget(range(2 * L), { states: 2, transitions, k, exact: true });
  return { name: `SequenceBudget S=2, L=${L}, k=${k}`, graph: g, eta: scores(2 * L, 2), runs: 11 };
}

function sharedCase(L, S) {
  // One Sequence plus three Budgets on its variables (shared: ADMM).
  const g = new FactorGraph(L * S);
  g.addSequence(range(L * S), { states: S, transitions: scores(S * S) });
  g.addBudget(range(L).map((t) => t * S), Math.floor(L / 4));
  g.addBudget(range(L).map((t) => t * S + 1), Math.floor(L / 3));
  g.addBudget(range(L / 2).map((t) => t * S + 2), Math.floor(L / 10), { exact: true });
  return { name: `Sequence L=${L}, S=${S} + 3 Budgets (ADMM, tol 1e-8)`, graph: g, eta: scores(L * S, 2), runs: 5, options: { tol: 1e-8, maxIter: 20000 } };
}

const cases = [budgetCase(100), budgetCase(1000), budgetCase(10000), sequenceCase(50, 10), sequenceBudgetCase(100, 10), sharedCase(20, 4)];
const rows = [];
for (const c of cases) {
  const row = { case: c.name };
  const ms = {};
  for (const backend of backends) {
    const options = { ...(c.options || {}), backend };
    const result = c.graph.solve(c.eta, options);
    ms[backend] = medianMs(() => c.graph.solve(c.eta, options), c.runs);
    row[`${backend} ms`] = ms[backend];
    row[`${backend} status`] = `${result.status}, ${result.iterations} it`;
    if (result.iterations > 1) row[`${backend} residual`] = Math.max(result.primalResidual, result.dualResidual).toExponential(1);
    else row[`${backend} residual`] = 'exact';
  }
  if (ms.native !== undefined && ms.js !== undefined) row['js / native'] = ms.js / ms.native;
  rows.push(row);
}
printTable(rows);

// Batches used by structured Hopfield retrieval: 256 score rows of length 100.
const batchRows = [];
const batch = { data: Float64Array.from(scores(256 * 100, 2)), rows: 256, cols: 100 };
for (const [name, fn] of [
  ['kSubsetsExactBatch 256 x 100, k=10', (backend, threads) => kSubsetsExactBatch(batch, 10, { backend, threads })],
  ['sequentialKSubsetsBatch 256 x 100, k=10', (backend, threads) => sequentialKSubsetsBatch(batch, { k: 10, bonus: 0.5, backend, threads })],
]) {
  const row = { case: name };
  for (const backend of backends) row[`${backend} ms`] = medianMs(() => fn(backend, 1), 5);
  if (backends.includes('native')) row['native 2 threads ms'] = medianMs(() => fn('native', 2), 5);
  batchRows.push(row);
}
console.log('');
printTable(batchRows);
