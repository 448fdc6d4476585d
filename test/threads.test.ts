// Thread counts: a call never starts more threads than the cores available (options.threads is
// capped, both backends), and a thread that cannot be created costs speed, not the process.
import t from 'tap';
import { availableParallelism } from 'node:os';
import { BinaryHopfield, randomPatterns } from '../src/index';
import { recallWorkerCount } from '../src/js/binaryThreads';
import { backendsUnderTest, describeChild, runChild } from './helpers';

const underSanitizer = (process.env.LD_PRELOAD ?? '').includes('asan');
const cores = availableParallelism();

t.test('native: entmax on 1024 threads under a memory limit that stops thread creation (issue repro)', { skip: underSanitizer && 'ASan reserves more address space than the limit' }, async (t) => {
  const r = runChild(`
    const rows = 1024, cols = 20000;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i);
    const p = sshn.entmax({ data, rows, cols }, { alpha: 1.3, threads: 1024 }).data;
    let worst = 0;
    for (let r = 0; r < rows; r++) { let s = 0; for (let c = 0; c < cols; c++) s += p[r * cols + c]; worst = Math.max(worst, Math.abs(s - 1)); }
    console.log(JSON.stringify({ worst }));
  `, { env: { SSHN_BACKEND: 'native' }, shell: 'ulimit -v 8000000' });
  t.equal(r.signal, null, `no signal: ${describeChild(r)}`);
  t.equal(r.status, 0, describeChild(r));
  if (r.status === 0) t.ok(JSON.parse(r.stdout).worst < 1e-12, 'every row of the result sums to 1');
});

// Batches of every threaded native kernel, summarised; the same with every extra thread refused.
const threadedCalls = `
  const rng = new sshn.Rng(5);
  const normals = (k) => Float64Array.from({ length: k }, () => rng.normal());
  const out = {};
  out.entmax = Array.from(sshn.entmax({ data: normals(300 * 400), rows: 300, cols: 400 }, { alpha: 1.4, threads: 2 }).data);
  const memory = new sshn.HopfieldMemory({ data: normals(2000 * 16), rows: 2000, cols: 16 }, { transform: 'sparsemax', beta: 3, threads: 2 });
  out.memory = Array.from(memory.retrieveBatch({ data: normals(200 * 16), rows: 200, cols: 16 }).states.data);
  out.gram = Array.from(memory.gram().data.subarray(0, 5000));
  const net = new sshn.BinaryHopfield(300);
  net.store(sshn.randomPatterns(15, 300, { seed: 1 }));
  out.recall = net.recallBatch(sshn.randomPatterns(300, 300, { seed: 2 }), { mode: 'async', seed: 3, threads: 2 }).flatMap((r) => Array.from(r.state));
  out.kSubsets = Array.from(sshn.kSubsetsExactBatch({ data: normals(300 * 50), rows: 300, cols: 50 }, 4, { threads: 2 }).data);
  console.log(JSON.stringify(out));
`;

t.test('native: with thread creation failing, every threaded kernel runs on the calling thread with the same results', async (t) => {
  const normal = runChild(threadedCalls, { env: { SSHN_BACKEND: 'native' } });
  const refused = runChild(threadedCalls, { env: { SSHN_BACKEND: 'native', SSHN_TEST_THREADS_BEFORE_FAILURE: '0' } });
  t.equal(normal.status, 0, describeChild(normal));
  t.equal(refused.signal, null, `no signal: ${describeChild(refused)}`);
  t.equal(refused.status, 0, describeChild(refused));
  if (normal.status !== 0 || refused.status !== 0) return;
  const a = JSON.parse(normal.stdout) as Record<string, number[]>;
  const b = JSON.parse(refused.stdout) as Record<string, number[]>;
  for (const kernel of Object.keys(a)) t.same(b[kernel], a[kernel], `${kernel}: bitwise the same results`);
});

t.test('native: threads: 64 starts no more threads than the cores', { skip: process.platform !== 'linux' && 'counts /proc/self/task' }, async (t) => {
  // A worker samples the process's thread count while the main thread runs a long native call.
  const r = runChild(`
    const { Worker } = require('node:worker_threads');
    const fs = require('node:fs');
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const sampler = new Worker(\`
      const { workerData } = require('node:worker_threads');
      const fs = require('node:fs');
      const s = workerData;
      Atomics.store(s, 1, 1);
      while (Atomics.load(s, 1) === 1) Atomics.store(s, 0, Math.max(Atomics.load(s, 0), fs.readdirSync('/proc/self/task').length));
    \`, { eval: true, workerData: shared });
    while (Atomics.load(shared, 1) === 0) {}
    const before = fs.readdirSync('/proc/self/task').length;
    const rows = 400, cols = 20000;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = Math.cos(i);
    for (let k = 0; k < 3; k++) sshn.entmax({ data, rows, cols }, { alpha: 1.3, threads: 64 });
    Atomics.store(shared, 1, 2);
    sampler.terminate().then(() => console.log(JSON.stringify({ before, peak: shared[0] })));
  `, { env: { SSHN_BACKEND: 'native' } });
  t.equal(r.status, 0, describeChild(r));
  if (r.status !== 0) return;
  const { before, peak } = JSON.parse(r.stdout) as { before: number; peak: number };
  t.ok(peak - before <= cores - 1, `at most cores - 1 = ${cores - 1} threads beside the caller (${before} threads before, peak ${peak})`);
});

for (const backend of backendsUnderTest()) {
  t.test(`${backend}: recallBatch with threads: 64 uses no more threads than the cores`, async (t) => {
    const net = new BinaryHopfield(400, { backend });
    net.store(randomPatterns(20, 400, { seed: 1 }));
    const cues = randomPatterns(400, 400, { seed: 2 });
    const states = (threads: number) => net.recallBatch(cues, { mode: 'async', seed: 4, threads }).map((r) => Array.from(r.state));
    t.same(states(64), states(1), 'the same states as on one thread');
    if (backend === 'js') t.ok(recallWorkerCount() <= cores - 1, `at most ${cores - 1} worker threads (${recallWorkerCount()})`);
  });
}
