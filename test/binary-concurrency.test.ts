// Many async calls in flight at once, and inputs mutated while they run: results identical to
// sequential runs (async calls work on their own copies of the inputs).
import t from 'tap';
import { BinaryHopfield, randomPatterns } from '../src/index';
import { backendsUnderTest, maxAbsDiff } from './helpers';

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] hundreds of concurrent async recalls and stores`, async (t) => {
    const n = 200;
    const net = new BinaryHopfield(n, { backend, rule: 'storkey' }).store(randomPatterns(20, n, { seed: 1 }));
    const cues = randomPatterns(300, n, { seed: 2 });
    const rows = Array.from({ length: 300 }, (_, i) => cues.data.slice(i * n, (i + 1) * n));
    const expected = rows.map((cue, i) => net.recall(cue, { seed: i }).state.join());
    const inFlight = rows.map((cue, i) => net.recallAsync(cue, { seed: i }));
    // Scribble over every cue while the calls run: they must have taken copies.
    for (const cue of rows) cue.fill(1);
    const results = await Promise.all(inFlight);
    t.same(results.map((r) => r.state.join()), expected);

    const batches = await Promise.all(Array.from({ length: 20 }, () => net.recallBatchAsync(cues, { seed: 5 })));
    const sequential = net.recallBatch(cues, { seed: 5 }).map((r) => r.state.join());
    t.ok(batches.every((b) => b.every((r, i) => r.state.join() === sequential[i])), 'every concurrent batch equals the sequential one');

    // Stores and recalls interleaved: each recall sees the weights published before it was called.
    const grow = new BinaryHopfield(n, { backend });
    const parts = Array.from({ length: 10 }, (_, k) => randomPatterns(2, n, { seed: 100 + k }));
    await Promise.all(parts.map((p) => grow.storeAsync(p)));
    const reference = new BinaryHopfield(n, { backend });
    for (const p of parts) reference.store(p);
    t.same(grow.getWeights(), reference.getWeights(), 'concurrent stores applied in call order');

    // storeAsync copies its patterns at the call, even when it waits for earlier stores to finish.
    const copied = new BinaryHopfield(n, { backend, rule: 'storkey' });
    const queued = parts.map((p) => ({ data: p.data.slice(), rows: p.rows, cols: p.cols }));
    const stores = queued.map((p) => copied.storeAsync(p));
    for (const p of queued) p.data.fill(1);
    await Promise.all(stores);
    const storkey = new BinaryHopfield(n, { backend, rule: 'storkey' });
    for (const p of parts) storkey.store(p);
    t.equal(maxAbsDiff(copied.getWeights(), storkey.getWeights()), 0, 'patterns scribbled after storeAsync do not change what is stored');
    t.throws(() => {
      void grow.storeAsync(parts[0]);
      grow.store(parts[1]);
    }, /while a storeAsync\(\) is running/);
  });
}
