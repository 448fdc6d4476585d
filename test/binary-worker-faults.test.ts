// Pure-TS batch recall on worker threads when a worker fails: throws, exits (process.exit) or hangs
// after claiming an item (recallTestHooks.fault, a hook for tests only). The batch must still return
// the right states, promptly, sync and async; a worker that died or hung must leave the pool (a hung
// one stopped); and the next batch must work, on a worker again. Only the js backend runs batches on
// worker threads (native uses its own threads), so this test has no native twin.
import t from 'tap';
const tap = t;
import { BinaryHopfield, flipBits, randomPatterns } from '../src/index';
import { recallTestHooks, recallWorkerCount, recallWorkersRunning } from '../src/js/binaryThreads';

const n = 512;
const p = 20;
const patterns = randomPatterns(p, n, { seed: 21 });
// 80 cues x 512^2 multiply-adds is above the size from which a batch is shared with workers:
// each stored pattern with 51 of its bits (10%) flipped, four times over.
const cues = { data: new Int8Array(80 * n), rows: 80, cols: n };
for (let k = 0; k < 80; k++) cues.data.set(flipBits(patterns.data.subarray((k % p) * n, (k % p + 1) * n), 51, k), k * n);

/** Hebbian fields h_i = sum_mu xi_i (xi . s) - p s_i (zero diagonal), computed here from the patterns. */
function isFixedPoint(s: ArrayLike<number>): boolean {
  const overlaps = new Float64Array(p);
  for (let mu = 0; mu < p; mu++) for (let i = 0; i < n; i++) overlaps[mu] += patterns.data[mu * n + i] * s[i];
  for (let i = 0; i < n; i++) {
    let h = -p * s[i];
    for (let mu = 0; mu < p; mu++) h += patterns.data[mu * n + i] * overlaps[mu];
    if (h * s[i] < 0) return false;
  }
  return true;
}

/** At load 20/512 a cue 10% away from a stored pattern is recalled to it: states are checked against the patterns. */
function check(t: typeof tap, results: { state: Int8Array; converged: boolean }[], what: string): void {
  const wrong = results.filter((r, k) => {
    const target = patterns.data.subarray((k % p) * n, (k % p + 1) * n);
    return !r.converged || r.state.some((v, i) => v !== target[i]);
  });
  t.equal(wrong.length, 0, `${what}: every cue recalled its pattern`);
}

const net = new BinaryHopfield(n, { backend: 'js' }).store(patterns);
const options = { mode: 'sync' as const, threads: 2, trackEnergy: false };
const turn = () => new Promise((resolve) => setTimeout(resolve, 50));

/** A batch that waits for a worker to take its first item: a new worker has loaded its code after it. */
function withWorkerReady(t: typeof tap, what: string): void {
  recallTestHooks.fault = 'none';
  check(t, net.recallBatch(cues, options), what);
  t.equal(recallWorkerCount(), 1, `${what}: one helper worker for two threads`);
}

t.test('the stored patterns are fixed points, the check the recalls are held to', async (t) => {
  for (let mu = 0; mu < p; mu++) t.ok(isFixedPoint(patterns.data.subarray(mu * n, (mu + 1) * n)), `pattern ${mu}`);
});

t.test('a worker that throws, exits or hangs mid-batch', async (t) => {
  t.teardown(() => {
    recallTestHooks.stallMs = 30_000;
    recallTestHooks.fault = null;
  });
  withWorkerReady(t, 'warm-up');
  for (const fault of ['throw', 'exit', 'hang'] as const) {
    for (const call of ['sync', 'async'] as const) {
      // The worker takes the first item, then fails; this thread takes the others. A hang is only
      // seen when items stop finishing, after stallMs: 1 s here, the 30 s default otherwise.
      recallTestHooks.stallMs = fault === 'hang' ? 1000 : 30_000;
      recallTestHooks.fault = fault;
      const started = Date.now();
      const results = call === 'sync' ? net.recallBatch(cues, options) : await net.recallBatchAsync(cues, options);
      const took = Date.now() - started;
      check(t, results, `${fault} ${call}`);
      t.equal(recallTestHooks.fault, null, 'the fault was used by that batch');
      // A worker's death is seen at once: it used to cost the 30 s stall.
      t.ok(took < (fault === 'hang' ? 4000 : 3000), `${fault} ${call}: returned in ${took} ms`);
      const stays = fault === 'throw';
      t.equal(recallWorkerCount(), stays ? 1 : 0, `${fault} ${call}: ${stays ? 'the worker stays' : 'the worker left the pool at once'}`);
      // The next batch works, at once and (once the new worker has loaded) on a worker.
      check(t, net.recallBatch(cues, options), `${fault} ${call}: the next batch`);
      withWorkerReady(t, `${fault} ${call}: a batch on the worker`);
      await turn();
    }
  }
  // The workers that left the pool have exited: the hung ones were stopped, not just dropped.
  for (let wait = 0; wait < 100 && recallWorkersRunning() > recallWorkerCount(); wait++) await turn();
  t.equal(recallWorkersRunning(), recallWorkerCount(), `no worker runs outside the pool (${recallWorkersRunning()} running, ${recallWorkerCount()} in the pool)`);
});
