// LP-SparseMAP benchmarks: native vs pure TypeScript, median of several runs, with the accuracy
// reached, measured independently of the solver: an optimality gap (an upper bound on how far the
// objective eta.u + b.v - 1/2 ||u||^2 is below its maximum) from test/sparsemap-certificates.js,
// and for ADMM also the final residual (the gap bounds suboptimality of a point that is feasible
// to within that residual).
// Usage: npx tsc -p . && node bench/sparsemap.js [--quick]
'use strict';
const { FactorGraph, Rng, availableBackends, kSubsetsExactBatch, sequentialKSubsetsBatch } = require('../lib');
const { medianMs, printTable } = require('./harness');
const { bestBudgetScore, bestOrOutScore, bestPathScore, dot, pathScore, residualScores } = require('../test/sparsemap-certificates');

const quick = process.argv.includes('--quick');
const backends = availableBackends();
const rng = new Rng(1);
const scores = (n, scale = 1) => Array.from({ length: n }, () => scale * (2 * rng.nextDouble() - 1));
const range = (n, from = 0) => Array.from({ length: n }, (_, i) => from + i);

// Frank-Wolfe gaps of single factors (no ADMM): best(eta - u, b) - (eta - u).u - b.v, where best is
// the factor's MAP score under the gradient of the objective at the solution.
function budgetCase(n) {
  const k = n / 10;
  const g = new FactorGraph(n);
  g.addBudget(range(n), k);
  const gap = (eta, r) => {
    const grad = residualScores(eta, r.u);
    return bestBudgetScore(grad, k, false) - dot(grad, r.u);
  };
  return { name: `Budget n=${n}, k=${k}`, graph: g, eta: scores(n, 2), runs: n >= 10000 ? 21 : 41, gap };
}

// OROUT with an interior solution (inputs uniform in [0, 0.5), output score 0.3: y is tied to the
// largest inputs), the case the former active-set QP could not finish at n = 700 and more.
function orOutCase(n) {
  const g = new FactorGraph(n);
  g.addOrOut(range(n));
  const eta = [...scores(n - 1).map((x) => 0.25 * (x + 1)), 0.3];
  const gap = (eta, r) => {
    const grad = residualScores(eta, r.u);
    return bestOrOutScore(grad) - dot(grad, r.u);
  };
  return { name: `OROUT n=${n} (interior)`, graph: g, eta, runs: 21, gap };
}

function sequenceGap(graph, L, S, budget) {
  const b = graph.additionalScores();
  return (eta, r) => {
    const grad = residualScores(eta, r.u);
    return bestPathScore(grad, b, L, S, budget) - dot(grad, r.u) - dot(b, r.additionals[0]);
  };
}

function sequenceCase(L, S) {
  const g = new FactorGraph(L * S);
  g.addSequence(range(L * S), { states: S, transitions: scores(S * S) });
  return { name: `Sequence L=${L}, S=${S}`, graph: g, eta: scores(L * S, 2), runs: 11, gap: sequenceGap(g, L, S) };
}

function sequenceBudgetCase(L, k) {
  const g = new FactorGraph(2 * L);
  const transitions = [0.5, 0, 0, 0];
  g.addSequenceBudget(range(2 * L), { states: 2, transitions, k, exact: true });
  return { name: `SequenceBudget S=2, L=${L}, k=${k}`, graph: g, eta: scores(2 * L, 2), runs: 11, gap: sequenceGap(g, L, 2, { k, exact: true }) };
}

/**
 * One Sequence (L positions, S states, one-hot vars[t*S + s]) plus three Budgets on its variables,
 * chosen to bind with random scores (each state is used about L/S times unconstrained):
 *   usage of state 0 over the whole sequence at most L/16; usage of state 1 exactly L/10; in the
 *   first half of the positions, states 2 and 3 together at most L/16.
 * The budgets' variables are disjoint, so each variable is in the Sequence and at most one Budget.
 */
function sharedCase(L, S) {
  const g = new FactorGraph(L * S);
  g.addSequence(range(L * S), { states: S, transitions: scores(S * S) });
  const half = range(Math.floor(L / 2));
  const budgets = [
    { vars: range(L).map((t) => t * S), k: Math.floor(L / 16), exact: false },
    { vars: range(L).map((t) => t * S + 1), k: Math.floor(L / 10), exact: true },
    { vars: half.flatMap((t) => [t * S + 2, t * S + 3]), k: Math.floor(L / 16), exact: false },
  ];
  for (const bud of budgets) g.addBudget(bud.vars, bud.k, { exact: bud.exact });
  return {
    name: `Sequence L=${L}, S=${S} + 3 Budgets (ADMM, tol 1e-8)`, graph: g, eta: scores(L * S, 2), runs: 5,
    options: { tol: 1e-8, maxIter: 20000 }, gap: sharedGap(g, L, S, budgets),
  };
}

/**
 * Duality gap of the shared graph at the returned (u, v): with multipliers lambda_f on each factor's
 * copy of its variables summing to eta - u on every variable, the Lagrangian dual
 *   1/2 ||u||^2 + max_paths lambda_seq.m + b.n + sum_B max_{s in B} lambda_B.s
 * bounds the maximum from above. lambda_B = t_B on every variable of Budget B loses nothing (an
 * optimal multiplier is constant on the budget's free variables, and moving the others to t_B keeps
 * both maxima attained), and lambda_seq = eta - u - sum_B t_B 1_B; t is fitted so that the
 * Sequence's support paths tie (least squares; any t gives a valid bound). The gap is dual minus
 * primal at (u, v), which is feasible only to within the residual: it can be slightly negative.
 */
function sharedGap(graph, L, S, budgets) {
  const b = graph.additionalScores();
  const member = new Int32Array(L * S).fill(-1);
  budgets.forEach((bud, j) => bud.vars.forEach((v) => (member[v] = j)));
  return (eta, r) => {
    const grad = residualScores(eta, r.u);
    const paths = r.distributions[0];
    // Rows [uses of B_1..B_m, 1] and right-hand side (eta - u).m + b.n of every support path, scaled
    // by sqrt(weight): structures still leaving the support (weights ~ the residual) barely count.
    const m = budgets.length;
    const rows = paths.map((p) => {
      const row = new Array(m + 1).fill(0);
      row[m] = 1;
      p.label.forEach((s, t) => member[t * S + s] >= 0 && (row[member[t * S + s]] += 1));
      return row.map((x) => x * Math.sqrt(p.weight));
    });
    const rhs = paths.map((p) => pathScore(p.label, grad, b, S) * Math.sqrt(p.weight));
    const tz = leastSquares(rows, rhs, m + 1);
    const lambda = grad.map((x, i) => (member[i] >= 0 ? x - tz[member[i]] : x));
    let dual = bestPathScore(lambda, b, L, S);
    budgets.forEach((bud, j) => (dual += bud.k * (bud.exact ? tz[j] : Math.max(tz[j], 0))));
    return dual - dot(grad, r.u) - dot(b, r.additionals[0]);
  };
}

/** argmin_x ||A x - y||^2 + 1e-12 ||x||^2 (A: rows of length n), by the normal equations. */
function leastSquares(A, y, n) {
  const M = Array.from({ length: n }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (j === i ? 1e-12 : 0)));
  A.forEach((row, r) => {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) M[i][j] += row[i] * row[j];
      M[i][n] += row[i] * y[r];
    }
  });
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let j = c; j <= n; j++) M[r][j] -= f * M[c][j];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

const cases = quick
  ? [budgetCase(100), sequenceCase(5, 3), sequenceBudgetCase(10, 3), sharedCase(20, 6), orOutCase(700)]
  : [budgetCase(100), budgetCase(1000), budgetCase(10000), sequenceCase(50, 10), sequenceBudgetCase(100, 10), sharedCase(50, 10), orOutCase(10000)];
const rows = [];
for (const c of cases) {
  const row = { case: c.name };
  const ms = {};
  for (const backend of backends) {
    const options = { ...(c.options || {}), backend };
    const result = c.graph.solve(c.eta, options);
    ms[backend] = medianMs(() => c.graph.solve(c.eta, options), quick ? 1 : c.runs);
    row[`${backend} ms`] = ms[backend];
    row[`${backend} status`] = `${result.status}, ${result.iterations} it`;
    row[`${backend} residual`] = result.iterations > 1 ? Math.max(result.primalResidual, result.dualResidual).toExponential(1) : '- (no ADMM)';
    row[`${backend} gap`] = c.gap(c.eta, result).toExponential(1);
  }
  if (ms.native !== undefined && ms.js !== undefined) row['js / native'] = ms.js / ms.native;
  rows.push(row);
}
printTable(rows);

// Batches used by structured Hopfield retrieval: 256 score rows of length 100.
const batchRows = [];
const batchRowsCount = quick ? 8 : 256;
const batch = { data: Float64Array.from(scores(batchRowsCount * 100, 2)), rows: batchRowsCount, cols: 100 };
for (const [name, fn] of [
  [`kSubsetsExactBatch ${batchRowsCount} x 100, k=10`, (backend, threads) => kSubsetsExactBatch(batch, 10, { backend, threads })],
  [`sequentialKSubsetsBatch ${batchRowsCount} x 100, k=10`, (backend, threads) => sequentialKSubsetsBatch(batch, { k: 10, bonus: 0.5, backend, threads })],
]) {
  const row = { case: name };
  for (const backend of backends) row[`${backend} ms`] = medianMs(() => fn(backend, 1), quick ? 1 : 5);
  if (backends.includes('native')) row['native 2 threads ms'] = medianMs(() => fn('native', 2), quick ? 1 : 5);
  batchRows.push(row);
}
console.log('');
printTable(batchRows);
