// Unknown option keys: every options object of the public API refuses a key it does not know with
// a TypeError naming the key (and the likely intended one), instead of silently ignoring a typo.
import t from 'tap';
import {
  AdamW, BinaryHopfield, capacityCurve, corrupt, entmax, FactorGraph, hebbianLatent, HopfieldMemory, HopfieldPooling, kSubsets, kSubsetsExactBatch,
  LatentHopfield, lineChartSvg, randomPatterns, Rng, sequentialKSubsets, softmax, spuriousStates, trainAttractor, trainAttractorAsync,
} from '../src/index';
import { memoryBenchmark } from '../src/bench';

const unknown = (key: string) => ({ name: 'TypeError', message: new RegExp(`has no option '${key}'`) });

t.test('the message names the key, a close known key and the known keys', async (t) => {
  const memory = new HopfieldMemory([[1, 0], [0, 1]]);
  t.throws(() => memory.retrieve([1, 0], { maxiter: 3 } as never), { name: 'TypeError', message: "options has no option 'maxiter' (did you mean 'maxIter'? options: maxIter, tol, energies, supportThreshold, threads)" });
  t.throws(() => memory.retrieve([1, 0], { maxIters: 3 } as never), { message: /did you mean 'maxIter'\?/ });
  t.throws(() => memory.retrieve([1, 0], { zzz: 3 } as never), { message: /^options has no option 'zzz' \(options: / }, 'no hint when nothing is close');
  // A key with the value undefined is still a key the caller wrote.
  t.throws(() => memory.retrieve([1, 0], { weights: undefined } as never), unknown('weights'), 'weights is a batch option only');
  t.doesNotThrow(() => memory.retrieveBatch([[1, 0]], { weights: 'none', maxIter: 2 }), 'known keys pass');
  t.doesNotThrow(() => memory.retrieve([1, 0], {}));
  t.doesNotThrow(() => memory.retrieve([1, 0], undefined));
});

t.test('every options object of the API checks its keys', async (t) => {
  const cases: [string, () => unknown, string][] = [
    ['HopfieldMemory', () => new HopfieldMemory([[1, 0]], { betta: 2 } as never), 'betta'],
    ['HopfieldMemory transform', () => new HopfieldMemory([[1, 0]], { transform: { name: 'entmax', alpha: 1.5, gamma: 2 } as never }), 'gamma'],
    ['retrieveBatch', () => new HopfieldMemory([[1, 0]]).retrieveBatch([[1, 0]], { weight: 'none' } as never), 'weight'],
    ['HopfieldPooling', () => new HopfieldPooling({ inputDim: 2, keydim: 2 } as never), 'keydim'],
    ['softmax', () => softmax([1, 2], { alpha: 2 } as never), 'alpha'],
    ['entmax', () => entmax([1, 2], { alpha: 1.5, gamma: 2 } as never), 'gamma'],
    ['entmax.alphaGradient', () => entmax.alphaGradient([1, 2], { alpha: 1.5, k: 1 } as never), 'k'],
    ['kSubsets', () => kSubsets([1, 2], { k: 1, K: 1 } as never), 'K'],
    ['kSubsetsExactBatch', () => kSubsetsExactBatch([[1, 2]], 1, { thread: 1 } as never), 'thread'],
    ['sequentialKSubsets', () => sequentialKSubsets([1, 2], { k: 1, bonuss: 1 } as never), 'bonuss'],
    ['FactorGraph.solve', () => { const g = new FactorGraph(2); g.addXor([0, 1]); return g.solve([0, 1], { maxiter: 5 } as never); }, 'maxiter'],
    ['FactorGraph.addBudget', () => new FactorGraph(2).addBudget([0, 1], 1, { exat: true } as never), 'exat'],
    ['FactorGraph.addSequence', () => new FactorGraph(2).addSequence([0, 1], { states: 2, stats: 1 } as never), 'stats'],
    ['FactorGraph.addSequenceBudget', () => new FactorGraph(2).addSequenceBudget([0, 1], { states: 2, k: 1, exactly: true } as never), 'exactly'],
    ['BinaryHopfield', () => new BinaryHopfield(4, { rul: 'hebbian' } as never), 'rul'],
    ['BinaryHopfield.fromWeights', () => BinaryHopfield.fromWeights([[0, 1], [1, 0]], { rule: 'hebbian' } as never), 'rule'],
    ['BinaryHopfield.recall', () => new BinaryHopfield(2).recall([1, -1], { mod: 'sync' } as never), 'mod'],
    ['randomPatterns', () => randomPatterns(2, 4, { sead: 1 } as never), 'sead'],
    ['spuriousStates', () => spuriousStates(new BinaryHopfield(2), { start: 1 } as never), 'start'],
    ['capacityCurve', () => capacityCurve({ n: 8, load: [0.1] } as never), 'load'],
    ['lineChartSvg', () => lineChartSvg([{ name: 'a', x: [0, 1], y: [1, 2] }], { titel: 'x' } as never), 'titel'],
    ['AdamW', () => new AdamW([new Float64Array(1)], { lr: 0.1 } as never), 'lr'],
    ['corrupt.halfMask', () => corrupt.halfMask([[1, 2, 3, 4]], { heigth: 2 } as never), 'heigth'],
    ['hebbianLatent', () => hebbianLatent([[1, -1]], { binarise: true } as never), 'binarise'],
    ['trainAttractor', () => trainAttractor([[1, -1]], { epoch: 1 } as never), 'epoch'],
    ['memoryBenchmark', () => memoryBenchmark({ pattern: 10 } as never), 'pattern'],
  ];
  for (const [name, call, key] of cases) t.throws(call, unknown(key), name);
  await t.rejects(trainAttractorAsync([[1, -1]], { epochs: 1, onprogress: () => {} } as never), unknown('onprogress'), 'trainAttractorAsync');
  t.throws(() => new LatentHopfield({} as never, { backnd: 'js' } as never), TypeError, 'LatentHopfield refuses bad weights first, by a TypeError too');
});

t.test('the same calls with the intended key work', async (t) => {
  t.equal(new HopfieldMemory([[1, 0]], { beta: 2 }).beta, 2);
  t.ok(entmax([1, 2], { alpha: 1.5 }));
  t.ok(kSubsets([1, 2], { k: 1 }));
  const g = new FactorGraph(2);
  g.addBudget([0, 1], 1, { exact: true });
  t.ok(g.solve([0, 1], { maxIter: 5 }));
  t.ok(new BinaryHopfield(2).recall([1, -1], { mode: 'sync' }));
  t.equal(randomPatterns(2, 4, { seed: 1 }).rows, 2);
  t.ok(new AdamW([new Float64Array(1)], { learningRate: 0.1 }));
  t.ok(new Rng(1));
});

