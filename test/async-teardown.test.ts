// A worker thread that ends while async calls it started are running or queued ends alone: the
// process goes on (before, the native backend aborted the whole process when such a call
// completed during the worker's teardown). Each repro runs in a child process.
import t from 'tap';
import * as path from 'node:path';
import { backendsUnderTest, describeChild, runChild } from './helpers';

const lib = path.join(__dirname, '..', 'lib', 'index.js');

// Starts async calls of every kind (several per kind, so that some run, some wait in the pool's
// queue and some may finish) and then ends as `ending` says.
const workerCode = (ending: 'terminate' | 'exit') => `
const { parentPort } = require('node:worker_threads');
const sshn = require(${JSON.stringify(lib)});
const rng = new sshn.Rng(1);
const normals = (k) => Float64Array.from({ length: k }, () => rng.normal());
const X = { data: normals(1000 * 32), rows: 1000, cols: 32 };
const memory = new sshn.HopfieldMemory(X, { transform: 'entmax15', beta: 2 });
const net = new sshn.BinaryHopfield(200);
net.store(sshn.randomPatterns(10, 200, { seed: 2 }));
const cues = sshn.randomPatterns(100, 200, { seed: 3 });
const graph = new sshn.FactorGraph(100);
for (let i = 0; i + 4 <= 100; i++) graph.addBudget([i, i + 1, i + 2, i + 3], 2);
for (let call = 0; call < 3; call++) {
  sshn.softmax.async({ data: normals(100 * 5000), rows: 100, cols: 5000 });
  memory.retrieveBatchAsync({ data: normals(100 * 32), rows: 100, cols: 32 }, { gram: memory.gram() });
  graph.solveAsync(normals(100), { maxIter: 500, tol: 1e-300 });
  net.recallBatchAsync(cues, { mode: 'async', seed: call });
  sshn.kSubsetsExactBatchAsync({ data: normals(100 * 100), rows: 100, cols: 100 }, 5);
}
${ending === 'exit' ? 'setTimeout(() => process.exit(0), 5);' : "parentPort.postMessage('started');"}
`;

const parentCode = (ending: 'terminate' | 'exit') => `
const { Worker } = require('node:worker_threads');
const worker = new Worker(${JSON.stringify(workerCode(ending))}, { eval: true });
worker.on('message', () => worker.terminate());
worker.on('error', (e) => { console.log('worker error', e.message); });
worker.on('exit', () => setTimeout(() => console.log('parent alive'), 300));
`;

for (const backend of backendsUnderTest()) {
  for (const ending of ['terminate', 'exit'] as const) {
    t.test(`${backend}: a worker that ends by ${ending === 'exit' ? 'process.exit' : 'terminate()'} while its async calls run ends alone`, async (t) => {
      const r = runChild(parentCode(ending), { env: { SSHN_BACKEND: backend } });
      t.equal(r.signal, null, `no signal: ${describeChild(r)}`);
      t.equal(r.status, 0, `exit 0: ${describeChild(r)}`);
      t.match(r.stdout, /parent alive/, 'the parent process goes on after the worker ended');
      t.notMatch(r.stderr, /terminate called|Napi::Error/, 'nothing escapes the addon');
    });
  }
}
