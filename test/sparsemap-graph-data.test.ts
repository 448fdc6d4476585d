// A factor graph's flat data belongs to the graph: what toData() returns is a copy, async solves
// read only memory they own (the native job copies the arrays it is given), and both backends
// refuse a malformed graph alike, with the same error class and a message naming the field.
import t from 'tap';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { getBackend } from '../src/backend';
import { FactorGraph } from '../src/index';
import type { FactorGraphData } from '../src/index';
import { INFO_LENGTH } from '../src/kernels';
import { backendsUnderTest } from './helpers';
import { assertSameOutcome, outcome, outcomeAsync, plain, RUNS, scribble } from './property-helpers';

const backends = backendsUnderTest();

function sampleGraph(): FactorGraph {
  const g = new FactorGraph(6);
  g.addBudget([0, 1, 2, 3], 2);
  g.addKnapsack([2, 3, 4], [1, 2, 0.5], 1.5);
  g.addPair(4, 5, 0.7);
  g.addSequence([0, 1, 4, 5], { states: 2, transitions: [0.1, -0.2, 0.3, 0] });
  g.addOrOut([1, 3, 5]);
  return g;
}

const unary = [0.4, -0.3, 0.9, 0.2, 0.5, -0.1];

t.test('what toData() returns is a copy: changing it changes neither the graph nor its solutions', async (t) => {
  for (const backend of backends) {
    const g = sampleGraph();
    const expected = plain(g.solve(unary, { backend }));
    const batch = plain(g.solveBatch([unary, unary], { backend }));
    const d = g.toData();
    t.not(d.vars, g.toData().vars, 'each call returns fresh arrays');
    d.vars[0] = -5;
    d.ints[0] = -1;
    scribble(g.toData());
    t.same(plain(g.solve(unary, { backend })), expected, `[${backend}] solve unchanged`);
    t.same(plain(await g.solveAsync(unary, { backend })), expected, `[${backend}] solveAsync unchanged`);
    t.same(plain(g.solveBatch([unary, unary], { backend })), batch, `[${backend}] solveBatch unchanged`);
  }
});

/** Empty outputs sized for a graph whose data may be malformed (sizes from the well-formed original). */
function outputsFor(d: FactorGraphData) {
  const nF = d.nFactors;
  return {
    u: new Float64Array(d.nVariables), additionals: new Float64Array(d.addStart[nF]), info: new Float64Array(INFO_LENGTH),
    localInputs: new Float64Array(d.varStart[nF]), supportCount: new Int32Array(nF), supportWeights: new Float64Array(d.supportStart[nF]),
    supportLabels: new Int32Array(d.labelStart[nF]),
  };
}

const params = { maxIter: 200, tol: 1e-6, rhoInit: 0.1, adaptRho: true, maxActiveSetIter: 100, objective: 0 };

/** One change to the flat data: a field replaced, or one entry of an array overwritten. */
type Corruption = { field: string; value: unknown } | { field: string; index: number; entry: number };

const FIELDS = ['nVariables', 'nFactors', 'kinds', 'varStart', 'vars', 'negated', 'intStart', 'ints', 'realStart', 'reals', 'addStart', 'supportStart', 'labelStart'];

const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      field: fc.constantFrom(...FIELDS.slice(2)),
      index: fc.nat({ max: 40 }),
      entry: fc.oneof(fc.integer({ min: -3, max: 12 }), fc.constantFrom(-5, 2e9, -(2 ** 31), 2 ** 31 - 1, 0.5, NaN, Infinity, 0)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      field: fc.constantFrom(...FIELDS),
      value: fc.constantFrom(undefined, null, 0, -1, 1.5, 7, 2 ** 31, '6', new Float64Array(40), new Int32Array(1), new Uint8Array(40), new Int32Array(40), [0, 1, 2]),
    }),
  },
);

function corrupt(d: FactorGraphData, c: Corruption): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...d };
  for (const [k, v] of Object.entries(copy)) if (ArrayBuffer.isView(v)) copy[k] = (v as Int32Array).slice();
  if ('value' in c) copy[c.field] = c.value;
  else {
    const a = copy[c.field] as Int32Array;
    if (a.length > 0) a[c.index % a.length] = c.entry;
  }
  return copy;
}

t.test('both backends refuse a malformed graph alike (same class and message, naming the field) or solve it alike', async (t) => {
  if (backends.length < 2) return;
  const d = sampleGraph().toData();
  const additional = sampleGraph().additionalScores();
  const u = Float64Array.from(unary);
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(corruption, async (c) => {
      const bad = corrupt(d, c) as unknown as FactorGraphData;
      const calls = [
        (b: ReturnType<typeof getBackend>) => {
          const out = outputsFor(d);
          b.sparsemapSolve(bad, u, additional, params, out);
          return out;
        },
        (b: ReturnType<typeof getBackend>) => {
          const out = { u: new Float64Array(2 * d.nVariables), add: new Float64Array(2 * d.addStart[d.nFactors]), info: new Float64Array(2 * INFO_LENGTH) };
          b.sparsemapSolveBatch(bad, Float64Array.of(...u, ...u), 2, additional, params, out.u, out.add, out.info, 1);
          return out;
        },
        (b: ReturnType<typeof getBackend>) => {
          const out = outputsFor(d);
          b.sparsemapSolve(d, u, additional, params, out);
          const grad = { gradUnary: new Float64Array(d.nVariables), gradAdditional: new Float64Array(d.addStart[d.nFactors]), info: new Float64Array(INFO_LENGTH) };
          const supports = { supportCount: out.supportCount, supportWeights: out.supportWeights, supportLabels: out.supportLabels };
          b.sparsemapBackward(bad, u, additional, out.localInputs, out.info[5], supports, u, new Float64Array(d.addStart[d.nFactors]), params, grad);
          return grad;
        },
      ];
      for (const call of calls) {
        const results = backends.map((name) => outcome(() => call(getBackend(name))));
        assertSameOutcome(results, 1e-9, true);
        if (!results[0].ok) {
          refused++;
          const message = results[0].error;
          if (!FIELDS.some((f) => message.includes(`graph.${f} `) || message.includes(`graph.${f}:`)) && message !== 'TypeError: graph must be an object') {
            throw new Error(`the message does not name the field: ${message}`);
          }
        }
      }
      const asyncResults = await Promise.all(
        // The native kernel checks its arguments before queueing (the public solveAsync, an async function, rejects).
        backends.map((name) => outcomeAsync(async () => getBackend(name).sparsemapSolveAsync(bad, u, additional, params, outputsFor(d)))),
      );
      assertSameOutcome(asyncResults.map((r) => (r.ok ? { ok: true, value: null } : r)));
    }),
    { numRuns: RUNS },
  );
  t.ok(refused > RUNS / 2, `${refused} of ${3 * RUNS} calls refused the graph, the same way in both backends`);
  const negative = corrupt(d, { field: 'vars', index: 0, entry: -5 }) as unknown as FactorGraphData;
  for (const name of backends) {
    t.throws(() => getBackend(name).sparsemapSolve(negative, u, additional, params, outputsFor(d)), { name: 'RangeError', message: 'graph.vars: factor 0 has variable index -5 out of range [0, 5]' }, `[${name}] index -5`);
    const k = corrupt(d, { field: 'ints', index: 0, entry: -1 }) as unknown as FactorGraphData;
    t.throws(() => getBackend(name).sparsemapSolve(k, u, additional, params, outputsFor(d)), { name: 'RangeError', message: 'graph.ints: factor 0 (Budget) needs k in [0, 4], got -1' }, `[${name}] budget k = -1`);
  }
});

t.test('arrays scribbled over while an async solve runs: no crash, and the answer of the graph as it was (child process)', async (t) => {
  // An ADMM long enough to be running 20 ms after the call: overlapping budgets over 400 variables.
  const script = `
    const path = require('node:path');
    const root = ${JSON.stringify(path.join(__dirname, '..'))};
    const { FactorGraph } = require(path.join(root, 'lib'));
    const { getBackend } = require(path.join(root, 'lib', 'backend'));
    const n = 400;
    const g = new FactorGraph(n);
    for (let i = 0; i + 3 < n; i++) g.addBudget([i, i + 1, i + 2, i + 3], 2);
    const scores = Array.from({ length: n }, (_, i) => Math.sin(i));
    const options = { maxIter: 4000, tol: 1e-300, backend: process.env.SSHN_TEST_BACKEND };
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    (async () => {
      const expected = JSON.stringify(Array.from(g.solve(scores, options).u));
      const solving = g.solveAsync(scores, options);
      await sleep(20);
      g.toData().vars.fill(2e9);
      if (JSON.stringify(Array.from((await solving).u)) !== expected) throw new Error('solveAsync answer changed');
      const batch = g.solveBatchAsync([scores], options);
      await sleep(20);
      g.toData().vars.fill(2e9);
      if (JSON.stringify(Array.from((await batch).u.data)) !== expected) throw new Error('solveBatchAsync answer changed');
      // The kernel itself, given arrays a caller keeps: the job works on its own copy.
      const backend = getBackend(options.backend);
      const data = g.toData();
      const out = { u: new Float64Array(n), additionals: new Float64Array(0), info: new Float64Array(${INFO_LENGTH}), localInputs: new Float64Array(data.varStart[data.nFactors]),
        supportCount: new Int32Array(data.nFactors), supportWeights: new Float64Array(0), supportLabels: new Int32Array(0) };
      const params = { maxIter: 4000, tol: 1e-300, rhoInit: 0.1, adaptRho: true, maxActiveSetIter: 1000, objective: 0 };
      const kernel = backend.sparsemapSolveAsync(data, Float64Array.from(scores), new Float64Array(0), params, out);
      await sleep(20);
      data.vars.fill(2e9);
      data.varStart.fill(-7);
      await kernel;
      if (JSON.stringify(Array.from(out.u)) !== expected) throw new Error('kernel answer changed');
      console.log('ok');
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  for (const backend of backends) {
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, SSHN_TEST_BACKEND: backend }, encoding: 'utf8', timeout: 120_000 });
    t.equal(r.signal, null, `[${backend}] no signal (${r.signal})`);
    t.equal(r.status, 0, `[${backend}] exit 0: ${r.stderr}`);
    t.match(r.stdout, /ok/);
  }
});

t.test('a result keeps the graph it was solved on: factors added later change neither it nor the gradients its backward pass takes', async (t) => {
  const eta = [0.9, 0.2, 0.4, -0.1];
  const gradU = [0.3, -1, 0.2, 0.7];
  for (const backend of backends) {
    const original = () => {
      const g = new FactorGraph(4);
      g.addBudget([0, 1, 2, 3], 2, { exact: true });
      g.addPair(0, 1, 0.5);
      return g;
    };
    const g = original();
    const r = g.solve(eta, { backend });
    const before = plain(r);
    const expected = plain(r.backward(gradU, [[], [0.3]]));
    g.addPair(2, 3, 0.1);
    g.addOrOut([0, 2, 3]);
    t.same(plain(r.backward(gradU, [[], [0.3]])), expected, `[${backend}] the per-factor gradient shape of the solved graph is still taken`);
    t.same(plain(r.backward(gradU, [0.3])), expected, `[${backend}] and its flat shape`);
    t.throws(() => r.backward(gradU, [[], [0.3], [0.1], []]), { name: 'RangeError', message: /gradAdditionals must have length 1/ }, `[${backend}] the grown graph's shape is refused`);
    t.same(plain(r), before, `[${backend}] the result is unchanged`);
    // An async solve reports on the graph as it was when called.
    const h = original();
    const pending = h.solveAsync(eta, { backend });
    h.addOrOut([0, 2, 3]);
    const late = await pending;
    t.equal(late.distributions.length, 2, `[${backend}] async result: one distribution entry per factor of the solved graph`);
    t.same(plain(late), plain(original().solve(eta, { backend })), `[${backend}] async result equals the solve of the graph as called`);
  }
});
