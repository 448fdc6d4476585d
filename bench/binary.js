// Classical binary Hopfield networks, native vs pure TypeScript: storing p = 0.1 N random patterns
// and recalling from 10%-noise cues, at N = 256, 1024, 4096. Build first: npx tsc -p .
'use strict';
const sshn = require('../lib');
const { medianMs, printTable } = require('./harness');

const sizes = (process.env.BENCH_SIZES || '256,1024,4096').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS || 5);
const backends = sshn.availableBackends();

function timeBoth(label, n, make) {
  const row = { task: label, N: n };
  for (const backend of ['native', 'js']) {
    if (!backends.includes(backend)) continue;
    const fn = make(backend);
    row[`${backend} ms`] = medianMs(fn, backend === 'js' && n >= 4096 ? Math.min(runs, 3) : runs);
  }
  if (row['native ms'] !== undefined && row['js ms'] !== undefined) row['js / native'] = row['js ms'] / row['native ms'];
  return row;
}

const rows = [];
const sweepRows = [];
for (const n of sizes) {
  const p = Math.round(0.1 * n);
  const patterns = sshn.randomPatterns(p, n, { seed: 1 });
  const cues = { data: new Int8Array(p * n), rows: p, cols: n };
  for (let mu = 0; mu < p; mu++) cues.data.set(sshn.flipBits(patterns.data.subarray(mu * n, (mu + 1) * n), Math.round(0.1 * n), mu), mu * n);
  const random = sshn.randomPatterns(1, n, { seed: 99 }).data;
  const rules = n <= 1024 ? ['hebbian', 'storkey', 'pseudoinverse'] : ['hebbian'];
  for (const rule of rules) {
    rows.push(timeBoth(`store ${rule}`, n, (backend) => () => new sshn.BinaryHopfield(n, { rule, backend }).store(patterns)));
  }
  const nets = Object.fromEntries(backends.map((b) => [b, new sshn.BinaryHopfield(n, { backend: b }).store(patterns)]));
  const batch = { data: cues.data.subarray(0, Math.min(p, 64) * n), rows: Math.min(p, 64), cols: n };
  rows.push(timeBoth(`recall ${batch.rows} cues (async, to convergence)`, n, (b) => () => nets[b].recallBatch(batch, { seed: 1, trackEnergy: false })));
  rows.push(timeBoth('recall 1 cue (async, to convergence)', n, (b) => () => nets[b].recall(cues.data.subarray(0, n), { seed: 1 })));
  // One async sweep from a random state (about N/2 flips) against one read of W (energy = W s).
  for (const backend of backends) {
    const net = nets[backend];
    const read = medianMs(() => net.energy(random), runs * 4);
    const sweep = medianMs(() => net.recall(random, { maxSweeps: 1, trackEnergy: false }), runs * 4);
    sweepRows.push({ backend, N: n, weights: net.weightStorage, 'read W (ms)': read, 'fields + 1 sweep (ms)': sweep, 'sweep / read': (sweep - read) / read });
  }
}
console.log(`## Binary Hopfield (p = 0.1 N, cues with 10% flipped bits; median of ${runs} runs)\n`);
printTable(rows);
console.log('\n## One asynchronous sweep from a random state vs one read of the weight matrix\n');
printTable(sweepRows);
