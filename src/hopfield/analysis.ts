// Network-level analyses: spurious states reached from random starts, and capacity curves.
import type { BackendName } from '../kernels';
import { checkAllocation } from '../limits';
import { Rng } from '../rng';
import { checkFinite, checkInteger, checkOneOf, checkOptions, checkSeed, describe, isArrayLikeOfNumbers, optionKeys } from '../validate';
import { BinaryHopfield, RecallModeName, RecallResult, StorageRule } from './binary';
import { flipBits, randomPatterns } from './patterns';

const SPURIOUS_KEYS = optionKeys<SpuriousOptions>()('starts', 'seed', 'mode', 'maxSweeps');
const CAPACITY_KEYS = optionKeys<CapacityOptions>()('n', 'loads', 'rule', 'trials', 'noise', 'mode', 'maxSweeps', 'seed', 'backend');

/** Fixed points reached from random starts, classified. */
export interface SpuriousStateReport {
  starts: number;
  /** Starts whose dynamics reached a fixed point. */
  converged: number;
  /** ... at a stored pattern. */
  stored: number;
  /** ... at the negation of a stored pattern. */
  reversed: number;
  /** ... at anything else. */
  spurious: number;
  /** spurious / converged (0 when nothing converged). */
  spuriousRatio: number;
  /** Number of different spurious fixed points found. */
  distinctSpurious: number;
}

function classify(state: Int8Array, patterns: Int8Array, n: number): 'stored' | 'reversed' | 'spurious' {
  for (let mu = 0; mu * n < patterns.length; mu++) {
    let same = true;
    let opposite = true;
    for (let i = 0; i < n && (same || opposite); i++) {
      const x = patterns[mu * n + i];
      if (x !== state[i]) same = false;
      if (x !== -state[i]) opposite = false;
    }
    if (same) return 'stored';
    if (opposite) return 'reversed';
  }
  return 'spurious';
}

function summarise(net: BinaryHopfield, results: RecallResult[]): SpuriousStateReport {
  const patterns = net.patterns.data;
  const counts = { converged: 0, stored: 0, reversed: 0, spurious: 0 };
  const distinct = new Set<string>();
  for (const r of results) {
    if (!r.converged) continue;
    counts.converged++;
    const kind = classify(r.state, patterns, net.n);
    counts[kind]++;
    if (kind === 'spurious') distinct.add(Buffer.from(r.state.buffer, r.state.byteOffset, r.state.length).toString('base64'));
  }
  return {
    starts: results.length,
    ...counts,
    spuriousRatio: counts.converged === 0 ? 0 : counts.spurious / counts.converged,
    distinctSpurious: distinct.size,
  };
}

/** Options of {@link spuriousStates}. */
export interface SpuriousOptions {
  /** Random starting states (default 200). */
  starts?: number;
  seed?: number;
  mode?: 'async' | 'sync';
  maxSweeps?: number;
}

function spuriousInputs(net: BinaryHopfield, options: SpuriousOptions) {
  if (!(net instanceof BinaryHopfield)) throw new TypeError(`net must be a BinaryHopfield, got ${describe(net)}`);
  const opts = checkOptions(options, 'options', SPURIOUS_KEYS);
  const starts = checkInteger(opts.starts ?? 200, 'options.starts', 1);
  checkAllocation(`options.starts = ${starts} random states of ${net.n} neurons`, starts * net.n, 1);
  const seed = checkSeed(opts.seed ?? 0, 'options.seed');
  const mode = checkOneOf(opts.mode ?? 'async', 'options.mode', ['async', 'sync'] as const);
  const maxSweeps = checkInteger(opts.maxSweeps ?? 100, 'options.maxSweeps', 1);
  return { cues: randomPatterns(starts, net.n, { seed }), recall: { mode, maxSweeps, seed, trackEnergy: false } };
}

/**
 * Runs the dynamics from seeded random states and classifies the fixed points reached.
 *
 * @example
 * ```ts
 * const report = spuriousStates(net, { starts: 200, seed: 0 });
 * console.log(report.spuriousRatio, report.distinctSpurious);
 * ```
 */
export function spuriousStates(net: BinaryHopfield, options: SpuriousOptions = {}): SpuriousStateReport {
  const { cues, recall } = spuriousInputs(net, options);
  return summarise(net, net.recallBatch(cues, recall));
}

/**
 * {@link spuriousStates} with recall off the main thread (native backend).
 *
 * @example
 * ```ts
 * const report = await spuriousStatesAsync(net, { starts: 1000 });
 * ```
 */
export async function spuriousStatesAsync(net: BinaryHopfield, options: SpuriousOptions = {}): Promise<SpuriousStateReport> {
  const { cues, recall } = spuriousInputs(net, options);
  return summarise(net, await net.recallBatchAsync(cues, recall));
}

/** Options of {@link capacityCurve}. */
export interface CapacityOptions {
  /** Neurons (required). */
  n: number;
  /** Loads p/N to measure (required). */
  loads: ArrayLike<number>;
  rule?: StorageRule;
  /** Independent networks per load (default 1, at most 1e6). */
  trials?: number;
  /** Fraction of bits flipped in each cue (default 0: start from the pattern itself). */
  noise?: number;
  mode?: RecallModeName;
  maxSweeps?: number;
  seed?: number;
  backend?: BackendName;
}

/** Retrieval quality at one load. */
export interface CapacityPoint {
  load: number;
  patterns: number;
  /** Mean final overlap with the target pattern. */
  meanOverlap: number;
  /** Fraction of patterns recalled exactly. */
  retrieved: number;
  /** Fraction of stored patterns that are fixed points. */
  stable: number;
}

/**
 * Most networks per load: the standard error of a mean overlap over this many trials is below 1e-3
 * already, and a count beyond it is a mistake that would run for days.
 */
const MAX_TRIALS = 1_000_000;

interface CapacityJob {
  /** Index into the loads. */
  l: number;
  p: number;
  seed: number;
}

function capacityPlan(options: CapacityOptions) {
  const opts = checkOptions(options, 'options', CAPACITY_KEYS);
  const n = checkInteger(opts.n, 'options.n', 1);
  if (!isArrayLikeOfNumbers(opts.loads) || opts.loads.length === 0) throw new TypeError('options.loads must be a non-empty array of numbers');
  const loads = Array.from(opts.loads as ArrayLike<number>, (load, i) => {
    checkFinite(load, `options.loads[${i}]`);
    if (load <= 0) throw new RangeError(`options.loads[${i}] must be > 0, got ${load}`);
    return load;
  });
  const trials = checkInteger(opts.trials ?? 1, 'options.trials', 1, MAX_TRIALS);
  const noise = checkFinite(opts.noise ?? 0, 'options.noise');
  if (noise < 0 || noise > 1) throw new RangeError(`options.noise must be in [0, 1], got ${noise}`);
  const seed = checkSeed(opts.seed ?? 0, 'options.seed');
  const rule = (opts.rule ?? 'hebbian') as StorageRule;
  const recall = { mode: (opts.mode ?? 'async') as RecallModeName, maxSweeps: checkInteger(opts.maxSweeps ?? 100, 'options.maxSweeps', 1), seed, trackEnergy: false };
  const patternsAt = (load: number) => Math.max(1, Math.round(load * n));
  // Sizes too large for the limits are refused here, not after the smaller loads ran (the networks
  // check their exact sizes: at least a byte per weight, a byte per pattern entry).
  const most = loads.reduce((m, load) => Math.max(m, patternsAt(load)), 1);
  checkAllocation(`the weights of options.n = ${n} neurons`, n * n, 1);
  checkAllocation(`the ${most} patterns of options.n = ${n} neurons at the largest of options.loads`, most * n, 1);
  /** One job per (load, trial) in that order, each seeded by the next draw of Rng(seed): drawn as the jobs run, so nothing is kept per trial. */
  function* jobs(): Generator<CapacityJob> {
    const seeds = new Rng(seed);
    for (let l = 0; l < loads.length; l++) for (let trial = 0; trial < trials; trial++) yield { l, p: patternsAt(loads[l]), seed: seeds.nextU32() };
  }
  const build = (job: CapacityJob) => {
    const patterns = randomPatterns(job.p, n, { seed: job.seed });
    const flips = Math.round(noise * n);
    const cues = new Int8Array(patterns.data.length);
    for (let mu = 0; mu < job.p; mu++) {
      cues.set(flipBits(patterns.data.subarray(mu * n, (mu + 1) * n), flips, job.seed + mu + 1), mu * n);
    }
    const net = new BinaryHopfield(n, { rule, backend: opts.backend as BackendName | undefined });
    return { net, patterns, cues: { data: cues, rows: job.p, cols: n } };
  };
  return { loads, recall, jobs, build, patternsAt };
}

type Score = { overlapSum: number; exact: number; stable: number; count: number };

function score(net: BinaryHopfield, patterns: Int8Array, results: RecallResult[]): Score {
  const n = net.n;
  let overlapSum = 0;
  let exact = 0;
  let stable = 0;
  results.forEach((r, mu) => {
    const target = patterns.subarray(mu * n, (mu + 1) * n);
    let dot = 0;
    for (let i = 0; i < n; i++) dot += r.state[i] * target[i];
    overlapSum += dot / n;
    if (dot === n) exact++;
    if (net.isStable(target)) stable++;
  });
  return { overlapSum, exact, stable, count: results.length };
}

/** Per-load sums of the jobs' scores, added as each job finishes. */
function tally(plan: ReturnType<typeof capacityPlan>) {
  const sums: Score[] = plan.loads.map(() => ({ overlapSum: 0, exact: 0, stable: 0, count: 0 }));
  return {
    add(job: CapacityJob, s: Score): void {
      const sum = sums[job.l];
      sum.overlapSum += s.overlapSum;
      sum.exact += s.exact;
      sum.stable += s.stable;
      sum.count += s.count;
    },
    points: (): CapacityPoint[] =>
      plan.loads.map((load, l) => ({
        load,
        patterns: plan.patternsAt(load),
        meanOverlap: sums[l].overlapSum / sums[l].count,
        retrieved: sums[l].exact / sums[l].count,
        stable: sums[l].stable / sums[l].count,
      })),
  };
}

/**
 * Retrieval quality against load p/N on random patterns (seeded).
 *
 * @example
 * ```ts
 * const curve = capacityCurve({ n: 400, loads: [0.05, 0.1, 0.14, 0.2], noise: 0.1, rule: 'hebbian' });
 * // curve[i] = { load, patterns, meanOverlap, retrieved, stable }
 * ```
 */
export function capacityCurve(options: CapacityOptions): CapacityPoint[] {
  const plan = capacityPlan(options);
  const sums = tally(plan);
  for (const job of plan.jobs()) {
    const { net, patterns, cues } = plan.build(job);
    net.store(patterns);
    sums.add(job, score(net, patterns.data, net.recallBatch(cues, plan.recall)));
  }
  return sums.points();
}

/**
 * {@link capacityCurve} with storage and recall off the main thread (native backend).
 *
 * @example
 * ```ts
 * const curve = await capacityCurveAsync({ n: 1000, loads: [0.1, 0.14, 0.2], trials: 4 });
 * ```
 */
export async function capacityCurveAsync(options: CapacityOptions): Promise<CapacityPoint[]> {
  const plan = capacityPlan(options);
  const sums = tally(plan);
  for (const job of plan.jobs()) {
    const { net, patterns, cues } = plan.build(job);
    await net.storeAsync(patterns);
    sums.add(job, score(net, patterns.data, await net.recallBatchAsync(cues, plan.recall)));
  }
  return sums.points();
}
