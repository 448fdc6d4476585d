// Native and pure TypeScript backends agree exactly on states and sweeps, and to 1e-12 on
// energies, on random networks with the same seeds.
import t from 'tap';
import { availableParallelism } from 'node:os';
import { BinaryHopfield, randomPatterns, Rng, RecallModeName, StorageRule } from '../src/index';
import { recallWorkerCount } from '../src/js/binaryThreads';
import { backendsUnderTest, maxAbsDiff } from './helpers';

const backends = backendsUnderTest();
if (backends.length < 2) {
  t.pass('only the js backend is under test');
} else {
  const rules: StorageRule[] = ['hebbian', 'storkey', 'pseudoinverse'];
  const modes: RecallModeName[] = ['async', 'sync', 'stochastic'];
  let trial = 0;
  for (const n of [7, 50, 131]) {
    for (const rule of rules) {
      for (const withThresholds of [false, true]) {
        trial++;
        t.test(`n=${n} ${rule}${withThresholds ? ' with thresholds' : ''}`, async (t) => {
          const rng = new Rng(trial);
          const thresholds = withThresholds ? Array.from({ length: n }, () => 0.2 * (rng.nextDouble() - 0.5)) : undefined;
          const p = Math.max(1, Math.round(n * (0.05 + 0.3 * rng.nextDouble())));
          const patterns = randomPatterns(p, n, { seed: trial * 7 });
          const nets = backends.map((backend) => new BinaryHopfield(n, { backend, rule, thresholds }).store(patterns));
          t.same(nets[0].getWeights(), nets[1].getWeights(), 'identical weights');
          const cues = randomPatterns(12, n, { seed: trial * 13 });
          for (const mode of modes) {
            const options = { mode, seed: trial, maxSweeps: 30, temperature: 0.3 };
            const [a, b] = nets.map((net) => net.recallBatch(cues, options));
            for (let k = 0; k < a.length; k++) {
              t.same(b[k].state, a[k].state, `${mode} #${k} state`);
              t.equal(b[k].sweeps, a[k].sweeps, `${mode} #${k} sweeps`);
              t.equal(b[k].status, a[k].status, `${mode} #${k} status`);
              t.ok(maxAbsDiff(a[k].energies, b[k].energies) <= 1e-12, `${mode} #${k} energies`);
            }
          }
          const s = cues.data.subarray(0, n);
          t.ok(Math.abs(nets[0].energy(s) - nets[1].energy(s)) <= 1e-12);
        });
      }
    }
  }

  t.test('asymmetric explicit weights and single-thread vs multi-thread batches agree', async (t) => {
    const n = 40;
    const rng = new Rng(99);
    const w = { data: Float64Array.from({ length: n * n }, () => rng.nextDouble() - 0.5), rows: n, cols: n };
    const [a, b] = backends.map((backend) => BinaryHopfield.fromWeights(w, { backend }));
    const cues = randomPatterns(9, n, { seed: 1 });
    for (const mode of ['sync', 'async'] as const) {
      const ra = a.recallBatch(cues, { mode, maxSweeps: 40, threads: 1 });
      const rb = b.recallBatch(cues, { mode, maxSweeps: 40 });
      const rc = a.recallBatch(cues, { mode, maxSweeps: 40, threads: 2 });
      t.same(rb.map((r) => [Array.from(r.state), r.sweeps, r.status, r.cycleLength]), ra.map((r) => [Array.from(r.state), r.sweeps, r.status, r.cycleLength]));
      t.same(rc.map((r) => Array.from(r.state)), ra.map((r) => Array.from(r.state)));
    }
  });
}

t.test('pattern-overlap fields, and overlaps handing over to matrix fields, give exactly the results of matrix fields', async (t) => {
  for (const backend of backends) {
    for (const zeroDiagonal of [true, false]) {
      for (const withThresholds of [false, true]) {
        // p = 30 of n = 90 keeps 'auto' on matrix fields; p = 12 of n = 120 makes it start on the
        // overlaps, record the fields in the sweep after one that flips fewer than 24 neurons and
        // go on with matrix fields, which most of these recalls do (random cues flip about n/2 in
        // their first sweep and few later).
        for (const [n, p] of [[90, 30], [120, 12]]) {
          const rng = new Rng(7);
          const thresholds = withThresholds ? Array.from({ length: n }, () => 0.1 * (rng.nextDouble() - 0.5)) : undefined;
          const net = new BinaryHopfield(n, { backend, zeroDiagonal, thresholds }).store(randomPatterns(p, n, { seed: 3 }));
          const cues = randomPatterns(10, n, { seed: 4 });
          for (const mode of ['async', 'sync', 'stochastic'] as const) {
            const a = net.recallBatch(cues, { mode, seed: 2, fields: 'matrix', temperature: 0.4 });
            for (const fields of ['patterns', 'auto'] as const) {
              const b = net.recallBatch(cues, { mode, seed: 2, fields, temperature: 0.4 });
              const same = a.every((r, k) => r.state.join() === b[k].state.join() && r.sweeps === b[k].sweeps && r.energies.join() === b[k].energies.join());
              t.ok(same, `${backend} n=${n} p=${p} zeroDiagonal=${zeroDiagonal} thresholds=${withThresholds} ${mode} ${fields}`);
            }
          }
        }
      }
    }
    t.throws(() => new BinaryHopfield(5, { backend, rule: 'storkey' }).recall([1, 1, 1, 1, 1], { fields: 'patterns' }), RangeError);
  }
});

t.test('pure-TS batches on worker threads give the results of one thread (and of native), sync and async', async (t) => {
  // 80 cues x 512^2 is above the size from which pure TS hands a batch to worker threads.
  const n = 512;
  const patterns = randomPatterns(51, n, { seed: 8 });
  const cues = { data: new Int8Array(80 * n), rows: 80, cols: n };
  cues.data.set(randomPatterns(40, n, { seed: 9 }).data);
  const rng = new Rng(10);
  for (let k = 40 * n; k < 80 * n; k++) cues.data[k] = patterns.data[k % (51 * n)] * (rng.nextDouble() < 0.15 ? -1 : 1);
  const nets = Object.fromEntries(backends.map((b) => [b, new BinaryHopfield(n, { backend: b, rule: 'hebbian' }).store(patterns)]));
  const summary = (rs: { state: Int8Array; sweeps: number; status: string; energies: Float64Array }[]) =>
    rs.map((r) => `${r.state.join('')} ${r.sweeps} ${r.status} ${r.energies.join(',')}`);
  for (const mode of ['async', 'sync', 'stochastic'] as const) {
    for (const fields of ['auto', 'matrix'] as const) {
      const options = { mode, fields, seed: 3, temperature: 0.3, maxSweeps: 30 };
      const single = summary(nets.js.recallBatch(cues, { ...options, threads: 1 }));
      t.same(summary(nets.js.recallBatch(cues, { ...options, threads: 2 })), single, `${mode} ${fields}: 2 threads = 1 thread`);
      t.ok(recallWorkerCount() >= 1, 'a worker thread took part');
      t.same(summary(await nets.js.recallBatchAsync(cues, { ...options, threads: 3 })), single, `${mode} ${fields}: async on 3 threads = 1 thread`);
      // Thread counts are capped at the cores: 3 threads are 2 on a 2-core machine.
      t.ok(recallWorkerCount() >= Math.min(2, availableParallelism() - 1), 'two worker threads (as many as the cores allow) took part');
      if (nets.native) {
        const native = nets.native.recallBatch(cues, options);
        const same = native.every((r, k) => r.state.join('') === single[k].split(' ')[0]);
        t.ok(same, `${mode} ${fields}: native gives the same states`);
      }
    }
  }
});
