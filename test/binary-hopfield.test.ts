// Classical binary Hopfield networks checked against the mathematics of SPEC.md section 1.
import t from 'tap';
import { BinaryHopfield, randomPatterns, flipBits, overlap, Rng } from '../src/index';
import { backendsUnderTest, maxAbsDiff } from './helpers';

const H = [1, 1, 1, 1, -1, 1, 1, 1, 1];
const V = [-1, 1, -1, -1, 1, -1, -1, 1, -1];
const negate = (x: ArrayLike<number>) => Array.from(x, (v) => -v);

function naiveHebbian(patterns: number[][], n: number, zeroDiagonal = true): number[][] {
  const w = Array.from({ length: n }, () => new Array(n).fill(0));
  for (const x of patterns) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[i][j] += (x[i] * x[j]) / n;
  if (zeroDiagonal) for (let i = 0; i < n; i++) w[i][i] = 0;
  return w;
}

// Storkey (1997) straight from its definition, with h_ij = sum_{k != i, j} w_ik x_k.
function naiveStorkey(patterns: number[][], n: number): number[][] {
  let w = Array.from({ length: n }, () => new Array(n).fill(0));
  for (const x of patterns) {
    const h = (i: number, j: number) => {
      let s = 0;
      for (let k = 0; k < n; k++) if (k !== i && k !== j) s += w[i][k] * x[k];
      return s;
    };
    const next = w.map((row) => row.slice());
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      if (i !== j) next[i][j] = w[i][j] + (x[i] * x[j] - x[i] * h(j, i) - h(i, j) * x[j]) / n;
    }
    w = next;
  }
  return w;
}

function naiveEnergy(w: ArrayLike<number>, n: number, s: ArrayLike<number>, u?: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) e -= 0.5 * w[i * n + j] * s[i] * s[j];
  if (u) for (let i = 0; i < n; i++) e += u[i] * s[i];
  return e;
}

const rows = (set: { data: Int8Array; rows: number; cols: number }) =>
  Array.from({ length: set.rows }, (_, r) => Array.from(set.data.subarray(r * set.cols, (r + 1) * set.cols)));

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] seed 003: H and V from their noisy cues`, async (t) => {
    const net = new BinaryHopfield(9, { backend });
    net.store([H, V]);
    t.ok(net.isStable(H) && net.isStable(V), 'both patterns are fixed points');
    // One bit away from H in the seed's cue set: every visiting order ends at H.
    const noisyH = [1, 1, -1, 1, -1, 1, -1, 1, 1];
    for (let seed = 0; seed < 20; seed++) t.same(Array.from(net.recall(noisyH, { seed }).state), H);
    // The seed's noisy V is 2 flips from V and 2 from -H (H and V overlap by -5/9), so the
    // attractor depends on the visiting order: it is always V or -H, and V for some orders.
    const noisyV = [-1, -1, -1, -1, 1, -1, -1, 1, 1];
    const ends = new Set<string>();
    for (let seed = 0; seed < 40; seed++) ends.add(Array.from(net.recall(noisyV, { seed }).state).join());
    t.ok([...ends].every((e) => e === V.join() || e === negate(H).join()), 'ends at V or -H');
    t.ok(ends.has(V.join()), 'reaches V for some orders');
    t.equal(overlap(H, V), -5 / 9);
  });

  t.test(`[${backend}] seed 002: five neurons, one and several patterns`, async (t) => {
    // One pattern: both it and its negation are attractors, each cue goes to the nearer one.
    const one = new BinaryHopfield(3, { backend, zeroDiagonal: false });
    one.store([[1, -1, 1]]);
    t.same(Array.from(one.getWeights()).map((w) => w * 3), [1, -1, 1, -1, 1, -1, 1, -1, 1]);
    t.same(Array.from(one.recall([1, -1, -1], { mode: 'sync' }).state), [1, -1, 1]);
    t.same(Array.from(one.recall([-1, -1, 1], { mode: 'sync' }).state), [1, -1, 1]);
    t.same(Array.from(one.recall([-1, 1, -1], { mode: 'sync' }).state), [-1, 1, -1]);
    // The four 5-neuron patterns of the seed, Hebbian with the diagonal kept as in the seed.
    const patterns = [[0, 1, 0, 0, 0], [1, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 1, 1, 1, 0]].map((p) => p.map((v) => (v ? 1 : -1)));
    const net = new BinaryHopfield(5, { backend, zeroDiagonal: false });
    net.store(patterns);
    const expected = [
      [0.8, -0.4, 0, 0, 0.4], [-0.4, 0.8, 0.4, 0.4, -0.8], [0, 0.4, 0.8, 0.8, -0.4], [0, 0.4, 0.8, 0.8, -0.4], [0.4, -0.8, -0.4, -0.4, 0.8],
    ];
    const w = net.getWeights();
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) t.ok(Math.abs(w[i * 5 + j] - expected[i][j]) < 1e-15) || t.fail(`W[${i}][${j}]`);
    t.same(Array.from(net.recall(patterns[0], { mode: 'sync', maxSweeps: 1 }).state), patterns[0], 'pattern 0 maps to itself');
  });

  t.test(`[${backend}] Hebbian weights equal (1/N) sum x x^T with a zero diagonal, also when stored in parts`, async (t) => {
    const set = randomPatterns(12, 40, { seed: 3 });
    const all = rows(set);
    const naive = naiveHebbian(all, 40);
    const net = new BinaryHopfield(40, { backend });
    net.store(all.slice(0, 5)).store(all.slice(5));
    const w = net.getWeights();
    let worst = 0;
    for (let i = 0; i < 40; i++) for (let j = 0; j < 40; j++) worst = Math.max(worst, Math.abs(w[i * 40 + j] - naive[i][j]));
    t.ok(worst < 1e-15, `max error ${worst}`);
    t.equal(net.weightStorage, 'int8', 'compact integer counts');
    t.equal(net.patternCount, 12);
    // 200 patterns no longer fit int8 counts: storage widens, values stay exact.
    const big = new BinaryHopfield(10, { backend });
    big.store(randomPatterns(200, 10, { seed: 1 }));
    t.equal(big.weightStorage, 'int16');
    const w2 = big.getWeights();
    const naive2 = naiveHebbian(rows(randomPatterns(200, 10, { seed: 1 })), 10);
    t.ok(w2.every((v, k) => Math.abs(v - naive2[Math.floor(k / 10)][k % 10]) < 1e-13));
  });

  t.test(`[${backend}] Storkey weights follow the rule's definition`, async (t) => {
    const all = rows(randomPatterns(6, 16, { seed: 9 }));
    const naive = naiveStorkey(all, 16);
    const net = new BinaryHopfield(16, { backend, rule: 'storkey' });
    net.store(all.slice(0, 2)).store(all.slice(2));
    const w = net.getWeights();
    let worst = 0;
    for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) worst = Math.max(worst, Math.abs(w[i * 16 + j] - naive[i][j]));
    t.ok(worst < 1e-12, `max error ${worst}`);
  });

  t.test(`[${backend}] pseudo-inverse weights are the projection onto the span of the patterns`, async (t) => {
    const n = 30;
    const set = randomPatterns(8, n, { seed: 5 });
    const all = rows(set);
    // A duplicate and a negation add nothing to the span.
    all.push(all[0].slice(), negate(all[1]));
    const net = new BinaryHopfield(n, { backend, rule: 'pseudoinverse', zeroDiagonal: false });
    net.store(all);
    t.equal(net.rank, 8, 'dependent patterns skipped');
    const w = net.getWeights();
    const mul = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      const c = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) c[i * n + j] += a[i * n + k] * b[k * n + j];
      return c;
    };
    const w2 = mul(w, w);
    let idem = 0;
    let sym = 0;
    let trace = 0;
    for (let i = 0; i < n; i++) {
      trace += w[i * n + i];
      for (let j = 0; j < n; j++) {
        idem = Math.max(idem, Math.abs(w2[i * n + j] - w[i * n + j]));
        sym = Math.max(sym, Math.abs(w[i * n + j] - w[j * n + i]));
      }
    }
    t.ok(idem < 1e-12, `W^2 = W (error ${idem})`);
    t.equal(sym, 0, 'exactly symmetric');
    t.ok(Math.abs(trace - 8) < 1e-12, `trace = rank (${trace})`);
    for (const x of all) {
      let err = 0;
      for (let i = 0; i < n; i++) {
        let wx = 0;
        for (let j = 0; j < n; j++) wx += w[i * n + j] * x[j];
        err = Math.max(err, Math.abs(wx - x[i]));
      }
      t.ok(err < 1e-12, `W x = x (error ${err})`);
    }
  });

  t.test(`[${backend}] energy matches the definition, with thresholds`, async (t) => {
    const n = 25;
    const rng = new Rng(11);
    const u = Array.from({ length: n }, () => rng.nextDouble() - 0.5);
    for (const rule of ['hebbian', 'storkey', 'pseudoinverse'] as const) {
      const net = new BinaryHopfield(n, { backend, rule, thresholds: u });
      net.store(randomPatterns(4, n, { seed: 2 }));
      const w = net.getWeights();
      for (let k = 0; k < 5; k++) {
        const s = randomPatterns(1, n, { seed: 100 + k }).data;
        const e = net.energy(s);
        t.ok(Math.abs(e - naiveEnergy(w, n, s, u)) < 1e-12, `${rule}: ${e}`);
      }
    }
  });

  t.test(`[${backend}] energy never increases along async recall`, async (t) => {
    for (const rule of ['hebbian', 'storkey', 'pseudoinverse'] as const) {
      const n = 120;
      const rng = new Rng(4);
      const net = new BinaryHopfield(n, { backend, rule, thresholds: Array.from({ length: n }, () => 0.1 * (rng.nextDouble() - 0.5)) });
      net.store(randomPatterns(30, n, { seed: 8 }));
      const cues = randomPatterns(40, n, { seed: 12 });
      let increases = 0;
      let converged = 0;
      for (const r of net.recallBatch(cues, { seed: 1 })) {
        for (let k = 1; k < r.energies.length; k++) if (r.energies[k] > r.energies[k - 1] + 1e-12) increases++;
        if (r.converged) converged++;
        t.equal(r.energies.length, r.sweeps + 1);
        t.ok(Math.abs(r.energies[r.sweeps] - net.energy(r.state)) < 1e-9);
      }
      t.equal(increases, 0, `${rule}: no energy increase`);
      t.equal(converged, 40, `${rule}: async recall always converges`);
    }
  });

  t.test(`[${backend}] Hebbian stores 0.05 N random patterns as fixed points (N = 500)`, async (t) => {
    const n = 500;
    const set = randomPatterns(25, n, { seed: 21 });
    const net = new BinaryHopfield(n, { backend });
    net.store(set);
    const stable = rows(set).filter((x) => net.isStable(x)).length;
    t.equal(stable, 25);
    // And they are attractors: 10% flipped bits come back.
    const cues = rows(set).map((x, mu) => Array.from(flipBits(x, 50, mu)));
    const back = net.recallBatch(cues, { seed: 2 }).filter((r, mu) => r.state.every((v, i) => v === set.data[mu * n + i])).length;
    t.equal(back, 25);
  });

  t.test(`[${backend}] synchronous dynamics detect a 2-cycle`, async (t) => {
    // Two mutually inhibiting neurons started equal flip together forever: (+,+) -> (-,-) -> (+,+).
    const net = BinaryHopfield.fromWeights([[0, -1], [-1, 0]], { backend });
    const r = net.recall([1, 1], { mode: 'sync', maxSweeps: 50 });
    t.equal(r.status, 'cycle');
    t.equal(r.cycleLength, 2);
    t.equal(r.sweeps, 2);
    t.notOk(r.converged);
    // Async dynamics on the same network settle.
    const a = net.recall([1, 1], { mode: 'async' });
    t.ok(a.converged);
    t.same(Math.abs(a.state[0] + a.state[1]), 0);
    // Three mutually inhibiting neurons started all +1 also flip together.
    const anti = BinaryHopfield.fromWeights([[0, -1, -1], [-1, 0, -1], [-1, -1, 0]], { backend });
    const r3 = anti.recall([1, 1, 1], { mode: 'sync' });
    t.equal(r3.status, 'cycle');
    t.equal(r3.cycleLength, 2);
  });

  t.test(`[${backend}] longer cycles of an asymmetric network are detected`, async (t) => {
    // A ring where each neuron copies its predecessor: a single +1 travels around, period 4.
    const n = 4;
    const w = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j === (i + n - 1) % n ? 1 : 0)));
    const net = BinaryHopfield.fromWeights(w, { backend, thresholds: [0.5, 0.5, 0.5, 0.5] });
    const r = net.recall([1, -1, -1, -1], { mode: 'sync' });
    t.equal(r.status, 'cycle');
    t.equal(r.cycleLength, 4);
  });

  t.test(`[${backend}] hitting the sweep limit reports 'max-sweeps'`, async (t) => {
    // Async: (+1, +1) is no fixed point of two mutually inhibiting neurons (both fields are -1), so the
    // first sweep flips one of them; only a second, unchanged sweep can show convergence.
    const pair = BinaryHopfield.fromWeights([[0, -1], [-1, 0]], { backend });
    for (let seed = 0; seed < 5; seed++) {
      const r = pair.recall([1, 1], { mode: 'async', maxSweeps: 1, seed });
      t.same([r.status, r.converged, r.sweeps, r.cycleLength, r.energies.length], ['max-sweeps', false, 1, 0, 2], `seed ${seed}`);
      t.equal(pair.recall([1, 1], { mode: 'async', maxSweeps: 2, seed }).status, 'converged', 'one more sweep converges');
    }
    // Sync: the period-4 ring below needs 4 sweeps before a state repeats; 3 sweeps end neither
    // converged nor in a detected cycle.
    const w = Array.from({ length: 4 }, (_, i) => Array.from({ length: 4 }, (_, j) => (j === (i + 3) % 4 ? 1 : 0)));
    const ring = BinaryHopfield.fromWeights(w, { backend, thresholds: [0.5, 0.5, 0.5, 0.5] });
    const r3 = ring.recall([1, -1, -1, -1], { mode: 'sync', maxSweeps: 3 });
    t.same([r3.status, r3.converged, r3.sweeps, r3.cycleLength], ['max-sweeps', false, 3, 0]);
    t.same(Array.from(r3.state), [-1, -1, -1, 1], 'the +1 moved three places');
    t.equal(ring.recall([1, -1, -1, -1], { mode: 'sync', maxSweeps: 4 }).status, 'cycle');
    // Stochastic at a huge temperature: every update is a fair coin, so a sweep of 64 neurons changes
    // nothing with probability 2^-64; two sweeps end at the limit.
    const free = BinaryHopfield.fromWeights({ data: new Float64Array(64 * 64), rows: 64, cols: 64 }, { backend });
    const hot = free.recallBatch(randomPatterns(10, 64, { seed: 1 }), { mode: 'stochastic', temperature: 1e6, maxSweeps: 2, seed: 3 });
    t.same(hot.map((r) => [r.status, r.sweeps]), new Array(10).fill(['max-sweeps', 2]));
  });

  t.test(`[${backend}] integer Hebbian counts recall exactly like the same weights in float64`, async (t) => {
    // n even, p odd, zero diagonal: each field is (1/n) times a sum of n - 1 odd integers, which is
    // odd, so no field is within rounding of 0 and the rounded float64 weights w = count / n cannot
    // change a deterministic decision. (With p even, fields of exactly 0 occur and rounding decides
    // them; stochastic draws could only differ on a 1e-16 window.) n = 60 makes count / n inexact.
    const n = 60;
    for (const p of [5, 21]) {
      const patterns = randomPatterns(p, n, { seed: p });
      const counts = new BinaryHopfield(n, { backend }).store(patterns);
      const real = BinaryHopfield.fromWeights({ data: counts.getWeights(), rows: n, cols: n }, { backend });
      t.equal(counts.weightStorage, 'int8');
      t.equal(real.weightStorage, 'float64');
      const cues = { data: new Int8Array(30 * n), rows: 30, cols: n };
      cues.data.set(randomPatterns(15, n, { seed: 40 + p }).data);
      for (let k = 0; k < 15; k++) cues.data.set(flipBits(patterns.data.subarray((k % p) * n, (k % p + 1) * n), 12, k), (15 + k) * n);
      for (const mode of ['async', 'sync', 'stochastic'] as const) {
        const expected = real.recallBatch(cues, { mode, seed: 9, maxSweeps: 40, temperature: 0.4 });
        for (const fields of ['matrix', 'patterns', 'auto'] as const) {
          const got = counts.recallBatch(cues, { mode, seed: 9, maxSweeps: 40, temperature: 0.4, fields });
          const same = got.every((r, k) => r.state.join() === expected[k].state.join() && r.sweeps === expected[k].sweeps && r.status === expected[k].status);
          t.ok(same, `p=${p} ${mode} ${fields}: same states, sweeps and status`);
          const gap = Math.max(...got.map((r, k) => maxAbsDiff(r.energies, expected[k].energies)));
          t.ok(gap <= 1e-12, `p=${p} ${mode} ${fields}: energies within ${gap}`);
        }
      }
      for (let k = 0; k < 5; k++) {
        const s = cues.data.subarray(k * n, (k + 1) * n);
        t.ok(Math.abs(counts.energy(s) - real.energy(s)) <= 1e-12);
      }
    }
  });

  t.test(`[${backend}] stochastic dynamics follow P(+1) = 1 / (1 + exp(-2h/T))`, async (t) => {
    // No couplings, threshold -h0: every neuron is +1 with the Glauber probability, independently.
    const n = 50;
    const h0 = 0.3;
    const T = 0.5;
    const net = BinaryHopfield.fromWeights({ data: new Float64Array(n * n), rows: n, cols: n }, { backend, thresholds: new Array(n).fill(-h0) });
    const cues = randomPatterns(200, n, { seed: 1 });
    const results = net.recallBatch(cues, { mode: 'stochastic', temperature: T, maxSweeps: 1, seed: 5 });
    let plus = 0;
    for (const r of results) for (const v of r.state) if (v > 0) plus++;
    const draws = 200 * n;
    const p = 1 / (1 + Math.exp((-2 * h0) / T));
    const sd = Math.sqrt((p * (1 - p)) / draws);
    t.ok(Math.abs(plus / draws - p) < 5 * sd, `${plus / draws} vs ${p}`);
  });

  t.test(`[${backend}] Int8Array inputs are read in place by sync calls and copied by async ones`, async (t) => {
    const n = 48;
    const net = new BinaryHopfield(n, { backend }).store(randomPatterns(4, n, { seed: 6 }));
    const cues = randomPatterns(6, n, { seed: 7 });
    const asNumbers = rows(cues);
    const original = cues.data.slice();
    t.same(net.recallBatch(cues, { seed: 1 }).map((r) => Array.from(r.state)), net.recallBatch(asNumbers, { seed: 1 }).map((r) => Array.from(r.state)));
    const one = cues.data.subarray(0, n);
    t.same(net.recall(one, { seed: 2 }).state, net.recall(asNumbers[0], { seed: 2 }).state);
    t.equal(net.energy(one), net.energy(asNumbers[0]));
    t.same(cues.data, original, 'sync calls do not modify their input');
    // In-place reads are still checked entry by entry, with the argument's name.
    const bad = cues.data.slice();
    bad[n + 5] = 0;
    t.throws(() => net.recallBatch({ data: bad, rows: 6, cols: n }), { name: 'RangeError', message: /cues\[1\]\[5\] must be \+1 or -1, got 0/ });
    t.throws(() => net.recall(bad.subarray(n, 2 * n)), { name: 'RangeError', message: /cue\[5\]/ });
    t.throws(() => net.energy(Int8Array.from(bad.subarray(n, 2 * n))), { name: 'RangeError', message: /state\[5\]/ });
    // Async calls copy: scribbling over the input after the call does not change the result.
    const expected = net.recallBatch(cues, { seed: 3 }).map((r) => r.state.join());
    const pending = net.recallBatchAsync(cues, { seed: 3 });
    cues.data.fill(1);
    t.same((await pending).map((r) => r.state.join()), expected);
  });

  t.test(`[${backend}] async forms give the sync forms' results`, async (t) => {
    const n = 64;
    const set = randomPatterns(6, n, { seed: 2 });
    const a = new BinaryHopfield(n, { backend, rule: 'storkey' });
    const b = new BinaryHopfield(n, { backend, rule: 'storkey' });
    a.store(set);
    await b.storeAsync(set);
    t.same(b.getWeights(), a.getWeights());
    const cues = randomPatterns(10, n, { seed: 3 });
    const sync = a.recallBatch(cues, { seed: 4 });
    const asyncResults = await b.recallBatchAsync(cues, { seed: 4 });
    t.same(asyncResults.map((r) => Array.from(r.state)), sync.map((r) => Array.from(r.state)));
    t.same((await b.recallAsync(cues.data.subarray(0, n), { seed: 4 })).state, sync[0].state, 'single recall = batch item 0');
    // Concurrent stores apply in call order.
    const c = new BinaryHopfield(n, { backend });
    await Promise.all([c.storeAsync(rows(set).slice(0, 3)), c.storeAsync(rows(set).slice(3))]);
    t.same(c.patterns.data, set.data);
  });
}

t.test('float32 inputs are accepted where real values are involved', async (t) => {
  const u32 = Float32Array.from([0.25, -0.5, 0.125]);
  const w32 = { data: Float32Array.from([0, 0.5, -0.25, 0.5, 0, 1, -0.25, 1, 0]), rows: 3, cols: 3 };
  const a = BinaryHopfield.fromWeights(w32, { thresholds: u32 });
  const b = BinaryHopfield.fromWeights([[0, 0.5, -0.25], [0.5, 0, 1], [-0.25, 1, 0]], { thresholds: [0.25, -0.5, 0.125] });
  t.same(a.getWeights(), b.getWeights());
  t.same(a.thresholds, b.thresholds);
  t.equal(a.energy([1, -1, 1]), b.energy([1, -1, 1]));
  t.same(new BinaryHopfield(3, { thresholds: u32 }).thresholds, Float64Array.from([0.25, -0.5, 0.125]));
});
