// retrieveBatchAsync against callers that change things while it runs: it answers for the patterns
// of the moment of the call, and inputs detached or freed mid-call give the right result or a
// RangeError, never a crash (the crash repros run in child processes).
import t from 'tap';
import { HopfieldMemory, Rng } from '../src/index';
import { backendsUnderTest, describeChild, runChild } from './helpers';

function normals(rng: Rng, length: number): Float64Array {
  return Float64Array.from({ length }, () => rng.normal());
}

for (const backend of backendsUnderTest()) {
  t.test(`${backend}: remove() and add() during retrieveBatchAsync do not change its result`, async (t) => {
    // 600 queries against 20 000 patterns run as two blocks, the second after the change.
    const n = 20000, d = 4, rows = 600;
    const rng = new Rng(3);
    const X = { data: normals(rng, n * d), rows: n, cols: d };
    const queries = { data: normals(rng, rows * d), rows, cols: d };
    for (const change of ['remove', 'add'] as const) {
      const memory = new HopfieldMemory(X, { transform: 'sparsemax', beta: 2, backend });
      const expected = memory.retrieveBatch(queries);
      const pending = memory.retrieveBatchAsync(queries);
      if (change === 'remove') memory.remove([0, 1, 2, 3, 4]);
      else memory.add({ data: normals(rng, 50 * d), rows: 50, cols: d });
      const r = await pending;
      t.same(Array.from(r.states.data), Array.from(expected.states.data), `${change}: the states of the synchronous call before the change`);
      t.same(r.weights, expected.weights, `${change}: the same sparse weights (indices into the patterns of the call)`);
    }
  });

  t.test(`${backend}: memory.gram() and memory.scores() are on shared memory, which cannot be detached`, async (t) => {
    const memory = new HopfieldMemory([[1, 0], [0, 1], [1, 1]], { backend });
    for (const g of [memory.gram(), memory.gram({ rows: 'onDemand' }), memory.scores([[1, 2]]), { data: memory.scores([1, 2]) }]) {
      const arrays: ArrayBufferView[] = g.ready ? [g.data, g.ready] : [g.data];
      for (const a of arrays) {
        t.ok(a.buffer instanceof SharedArrayBuffer, 'backed by a SharedArrayBuffer');
        t.throws(() => structuredClone(a.buffer, { transfer: [a.buffer as unknown as ArrayBuffer] }), 'a transfer is refused');
      }
    }
  });

  t.test(`${backend}: rows an async call fills in a caller-made on-demand Gram matrix are handed back`, async (t) => {
    const rng = new Rng(4);
    const n = 300, d = 200;
    const memory = new HopfieldMemory({ data: normals(rng, n * d), rows: n, cols: d }, { transform: 'sparsemax', beta: 8, backend });
    const full = memory.gram();
    const own = { data: new Float64Array(n * n), rows: n, cols: n, ready: new Uint8Array(n) };
    const queries = { data: normals(rng, 40 * d), rows: 40, cols: d };
    const r = await memory.retrieveBatchAsync(queries, { gram: own });
    t.same(Array.from(r.states.data), Array.from(memory.retrieveBatch(queries).states.data), 'the result without a Gram matrix');
    const filled = own.ready.reduce((a, b) => a + b, 0);
    t.ok(filled > 0, `the call filled rows (${filled})`);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      if (!own.ready[i]) continue;
      for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(own.data[i * n + j] - full.data[i * n + j]) / (1 + Math.abs(full.data[i * n + j])));
    }
    t.ok(worst < 1e-12, `the rows flagged ready hold X x_i (worst relative gap ${worst})`);
  });
}

// Detaches the caller's options.gram or options.scores 30 ms into the call and collects the clone
// that took the memory; the pool thread read freed memory before (SIGSEGV).
const detachScript = (which: 'gram' | 'onDemand' | 'scores') => `
const rng = new sshn.Rng(7);
const normals = (k) => Float64Array.from({ length: k }, () => rng.normal());
// Scores: blocks of 559 queries against 20 000 patterns, so that the detach falls between blocks.
const [n, d, rows] = ${which === 'scores' ? '[20000, 8, 1500]' : '[3000, 320, 200]'};
const memory = new sshn.HopfieldMemory({ data: normals(n * d), rows: n, cols: d }, { transform: 'sparsemax', beta: 6 });
const queries = { data: normals(rows * d), rows, cols: d };
const ours = memory.scores(queries);
const scores = { ...ours, data: Float64Array.from(ours.data) };
const mine = { data: new Float64Array(n * n), rows: n, cols: n, ${which === 'onDemand' ? 'ready: new Uint8Array(n)' : ''} };
if (${which === 'gram'}) mine.data.set(memory.gram().data);
const options = ${which === 'scores' ? '{ scores }' : '{ gram: mine }'};
const target = ${which === 'scores' ? 'scores.data' : 'mine.data'};
const expected = memory.retrieveBatch(queries).states.data;
memory.retrieveBatchAsync(queries, options).then(
  (r) => console.log(JSON.stringify({ same: r.states.data.every((v, i) => Math.abs(v - expected[i]) <= 1e-9 * (1 + Math.abs(expected[i]))) })),
  (e) => console.log(JSON.stringify({ error: e.constructor.name + ': ' + e.message })),
);
setTimeout(() => {
  let clone = structuredClone(target.buffer, { transfer: [target.buffer] });
  clone = null;
  globalThis.gc();
  globalThis.gc();
}, 30);
`;

for (const backend of backendsUnderTest()) {
  for (const which of ['gram', 'onDemand', 'scores'] as const) {
    t.test(`${backend}: detaching a caller-made options.${which === 'scores' ? 'scores' : 'gram'}${which === 'onDemand' ? ' (on demand)' : ''} during retrieveBatchAsync`, async (t) => {
      const r = runChild(detachScript(which), { env: { SSHN_BACKEND: backend } });
      t.equal(r.signal, null, `no signal: ${describeChild(r)}`);
      t.equal(r.status, 0, describeChild(r));
      if (r.status !== 0) return;
      const outcome = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { same?: boolean; error?: string };
      if (outcome.error !== undefined) t.match(outcome.error, /^RangeError: options\.scores was detached/, 'a RangeError naming options.scores');
      else t.equal(outcome.same, true, 'the result of the call without the detached input');
    });
  }
}

