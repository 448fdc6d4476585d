// Optimality certificates for LP-SparseMAP solutions, written from the definitions and independent
// of the library's oracles (shared by the tests and bench/sparsemap.js, hence plain JavaScript).
//
// For the concave objective f(u, v) = eta.u + b.v - 1/2 ||u||^2 over a factor's marginal polytope
// the Frank-Wolfe gap  max_s <grad f, s - (u, v)> = best(eta - u, b) - (eta - u).u - b.v  bounds
// f* - f(u, v) from above; `best` is the factor's MAP score, found here by dynamic programming.
'use strict';

/**
 * The best score u.m + b.n over state paths of length L with S states (the full additional layout:
 * start[S], then (L-1) S x S transitions prev-major, then end[S]). With `budget` = { k, exact },
 * only paths that use state 0 at most (exactly) k times: Viterbi over (state, uses of state 0).
 * Returns -Infinity when no path qualifies.
 */
function bestPathScore(u, b, L, S, budget) {
  const cap = budget ? budget.k : 0;
  const width = cap + 1;
  const at = (s, c) => s * width + c;
  let prev = new Float64Array(S * width).fill(-Infinity);
  for (let s = 0; s < S; s++) {
    const c = budget && s === 0 ? 1 : 0;
    if (c <= cap) prev[at(s, c)] = u[s] + b[s];
  }
  for (let t = 1; t < L; t++) {
    const cur = new Float64Array(S * width).fill(-Infinity);
    const trans = S + (t - 1) * S * S;
    for (let p = 0; p < S; p++) {
      for (let c = 0; c <= cap; c++) {
        const from = prev[at(p, c)];
        if (from === -Infinity) continue;
        for (let s = 0; s < S; s++) {
          const next = budget && s === 0 ? c + 1 : c;
          if (next > cap) continue;
          const score = from + b[trans + p * S + s] + u[t * S + s];
          if (score > cur[at(s, next)]) cur[at(s, next)] = score;
        }
      }
    }
    prev = cur;
  }
  const end = S + (L - 1) * S * S;
  let best = -Infinity;
  for (let s = 0; s < S; s++) {
    for (let c = budget && budget.exact ? cap : 0; c <= cap; c++) best = Math.max(best, prev[at(s, c)] + b[end + s]);
  }
  return best;
}

/** u.m + b.n of one path (label[t] = state at position t), in the layout of bestPathScore. */
function pathScore(label, u, b, S) {
  const L = label.length;
  let total = u[label[0]] + b[label[0]];
  for (let t = 1; t < L; t++) total += u[t * S + label[t]] + b[S + (t - 1) * S * S + label[t - 1] * S + label[t]];
  return total + b[S + (L - 1) * S * S + label[L - 1]];
}

/** The budget uses of state 0 by a path allow: exactly k with exact, else at most k (any without a budget). */
function withinBudget(label, budget) {
  if (!budget) return true;
  let uses = 0;
  for (const s of label) if (s === 0) uses++;
  return budget.exact ? uses === budget.k : uses <= budget.k;
}

/**
 * Checks a sequence factor's reported distribution ({ weight, label } entries) against its unary
 * marginals u (L x S, position-major) and for optimality. Returns the largest inconsistency between
 * u and the distribution's mean (or between its weights' sum and 1), and the Frank-Wolfe gap:
 * best(eta - u, b) over paths within the budget minus the support's mean score there.
 */
function certifySequence(dist, u, eta, b, L, S, budget) {
  const fromDist = new Float64Array(L * S);
  for (const d of dist) d.label.forEach((s, pos) => (fromDist[pos * S + s] += d.weight));
  let consistency = Math.abs(dist.reduce((acc, d) => acc + d.weight, 0) - 1);
  fromDist.forEach((x, i) => (consistency = Math.max(consistency, Math.abs(x - u[i]))));
  const residual = residualScores(eta, u);
  const supportScore = dist.reduce((acc, d) => acc + d.weight * pathScore(d.label, residual, b, S), 0);
  return { consistency, gap: bestPathScore(residual, b, L, S, budget) - supportScore };
}

/**
 * How far unary marginals mu (L x S, position-major) of a sequence factor are from optimal, proved
 * without their distribution. The Fenchel dual D(mu) = 1/2 ||mu||^2 + best(eta - mu, b) is 1-strongly
 * convex with minimum f* (the optimum) at mu*, so D(mu) - f* >= 1/2 ||mu - mu*||^2; the value
 * eta.m + b.n - 1/2 ||m||^2 of the mean (m, n) of any distribution `dist` over paths within the
 * budget (weights normalised) is at most f*. Returns D(mu) minus that value, a bound on both
 * (Infinity if a path breaks the budget).
 */
function sequenceDualGap(mu, eta, b, L, S, budget, dist) {
  const total = dist.reduce((acc, d) => acc + d.weight, 0);
  const m = new Float64Array(L * S);
  let linear = 0;
  for (const d of dist) {
    if (!(d.weight >= 0) || !withinBudget(d.label, budget)) return Infinity;
    const w = d.weight / total;
    d.label.forEach((s, pos) => (m[pos * S + s] += w));
    linear += w * pathScore(d.label, eta, b, S);
  }
  const dual = 0.5 * dot(mu, mu) + bestPathScore(residualScores(eta, mu), b, L, S, budget);
  return dual - (linear - 0.5 * dot(m, m));
}

/** max g.s over {s in [0,1]^n, sum s <= k} (sum s = k with exact): the k largest entries, only positive ones unless exact. */
function bestBudgetScore(g, k, exact) {
  const sorted = Array.from(g).sort((x, y) => y - x);
  let total = 0;
  for (let i = 0; i < k; i++) if (exact || sorted[i] > 0) total += sorted[i];
  return total;
}

/**
 * max g.u over the vertices u of an OR-with-output factor on variables 0..n-1 (output last) whose
 * factor sees 1 - u_i where flip[i]: in literals l (l_i = u_i, or 1 - u_i flipped), g.u = const +
 * sum_i h_i l_i with h_i = -g_i where flipped. The vertices are all literals off, or the output on
 * with a nonempty set of inputs on: all inputs of positive h, or the best single one if none is.
 */
function bestOrOutScore(g, flip) {
  const n = g.length;
  let base = 0;
  const h = Array.from(g, (gi, i) => {
    if (!flip || !flip[i]) return gi;
    base += gi;
    return -gi;
  });
  let on = h[n - 1];
  let best = -Infinity;
  let positive = false;
  for (let i = 0; i < n - 1; i++) {
    if (h[i] > 0) {
      on += h[i];
      positive = true;
    }
    best = Math.max(best, h[i]);
  }
  if (!positive) on += best;
  return base + Math.max(0, on);
}

/** sum_i a[i] b[i]. */
function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** eta - u, the gradient of the objective in u. */
function residualScores(eta, u) {
  return Array.from(u, (ui, i) => eta[i] - ui);
}

module.exports = { bestPathScore, pathScore, certifySequence, sequenceDualGap, bestBudgetScore, bestOrOutScore, dot, residualScores };
