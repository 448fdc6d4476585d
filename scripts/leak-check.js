// Prints how much the resident set grows over a loop of small synchronous calls and over a loop of
// large async calls, for each part of the library. Run with --expose-gc (for the collections before
// each reading) and --max-semi-space-size=1: otherwise V8 grows its young generation once, by up to
// ~30 MiB, when allocation is fast, which is not a leak but looks like one.
// Usage: node --expose-gc --max-semi-space-size=1 scripts/leak-check.js [--small N] [--large M] [--only binary,transforms,sparsemap,lshn,memory]
// The last line is JSON: { backend, smallCalls, largeCalls, growthMiB: { <part>: { small, large } },
// windowsMiB: { <part>: { small: [3 windows], large: [3 windows] } } }.
'use strict';
const path = require('node:path');
const sshn = require(path.join(__dirname, '..', 'lib'));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const smallCalls = Number(arg('--small', 1000000));
const largeCalls = Number(arg('--large', 2000));
const only = arg('--only', 'binary,transforms,sparsemap,lshn,memory').split(',');

function rssMiB() {
  global.gc();
  global.gc();
  return process.memoryUsage().rss / 2 ** 20;
}

const normals = (rng, length) => Float64Array.from({ length }, () => rng.normal());

// Each part: small() returns one cheap synchronous call, large() one expensive async call; both take the call index.
const parts = {
  binary: {
    small() {
      const net = new sshn.BinaryHopfield(16).store(sshn.randomPatterns(2, 16, { seed: 1 }));
      const cue = sshn.randomPatterns(1, 16, { seed: 2 }).data;
      return (i) => net.recall(cue, { seed: i % 1000 });
    },
    large() {
      const n = 256;
      const net = new sshn.BinaryHopfield(n, { rule: 'storkey' }).store(sshn.randomPatterns(20, n, { seed: 3 }));
      const cues = sshn.randomPatterns(16, n, { seed: 4 });
      return (i) => net.recallBatchAsync(cues, { seed: i });
    },
  },
  transforms: {
    small() {
      const x = normals(new sshn.Rng(5), 16);
      const kinds = [sshn.sparsemax, sshn.entmax15, sshn.softmax, (v) => sshn.kSubsets(v, { k: 3 })];
      return (i) => kinds[i % kinds.length](x);
    },
    large() {
      const x = { data: normals(new sshn.Rng(6), 32 * 512), rows: 32, cols: 512 };
      return (i) => (i % 2 ? sshn.entmax.async(x, { alpha: 1.3 }) : sshn.sparsemax.async(x));
    },
  },
  sparsemap: {
    small() {
      const g = new sshn.FactorGraph(5);
      g.addBudget([0, 1, 2, 3, 4], 2, { exact: true });
      const eta = normals(new sshn.Rng(7), 5);
      return (i) => (i % 2 ? g.solve(eta) : sshn.kSubsetsExact(eta, 2));
    },
    large() {
      const g = new sshn.FactorGraph(12);
      g.addBudget([0, 1, 2, 3, 4, 5, 6, 7], 3, { exact: true });
      g.addSequence([6, 7, 8, 9, 10, 11], { states: 2, transitions: [0.3, -0.2, 0.1, 0.4] });
      g.addPair(0, 11, 0.5);
      const rows = { data: normals(new sshn.Rng(8), 16 * 12), rows: 16, cols: 12 };
      return (i) => (i % 2 ? g.solveBatchAsync(rows, { maxIter: 200 }) : sshn.sequentialKSubsetsBatchAsync(rows, { k: 3, bonus: 0.2 }));
    },
  },
  lshn: {
    small() {
      const model = latentModel(8, 4, 6);
      const codes = { data: Float64Array.from({ length: 6 }, (_, i) => Math.sin(i)), rows: 1, cols: 6 };
      return () => model.dynamics(codes, { steps: 10 });
    },
    large() {
      const model = latentModel(64, 32, 16);
      const images = { data: Float64Array.from({ length: 16 * 64 }, (_, i) => Math.sin(i)), rows: 16, cols: 64 };
      return () => model.recallAsync(images, { steps: 50 });
    },
  },
  memory: {
    small() {
      const memory = new sshn.HopfieldMemory({ data: normals(new sshn.Rng(10), 8 * 6), rows: 8, cols: 6 }, { transform: 'sparsemax', beta: 2 });
      const q = normals(new sshn.Rng(11), 6);
      return (i) => (i % 2 ? memory.retrieve(q) : memory.energy(q));
    },
    large() {
      const memory = new sshn.HopfieldMemory({ data: normals(new sshn.Rng(12), 256 * 32), rows: 256, cols: 32 }, { transform: 'entmax15', beta: 0.5 });
      const queries = { data: normals(new sshn.Rng(13), 32 * 32), rows: 32, cols: 32 };
      return () => memory.retrieveBatchAsync(queries, { maxIter: 5 });
    },
  },
};

/** A seeded model with a symmetric W_hh. */
function latentModel(d, h, n) {
  const rng = new sshn.Rng(9);
  const r = (k, s) => Array.from({ length: k }, () => s * rng.normal());
  const whh = new Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) whh[i * n + j] = whh[j * n + i] = rng.normal() / n;
  return new sshn.LatentHopfield({
    encoder: { w1: r(h * d, 0.2), b1: r(h, 0.1), w2: r(n * h, 0.2), b2: r(n, 0.1) },
    decoder: { w1: r(h * n, 0.2), b1: r(h, 0.1), w2: r(d * h, 0.2), b2: r(d, 0.1) },
    wih: r(n * n, 0.2), whh, inputDim: d, hiddenDim: h, latentDim: n,
  });
}

/**
 * RSS growth over three consecutive windows of `count` calls each, measured after `warm` calls have
 * let the JIT, heap and allocator settle. The check is their median: a leak grows RSS in all three;
 * a one-off step (the allocator taking a new arena, or returning one, seen as 2-64 MiB once in a
 * run) shows in one only, whichever its sign, so it neither fails the check nor hides a leak.
 */
async function growth(loop, count, warm = count) {
  await loop(warm);
  const readings = [rssMiB()];
  for (let w = 0; w < 3; w++) {
    await loop(count);
    readings.push(rssMiB());
  }
  return readings.slice(1).map((r, w) => r - readings[w]);
}

async function main() {
  const growthMiB = {};
  const windowsMiB = {};
  const median = (windows) => [...windows].sort((a, b) => a - b)[1];
  for (const name of only) {
    const part = parts[name];
    if (!part) throw new Error(`unknown part '${name}' (known: ${Object.keys(parts).join(', ')})`);
    const call = part.small();
    const small = await growth((count) => {
      for (let i = 0; i < count; i++) call(i);
    }, smallCalls, Math.min(20000, smallCalls));
    const start = part.large();
    const large = await growth(async (count) => {
      for (let done = 0; done < count; done += 50) {
        await Promise.all(Array.from({ length: Math.min(50, count - done) }, (_, i) => start(done + i)));
      }
    }, largeCalls);
    growthMiB[name] = { small: median(small), large: median(large) };
    windowsMiB[name] = { small, large };
  }
  console.log(JSON.stringify({ backend: sshn.backend, smallCalls, largeCalls, growthMiB, windowsMiB }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
