// Child process of junk-arguments.test.ts: calls every public function, constructor and method of
// the package with junk in each argument and prints one JSON line per call that failed the rule
// (a TypeError or RangeError whose message names an argument). It prints "start <call>" before each
// call, so that the parent, which kills it after a silence, can name a call that hangs.
// Usage: node <ts loader> test/junk-walk.ts <backend>
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import * as sshn from '../src/index';
import { randomLatentWeights } from './helpers';

type Fn = (...args: unknown[]) => unknown;
/** How to call one entry point: a fresh target per call (methods may change their object) and valid arguments. */
interface Entry {
  call: (args: unknown[]) => unknown;
  /** The entry point itself, for its parameter names. */
  fn: Fn;
  valid: unknown[];
  /** Names of overloads' parameters, besides the implementation's (scores(query) / scores(queries)). */
  aliases?: string[];
}

const backend = process.argv[2] as sshn.BackendName;
const src = path.join(__dirname, '..', 'src');
const JUNK: [string, unknown][] = [
  ['undefined', undefined], ['null', null], ['{}', {}], ['5', 5], ["'x'", 'x'], ['NaN', NaN], ['[]', []], ['[{}]', [{}]], ['[null]', [null]],
  ['1e308', 1e308], ['2**53', 2 ** 53], ['2**32', 2 ** 32], ['-1', -1], ['-1e308', -1e308], ['Infinity', Infinity],
];
/** V8 and Node messages that leak the implementation instead of naming an argument. */
const INTERNAL = /Cannot read propert|Cannot set propert|Cannot convert|Cannot create property|Invalid array length|Invalid typed array length|is not iterable|is not a function|is not a constructor|out of range|Array buffer allocation|Maximum call stack|Unexpected token|circular structure/;

/** Public members (not private, protected or #) of every class declared in src, by class name. */
function publicMembers(): Map<string, { instance: Set<string>; statics: Set<string> }> {
  const classes = new Map<string, { instance: Set<string>; statics: Set<string> }>();
  const files: string[] = [];
  const walkDir = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walkDir(path.join(dir, e.name));
      else if (e.name.endsWith('.ts')) files.push(path.join(dir, e.name));
    }
  };
  walkDir(src);
  for (const file of files) {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node) => {
      if (ts.isClassDeclaration(node) && node.name) {
        const entry = { instance: new Set<string>(), statics: new Set<string>() };
        for (const member of node.members) {
          if (!(ts.isMethodDeclaration(member) || ts.isGetAccessor(member)) || !member.name || !ts.isIdentifier(member.name)) continue;
          const mods = ts.getCombinedModifierFlags(member);
          if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
          if (ts.isGetAccessor(member)) continue;
          (mods & ts.ModifierFlags.Static ? entry.statics : entry.instance).add(member.name.text);
        }
        classes.set(node.name.text, entry);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return classes;
}

/** The parameter names in a function's source ("rawOptions" counts as "options"). */
function parameterNames(fn: Fn): string[] {
  const text = fn.toString();
  const m = /^class\b/.test(text) ? /\bconstructor\s*\(([^)]*)\)/.exec(text) : /^[^(=]*\(([^)]*)\)/.exec(text) ?? /^(?:async\s+)?(\w+)\s*=>/.exec(text);
  if (!m) return [];
  return m[1].split(',').map((p) => p.replace(/=.*$/s, '').replace(/^\s*\.\.\./, '').trim()).filter(Boolean).map((p) => (p === 'rawOptions' ? 'options' : p));
}

function fixtures() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sshn-junk-'));
  const latent = new sshn.LatentHopfield(randomLatentWeights(4, 3, 2, 1), { backend });
  const safetensors = latent.toSafetensors();
  fs.writeFileSync(path.join(dir, 'model.safetensors'), safetensors);
  const idx = Buffer.from([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]);
  fs.writeFileSync(path.join(dir, 'data.idx'), idx);
  const net = () => new sshn.BinaryHopfield(8, { backend }).store(sshn.randomPatterns(2, 8, { seed: 1 }));
  net().save(path.join(dir, 'net.sshn'));
  return { dir, latent, safetensors, idx, net };
}

function entries(): Map<string, Entry> {
  const f = fixtures();
  const b = { backend };
  const cue = [1, -1, 1, -1, 1, -1, 1, -1];
  const rows = [[0.5, -0.5, 0.25, 0]];
  const graph = () => {
    const g = new sshn.FactorGraph(3);
    g.addBudget([0, 1, 2], 1);
    return g;
  };
  const map = new Map<string, Entry>();
  const fn = (name: string, target: Fn, valid: unknown[]) => map.set(name, { fn: target, valid, call: (args) => target(...args) });
  const ctor = (name: string, C: new (...a: never[]) => unknown, valid: unknown[]) =>
    map.set(name, { fn: C as unknown as Fn, valid, call: (args) => new (C as unknown as new (...a: unknown[]) => unknown)(...args) });
  // A method called on a fresh object from make().
  const method = <T>(cls: string, make: () => T, name: string, valid: unknown[], aliases?: string[]) => {
    const probe = make() as Record<string, Fn>;
    map.set(`${cls}.prototype.${name}`, { fn: probe[name], valid, aliases, call: (args) => { const o = make() as Record<string, Fn>; return o[name](...args); } });
  };
  const recallOptions = { mode: 'sync', maxSweeps: 5, seed: 1, temperature: 1, trackEnergy: true, threads: 1, fields: 'auto' };
  const retrieveOptions = { maxIter: 3, tol: 0, energies: true, supportThreshold: 0, threads: 1 };
  const chart = { title: 't', xLabel: 'x', yLabel: 'y', width: 300, height: 200 };

  fn('availableBackends', sshn.availableBackends, []);
  fn('backendInfo', sshn.backendInfo, []);
  fn('setBackend', sshn.setBackend as Fn, [backend]);
  fn('getLimits', sshn.getLimits, []);
  fn('setLimits', sshn.setLimits as Fn, [{ maxBytes: 2 ** 26 }]);
  ctor('Rng', sshn.Rng, [1, 0]);
  const rng = () => new sshn.Rng(1);
  method('Rng', rng, 'nextU32', []);
  method('Rng', rng, 'nextDouble', []);
  method('Rng', rng, 'below', [5]);
  method('Rng', rng, 'normal', []);

  ctor('BinaryHopfield', sshn.BinaryHopfield, [8, { backend, rule: 'hebbian', zeroDiagonal: true, thresholds: new Array(8).fill(0) }]);
  fn('BinaryHopfield.fromWeights', sshn.BinaryHopfield.fromWeights as Fn, [[[0, 1], [1, 0]], { backend, thresholds: [0, 0] }]);
  fn('BinaryHopfield.fromBuffer', sshn.BinaryHopfield.fromBuffer as Fn, [f.net().toBuffer(), b]);
  fn('BinaryHopfield.load', sshn.BinaryHopfield.load as Fn, [path.join(f.dir, 'net.sshn'), b]);
  method('BinaryHopfield', f.net, 'getWeights', []);
  method('BinaryHopfield', f.net, 'store', [[cue]]);
  method('BinaryHopfield', f.net, 'storeAsync', [[cue]]);
  method('BinaryHopfield', f.net, 'energy', [cue]);
  method('BinaryHopfield', f.net, 'isStable', [cue]);
  for (const name of ['recall', 'recallAsync']) method('BinaryHopfield', f.net, name, [cue, recallOptions]);
  for (const name of ['recallBatch', 'recallBatchAsync']) method('BinaryHopfield', f.net, name, [[cue], recallOptions]);
  method('BinaryHopfield', f.net, 'toBuffer', []);
  method('BinaryHopfield', f.net, 'save', [path.join(f.dir, 'saved.sshn')]);
  fn('binarize', sshn.binarize as Fn, [[0.5, -0.2], 0]);
  fn('flipBits', sshn.flipBits as Fn, [cue, 2, 3]);
  fn('hammingDistance', sshn.hammingDistance as Fn, [[1, -1], [1, 1]]);
  fn('hammingSimilarity', sshn.hammingSimilarity as Fn, [[1, -1], [1, 1]]);
  fn('overlap', sshn.overlap as Fn, [[1, -1], [1, 1]]);
  fn('randomPatterns', sshn.randomPatterns as Fn, [2, 4, { seed: 1, bias: 0.5 }]);
  fn('similarityMatrix', sshn.similarityMatrix as Fn, [[[1, -1], [1, 1]]]);
  fn('toBinary', sshn.toBinary as Fn, [[1, -1]]);
  fn('toBipolar', sshn.toBipolar as Fn, [[1, 0]]);
  const capacity = { n: 8, loads: [0.1], rule: 'hebbian', trials: 1, noise: 0.1, mode: 'async', maxSweeps: 5, seed: 1, backend };
  fn('capacityCurve', sshn.capacityCurve as Fn, [capacity]);
  fn('capacityCurveAsync', sshn.capacityCurveAsync as Fn, [capacity]);
  fn('spuriousStates', sshn.spuriousStates as Fn, [f.net(), { starts: 2, seed: 1, mode: 'sync', maxSweeps: 5 }]);
  fn('spuriousStatesAsync', sshn.spuriousStatesAsync as Fn, [f.net(), { starts: 2, seed: 1, mode: 'sync', maxSweeps: 5 }]);

  ctor('ModelFileError', sshn.ModelFileError, ['message']);
  ctor('SafetensorsError', sshn.SafetensorsError, ['message']);
  ctor('IdxError', sshn.IdxError, ['message']);

  const line = [{ name: 'a', x: [0, 1], y: [1, 2] }];
  fn('barChartSvg', sshn.barChartSvg as Fn, [['a', 'b'], [1, 2], chart]);
  fn('capacityCurveSvg', sshn.capacityCurveSvg as Fn, [[{ name: 'h', points: [{ load: 0.1, meanOverlap: 1 }] }], chart]);
  fn('energyTraceSvg', sshn.energyTraceSvg as Fn, [[{ name: 'a', energies: [-1, -2] }], chart]);
  fn('labelMapSvg', sshn.labelMapSvg as Fn, [[0, 1, 1, 0], 2, { extent: [0, 2, 0, 2], points: [[1, 1]], title: 't', size: 100, names: ['a'], otherName: 'o' }]);
  fn('lineChartSvg', sshn.lineChartSvg as Fn, [line, chart]);
  fn('patternGridSvg', sshn.patternGridSvg as Fn, [[[1, -1, 1, -1]], { width: 2, titles: ['a'], cell: 5, columns: 1 }]);
  fn('supportHistogramSvg', sshn.supportHistogramSvg as Fn, [[3, 2, 1], chart]);

  ctor('FactorGraph', sshn.FactorGraph, [3]);
  for (const name of ['addXor', 'addAtMostOne', 'addOr', 'addImply', 'addXorOut', 'addOrOut', 'addAndOut']) method('FactorGraph', graph, name, [[0, 1, 2], [0, 1, 0]]);
  method('FactorGraph', graph, 'addBudget', [[0, 1, 2], 2, { exact: false, negated: [0, 0, 0] }]);
  method('FactorGraph', graph, 'addKnapsack', [[0, 1, 2], [1, 2, 1], 2, { negated: [0, 0, 0] }]);
  method('FactorGraph', graph, 'addPair', [0, 1, 0.5]);
  method('FactorGraph', graph, 'addSequence', [[0, 1, 2], { states: 2 }]);
  method('FactorGraph', graph, 'addSequenceBudget', [[0, 1, 2], { states: 2, k: 1 }]);
  method('FactorGraph', graph, 'addDense', [[[0, 1], [2]], [1, 2, 3, 4]]);
  method('FactorGraph', graph, 'addTree', [[0, 1, 2], { root: 0 }]);
  method('FactorGraph', graph, 'toData', []);
  method('FactorGraph', graph, 'additionalScores', []);
  const solveOptions = { maxIter: 20, tol: 1e-6, rho: 1, adaptRho: true, maxActiveSetIter: 10, backend };
  for (const name of ['solve', 'mapSolve', 'solveAsync']) method('FactorGraph', graph, name, [[1, 2, 3], solveOptions]);
  for (const name of ['solveBatch', 'solveBatchAsync']) method('FactorGraph', graph, name, [[[1, 2, 3]], { ...solveOptions, threads: 1 }]);
  const solved = () => graph().solve([1, 2, 3], b);
  map.set('SolveResult.backward', { fn: solved().backward as Fn, valid: [[1, 0, 0]], call: (args) => (solved().backward as Fn)(...args) });

  const scores = [[1, 2, 3]];
  const batch = { backend, threads: 1 };
  const sequential = { k: 1, bonus: 0.1, maxActiveSetIter: 10, backend, threads: 1 };
  fn('kSubsetsExact', sshn.kSubsetsExact as Fn, [[1, 2, 3], 1, batch]);
  fn('kSubsetsExactBatch', sshn.kSubsetsExactBatch as Fn, [scores, 1, batch]);
  fn('kSubsetsExactBatchAsync', sshn.kSubsetsExactBatchAsync as Fn, [scores, 1, batch]);
  fn('kSubsetsExactBackward', sshn.kSubsetsExactBackward as Fn, [scores, 1, [[1, 0, 0]], batch]);
  fn('sequentialKSubsets', sshn.sequentialKSubsets as Fn, [[1, 2, 3], sequential]);
  fn('sequentialKSubsetsBatch', sshn.sequentialKSubsetsBatch as Fn, [scores, sequential]);
  fn('sequentialKSubsetsBatchAsync', sshn.sequentialKSubsetsBatchAsync as Fn, [scores, sequential]);
  fn('sequentialKSubsetsBackward', sshn.sequentialKSubsetsBackward as Fn, [scores, [[1, 0, 0]], sequential]);

  fn('readSafetensors', sshn.readSafetensors as Fn, [f.safetensors]);
  fn('readSafetensorsFile', sshn.readSafetensorsFile as Fn, [path.join(f.dir, 'model.safetensors')]);
  fn('writeSafetensors', sshn.writeSafetensors as Fn, [{ w: { dtype: 'F32', shape: [2], data: [1, 2] } }, {}]);
  fn('readIdx', sshn.readIdx as Fn, [f.idx, 1]);
  fn('readIdxFile', sshn.readIdxFile as Fn, [path.join(f.dir, 'data.idx'), 1]);

  const common = { backend, threads: 1, support: false };
  const transforms: [string, sshn.Transform<never>, object][] = [
    ['softmax', sshn.softmax, common], ['sparsemax', sshn.sparsemax, common], ['entmax15', sshn.entmax15, common],
    ['entmax', sshn.entmax as never, { ...common, alpha: 1.5 }], ['normmax', sshn.normmax as never, { ...common, gamma: 2 }], ['kSubsets', sshn.kSubsets as never, { ...common, k: 1 }],
  ];
  for (const [name, t, options] of transforms) {
    fn(name, t as unknown as Fn, [[1, 2, 3], options]);
    fn(`${name}.jvp`, t.jvp as Fn, [[1, 2, 3], [1, 0, 0], options]);
    for (const part of ['conjugate', 'solve', 'async'] as const) fn(`${name}.${part}`, t[part] as Fn, [[1, 2, 3], options]);
  }
  fn('entmax.alphaGradient', sshn.entmax.alphaGradient as Fn, [[1, 2, 3], { alpha: 1.5, backend }]);

  const memory = () => new sshn.HopfieldMemory([[1, 0, 0], [0, 1, 0]], b);
  ctor('HopfieldMemory', sshn.HopfieldMemory, [[[1, 0, 0], [0, 1, 0]], { backend, transform: 'sparsemax', beta: 1, maxIter: 5, tol: 1e-9, dtype: 'float64', threads: 1 }]);
  method('HopfieldMemory', memory, 'patterns', []);
  method('HopfieldMemory', memory, 'add', [[[0, 0, 1]]]);
  method('HopfieldMemory', memory, 'remove', [0]);
  method('HopfieldMemory', memory, 'scores', [[1, 0, 0]], ['queries']);
  method('HopfieldMemory', memory, 'gram', [{ rows: 'all' }]);
  for (const name of ['retrieve', 'retrieveAsync']) method('HopfieldMemory', memory, name, [[1, 0, 0], retrieveOptions]);
  for (const name of ['retrieveBatch', 'retrieveBatchAsync']) method('HopfieldMemory', memory, name, [[[1, 0, 0]], { ...retrieveOptions, weights: 'dense' }]);
  method('HopfieldMemory', memory, 'energy', [[1, 0, 0]]);
  method('HopfieldMemory', memory, 'energyBatch', [[[1, 0, 0]]]);
  method('HopfieldMemory', memory, 'certify', [0]);

  const pooling = () => new sshn.HopfieldPooling({ inputDim: 3, backend });
  ctor('HopfieldPooling', sshn.HopfieldPooling, [{ inputDim: 3, keyDim: 2, valueDim: 2, queries: 2, transform: 'sparsemax', beta: 1, seed: 1, backend }]);
  method('HopfieldPooling', pooling, 'parameters', []);
  method('HopfieldPooling', pooling, 'forward', [[[1, 0, 0], [0, 1, 0]]]);
  method('HopfieldPooling', pooling, 'backward', [[[1, 0, 0], [0, 1, 0]], [1, 0, 0]]);
  ctor('AdamW', sshn.AdamW, [[new Float64Array(2)], { learningRate: 0.1, weightDecay: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8 }]);
  method('AdamW', () => new sshn.AdamW([new Float64Array(2)]), 'step', [[Float64Array.of(1, -1)]]);

  const model = () => f.latent;
  ctor('LatentHopfield', sshn.LatentHopfield, [randomLatentWeights(4, 3, 2, 1), b]);
  fn('LatentHopfield.fromSafetensors', sshn.LatentHopfield.fromSafetensors as Fn, [f.safetensors, b]);
  method('LatentHopfield', model, 'toSafetensors', [{ note: 'x' }]);
  method('LatentHopfield', model, 'save', [path.join(f.dir, 'saved.safetensors'), {}]);
  method('LatentHopfield', model, 'latentWeights', []);
  method('LatentHopfield', model, 'withLatentWeights', [{ whh: [0, 1, 1, 0] }, b]);
  for (const name of ['encode', 'encodeAsync', 'recall', 'recallAsync']) method('LatentHopfield', model, name, [[[0.1, 0.2, 0.3, 0.4]]]);
  for (const name of ['decode', 'decodeAsync']) method('LatentHopfield', model, name, [[[0.1, -0.2]]]);
  for (const name of ['dynamics', 'dynamicsAsync']) method('LatentHopfield', model, name, [[[0.1, -0.2]], { steps: 3, dt: 0.1, tol: 0, trackEnergy: true }]);
  fn('scalePixels', sshn.scalePixels as Fn, [[0, 255], 2]);
  fn('hebbianLatent', sshn.hebbianLatent as Fn, [rows, { binarize: true, centre: true, scale: 1 }]);
  const training = { epochs: 2, dt: 0.1, learningRate: 0.01, weightDecay: 0, noise: 0.1, seed: 1, backend };
  fn('trainAttractor', sshn.trainAttractor as Fn, [rows, training]);
  fn('trainAttractorAsync', sshn.trainAttractorAsync as Fn, [rows, training]);
  const other = [[0.25, -0.5, 0.25, 0.5]];
  fn('meanAbsoluteError', sshn.meanAbsoluteError as Fn, [rows, other]);
  fn('meanSquaredError', sshn.meanSquaredError as Fn, [rows, other]);
  fn('sumSquaredErrors', sshn.sumSquaredErrors as Fn, [rows, other]);
  fn('retrievalAccuracy', sshn.retrievalAccuracy as Fn, [rows, other, 50]);
  fn('corrupt.halfMask', sshn.corrupt.halfMask as Fn, [rows, { height: 2 }]);
  fn('corrupt.gaussian', sshn.corrupt.gaussian as Fn, [rows, 0.1, 1]);
  return map;
}

/** Public entry points the table misses: every export, its own function properties, static and instance methods. */
function missing(map: Map<string, Entry>): string[] {
  const members = publicMembers();
  const out: string[] = [];
  for (const [name, value] of Object.entries(sshn)) {
    if (typeof value === 'object' && value !== null) {
      for (const [key, v] of Object.entries(value)) if (typeof v === 'function' && !map.has(`${name}.${key}`)) out.push(`${name}.${key}`);
      continue;
    }
    if (typeof value !== 'function') continue;
    if (!map.has(name)) out.push(name);
    const cls = members.get(name);
    if (/^class\b/.test(Function.prototype.toString.call(value)) && !cls) out.push(`${name} (class not found in src)`);
    for (const s of cls?.statics ?? []) if (!map.has(`${name}.${s}`)) out.push(`${name}.${s}`);
    for (const m of cls?.instance ?? []) if (!map.has(`${name}.prototype.${m}`)) out.push(`${name}.prototype.${m}`);
    for (const key of Object.keys(value)) if (typeof (value as unknown as Record<string, unknown>)[key] === 'function' && !map.has(`${name}.${key}`)) out.push(`${name}.${key}`);
  }
  return out;
}

/**
 * Why an error breaks the rule, or null when it is a TypeError/RangeError naming one of `names`
 * (parameters, as a word not after a dot) or of `keys` (the option given junk, also as options.key).
 */
function verdict(error: unknown, names: string[], keys: string[], args: unknown[]): string | null {
  if (!(error instanceof Error)) return `threw a non-Error ${String(error)}`;
  const e = error as Error & { syscall?: string; path?: string };
  // A system error on a file the caller named (e.g. no such file) is the file's fault, not an argument's type.
  if (e.syscall && typeof e.path === 'string' && args.includes(e.path)) return null;
  // A file the caller named that is not of the format read: the format's own error, naming the file.
  const own = error instanceof sshn.SafetensorsError || error instanceof sshn.IdxError || error instanceof sshn.ModelFileError;
  if (own && args.some((a) => typeof a === 'string' && error.message.includes(`${a}: `))) return null;
  if (!(error instanceof TypeError || error instanceof RangeError)) return `${error.name}: ${error.message}`;
  if (INTERNAL.test(error.message)) return `internal message: ${error.name}: ${error.message}`;
  const named = names.some((n) => new RegExp(`(^|[^\\w.])${n}($|[^\\w])`).test(error.message)) || keys.some((k) => new RegExp(`(^|[^\\w])${k}($|[^\\w])`).test(error.message));
  if (!named) return `does not name an argument (${[...names, ...keys].join(', ')}): ${error.name}: ${error.message}`;
  return null;
}

const describeArgs = (args: unknown[], labels: string[]) => args.map((a, i) => labels[i] ?? JSON.stringify(a)?.slice(0, 30) ?? String(a)).join(', ');

async function main() {
  sshn.setBackend(backend);
  // Sizes that pass the checks must not allocate gigabytes: refuse above 64 MiB.
  sshn.setLimits({ maxBytes: 2 ** 26 });
  const limits = sshn.getLimits();
  const map = entries();
  process.chdir(fs.mkdtempSync(path.join(os.tmpdir(), 'sshn-junk-cwd-')));
  for (const name of missing(map)) console.log(JSON.stringify({ call: name, problem: 'not in the walk table' }));
  let calls = 0;
  for (const [name, entry] of map) {
    const names = [...parameterNames(entry.fn), ...(entry.aliases ?? [])];
    if (names.length === 0 && entry.fn.length > 0) console.log(JSON.stringify({ call: name, problem: 'parameter names not found' }));
    const positions = Math.max(entry.valid.length, names.length, 1);
    // [arguments, their labels, the option keys given junk (besides the parameters, the message may name these)]
    const cases: [unknown[], string[], string[]?][] = [[[], []]];
    for (const [label, junk] of JUNK) {
      cases.push([[junk], [label]]);
      for (let i = 0; i < positions; i++) {
        const args = entry.valid.slice();
        args[i] = junk;
        const labels = args.map((a, k) => (k === i ? label : 'valid'));
        if (i > 0 || entry.valid.length > 1) cases.push([args, labels]);
        // One level into an options object: junk in each of its fields.
        const v = entry.valid[i];
        if (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) continue;
        for (const key of Object.keys(v)) {
          const withJunk = entry.valid.slice();
          withJunk[i] = { ...v, [key]: junk };
          cases.push([withJunk, entry.valid.map((_, k) => (k === i ? `{ ${key}: ${label} }` : 'valid')), [key]]);
        }
      }
    }
    for (const [args, labels, keys] of cases) {
      const call = `${name}(${describeArgs(args, labels)})`;
      console.log(`start ${call}`);
      calls++;
      let problem: string | null = null;
      try {
        const r = entry.call(args);
        if (r instanceof Promise) await r;
      } catch (error) {
        problem = verdict(error, names, keys ?? [], args);
      } finally {
        sshn.setBackend(backend);
        sshn.setLimits(limits);
      }
      if (problem) console.log(JSON.stringify({ call, problem }));
    }
  }
  console.log(`done ${calls}`);
}

main().catch((error) => {
  console.log(JSON.stringify({ call: 'walk', problem: String(error?.stack ?? error) }));
  process.exitCode = 1;
});
