// LP-SparseMAP (SPEC.md section 3): factor graphs over binary variables u in [0,1]^n, solved by an
// AD3-style ADMM whose local steps are the factors' own SparseMAP problems (closed forms, or an
// active-set QP over structures from a MAP oracle), with gradients through the solution.
import { getBackend } from '../backend';
import {
  BackendName, FactorGraphData, FactorKind, INFO_ITERATIONS, INFO_LENGTH, INFO_STATUS, MAX_COST_RATIO, SparseMapOutputs, SparseMapParams, SparseMapStatus,
} from '../kernels';
import { checkAllocation } from '../limits';
import { downScale, largestMagnitude, scaledBy } from '../scaling';
import {
  checkBoolean, checkFinite, checkInteger, checkOptions, optionKeys, checkPositive, describe, isArrayLikeOfNumbers, Matrix, toFiniteFloat64, toRows,
} from '../validate';
import { flatAdditionals, report, solveResult, STATUS_NAMES } from './results';

const SOLVE_KEYS = optionKeys<SolveOptions>()('maxIter', 'tol', 'rho', 'adaptRho', 'maxActiveSetIter', 'additionalScores', 'backend');
const SEQUENCE_KEYS = optionKeys<SequenceOptions>()('states', 'transitions', 'start', 'end');
const BATCH_KEYS = optionKeys<BatchOptions>()('backend', 'threads');
const SEQUENTIAL_KEYS = optionKeys<SequentialKSubsetsOptions>()('backend', 'threads', 'k', 'bonus', 'maxActiveSetIter');

/** How a solve ended: converged, stopped by the ADMM cap, or converged with an active-set QP stopped by its cap. */
export type SparseMapStatusName = 'converged' | 'max-iterations' | 'active-set-max-iterations';

/** Options of FactorGraph.solve / solveAsync. */
export interface SolveOptions {
  /** ADMM iteration cap (default 1000). */
  maxIter?: number;
  /** Stop when the primal and dual RMS residuals are both below this (default 1e-6). */
  tol?: number;
  /** Initial ADMM penalty in [1e-3, 100], the range the adaptation keeps it in (default 0.1). */
  rho?: number;
  /** Double / halve rho every 10 iterations by the residual ratio, within [1e-3, 100] (default true). */
  adaptRho?: boolean;
  /** Cap on the passes of each active-set QP (default 1000). */
  maxActiveSetIter?: number;
  /** Replaces the additional scores given when the factors were added (flat, or one array per factor). */
  additionalScores?: ArrayLike<number> | ArrayLike<number>[];
  backend?: BackendName;
}

/** A structure in the support of a factor's solution, with its weight. */
export interface WeightedStructure {
  weight: number;
  /**
   * The state of each position (Sequence, SequenceBudget), the head of each word (Tree), the state
   * of each group (Dense), or the 0/1 value of each of the factor's variables, in the order given
   * (OROUT, ANDOUT; negations applied, so the weighted labels average to u).
   */
  label: Int32Array;
}

/**
 * A factor's distribution over structures, whose mean is the factor's marginals. Active-set
 * factors report their active set (weights above 1e-10); OROUT and ANDOUT, solved in closed form,
 * report one exact decomposition of their marginals into at most n + 1 vertices of the polytope
 * (every positive weight; the decomposition is not unique). At most 1024 are listed; when the
 * support is larger, `truncated` is true, `supportSize` counts all of them, and the listed weights
 * sum to less than 1.
 */
export interface StructureDistribution extends Array<WeightedStructure> {
  truncated: boolean;
  supportSize: number;
}

/** The solution of FactorGraph.solve, with its convergence report and a backward pass. */
export interface SolveResult {
  u: Float64Array;
  /** Additional marginals per factor (Pair: [co-activation]; sequences: start[S], transitions, end[S]). */
  additionals: Float64Array[];
  /** eta.u + sum_f eta_f.v_f - 1/2 ||u||^2 at the returned point. */
  value: number;
  status: SparseMapStatusName;
  converged: boolean;
  /** ADMM iterations; 1 when every variable is in at most one factor (solved factor by factor). */
  iterations: number;
  /** RMS of q_f - u over all factor copies at the end (0 without ADMM). */
  primalResidual: number;
  /** rho times the RMS change of u in the last iteration (0 without ADMM). */
  dualResidual: number;
  /** Per factor: the distribution over structures of OROUT, ANDOUT and active-set factors (see its `truncated` flag), else null. */
  distributions: (StructureDistribution | null)[];
  /** Gradients of a loss through the solution: given dL/du (and dL/dv), returns dL/d(unary scores) and dL/d(additional scores). */
  backward(gradU: ArrayLike<number>, gradAdditionals?: ArrayLike<number> | ArrayLike<number>[]): SparseMapGradients;
}

/** The solution of FactorGraph.mapSolve (LP-MAP; piecewise constant in the scores, so no backward). */
export type MapSolveResult = Omit<SolveResult, 'backward'>;

/** The solutions of FactorGraph.solveBatch, one row per row of unary scores. */
export interface SolveBatchResult {
  u: Matrix<Float64Array>;
  /** Each row: the factors' additional marginals, concatenated in factor order. */
  additionals: Matrix<Float64Array>;
  status: SparseMapStatusName[];
  /** Every row converged. */
  converged: boolean;
  iterations: Int32Array;
}

/** Gradients returned by SolveResult.backward. */
export interface SparseMapGradients {
  unary: Float64Array;
  additionals: Float64Array[];
  status: SparseMapStatusName;
  iterations: number;
}

/** Options of FactorGraph.addSequence. */
export interface SequenceOptions {
  /** Number of states S; variables are position-major: vars[t * S + s]. */
  states: number;
  /** S x S transition scores (prev x next, used at every step) or the full per-step layout of length 2S + (L-1) S^2. */
  transitions?: ArrayLike<number>;
  /** Scores of the first state (length S; only with S x S transitions). */
  start?: ArrayLike<number>;
  /** Scores of the last state (length S; only with S x S transitions). */
  end?: ArrayLike<number>;
}

/** Options of FactorGraph.addBudget. */
export interface BudgetOptions {
  /** sum = k instead of sum <= k. */
  exact?: boolean;
  /** Variables entering negated (1 - v), one flag per variable. */
  negated?: ArrayLike<boolean | number>;
}

/** Options of FactorGraph.addKnapsack. */
export interface KnapsackOptions {
  /** Variables entering negated (1 - v), one flag per variable. */
  negated?: ArrayLike<boolean | number>;
}

/** Options of FactorGraph.addTree. */
export interface TreeOptions {
  /** Words of the sentence (the tree has length + 1 nodes, node 0 the root). */
  length: number;
}

/** Options of FactorGraph.addSequenceBudget. */
export interface SequenceBudgetOptions extends SequenceOptions {
  /** State 0 is used at most (or exactly) k times. */
  k: number;
  exact?: boolean;
}

interface FactorSpec {
  kind: FactorKind;
  vars: number[];
  negated: boolean[];
  ints: number[];
  reals: number[];
  scores: Float64Array;
  labelLength: number;
  supportCapacity: number;
}

/** Structures listed per factor distribution (labels are preallocated for this many). */
const MAX_SUPPORT_CAPACITY = 1024;

/** Largest |score| a factor graph takes: beyond it ADMM's local inputs (scores / rho, summed along a sequence) may overflow. */
const MAX_SCORE = 1e150;

function checkScores(scores: Float64Array, name: string): Float64Array {
  for (let i = 0; i < scores.length; i++) {
    if (!(Math.abs(scores[i]) <= MAX_SCORE)) throw new RangeError(`${name}[${i}] must be at most 1e150 in magnitude (larger scores overflow the solver), got ${scores[i]}`);
  }
  return scores;
}

function checkRho(value: unknown): number {
  const rho = checkFinite(value, 'options.rho');
  if (!(rho >= 1e-3 && rho <= 100)) throw new RangeError(`options.rho must be in [1e-3, 100], got ${rho}`);
  return rho;
}

function paramsFrom(options: SolveOptions): SparseMapParams {
  return {
    maxIter: options.maxIter === undefined ? 1000 : checkInteger(options.maxIter, 'options.maxIter', 1, 1e9),
    tol: options.tol === undefined ? 1e-6 : checkPositive(options.tol, 'options.tol'),
    rhoInit: options.rho === undefined ? 0.1 : checkRho(options.rho),
    adaptRho: options.adaptRho === undefined ? true : checkBoolean(options.adaptRho, 'options.adaptRho'),
    maxActiveSetIter: options.maxActiveSetIter === undefined ? 1000 : checkInteger(options.maxActiveSetIter, 'options.maxActiveSetIter', 1, 1e9),
    objective: 0,
  };
}

/**
 * A factor graph over binary variables u in [0,1]^n for LP-SparseMAP: add factors, then solve
 * max eta.u + sum_f eta_f.v_f - 1/2 ||u||^2 over the local polytope. A graph in which every
 * variable is in at most one factor is solved factor by factor exactly; otherwise by ADMM.
 *
 * @example
 * ```ts
 * import { FactorGraph } from 'sshn';
 * const g = new FactorGraph(4);
 * g.addBudget([0, 1, 2, 3], 2, { exact: true });
 * g.addPair(0, 1, 0.5);
 * const r = g.solve([0.9, 0.2, 0.4, -0.1]);
 * console.log(r.u, r.status);
 * const grad = r.backward([1, 0, 0, 0]); // d u_0 / d eta
 * ```
 */
export class FactorGraph {
  /** Number of binary variables u. */
  readonly nVariables: number;
  private readonly factors: FactorSpec[] = [];
  private data: FactorGraphData | null = null;

  constructor(nVariables: number) {
    this.nVariables = checkInteger(nVariables, 'nVariables', 1, 2 ** 31 - 1);
  }

  /** Number of factors added so far. */
  get nFactors(): number {
    return this.factors.length;
  }

  private checkVars(vars: unknown, name: string, minLength: number): number[] {
    if (!isArrayLikeOfNumbers(vars)) throw new TypeError(`${name} must be an array of variable indices, got ${describe(vars)}`);
    if (vars.length < minLength) throw new RangeError(`${name} must have at least ${minLength} variable(s), got ${vars.length}`);
    const seen = new Set<number>();
    const out: number[] = [];
    for (let i = 0; i < vars.length; i++) {
      const v = checkInteger(vars[i], `${name}[${i}]`, 0, this.nVariables - 1);
      if (seen.has(v)) throw new RangeError(`${name} contains variable ${v} twice; a factor's variables must be distinct`);
      seen.add(v);
      out.push(v);
    }
    return out;
  }

  private checkNegated(negated: unknown, length: number): boolean[] {
    if (negated === undefined) return new Array<boolean>(length).fill(false);
    if (!Array.isArray(negated) && !isArrayLikeOfNumbers(negated)) throw new TypeError(`negated must be an array of booleans, got ${describe(negated)}`);
    const list = negated as ArrayLike<unknown>;
    if (list.length !== length) throw new RangeError(`negated must have length ${length} (one flag per variable), got ${list.length}`);
    const out: boolean[] = [];
    for (let i = 0; i < length; i++) {
      const v = list[i];
      if (typeof v === 'boolean') out.push(v);
      else if (v === 0 || v === 1) out.push(v === 1);
      else throw new TypeError(`negated[${i}] must be a boolean, got ${describe(v)}`);
    }
    return out;
  }

  private add(spec: Omit<FactorSpec, 'labelLength' | 'supportCapacity'> & Partial<Pick<FactorSpec, 'labelLength' | 'supportCapacity'>>): number {
    this.factors.push({ labelLength: 0, supportCapacity: 0, ...spec });
    this.data = null;
    return this.factors.length - 1;
  }

  private logic(kind: FactorKind, vars: ArrayLike<number>, negated: unknown, minLength: number, flip: (i: number, n: number) => boolean): number {
    const v = this.checkVars(vars, 'vars', minLength);
    const neg = this.checkNegated(negated, v.length).map((x, i) => x !== flip(i, v.length));
    // OROUT reports a decomposition of its marginals into at most n + 1 vertices.
    const withDistribution = kind === FactorKind.OrOut;
    return this.add({
      kind, vars: v, negated: neg, ints: [], reals: [], scores: new Float64Array(0),
      labelLength: withDistribution ? v.length : 0, supportCapacity: withDistribution ? Math.min(v.length + 1, MAX_SUPPORT_CAPACITY) : 0,
    });
  }

  /** Exactly one of vars is on. Returns the factor index. */
  addXor(vars: ArrayLike<number>, negated?: ArrayLike<boolean | number>): number {
    return this.logic(FactorKind.Xor, vars, negated, 1, () => false);
  }

  /** At most one of vars is on. */
  addAtMostOne(vars: ArrayLike<number>, negated?: ArrayLike<boolean | number>): number {
    return this.logic(FactorKind.AtMostOne, vars, negated, 1, () => false);
  }

  /** At least one of vars is on. */
  addOr(vars: ArrayLike<number>, negated?: ArrayLike<boolean | number>): number {
    return this.logic(FactorKind.Or, vars, negated, 1, () => false);
  }

  /** (vars[0] AND ... AND vars[K-2]) implies vars[K-1]: an OR with the premises negated. */
  addImply(vars: ArrayLike<number>, negated?: ArrayLike<boolean | number>): number {
    return this.logic(FactorKind.Or, vars, negated, 2, (i, n) => i < n - 1);
  }

  /** vars[K-1] = XOR of the others, at most one of which is on: an XOR with the output negated. */
  addXorOut(vars: ArrayLike<number>, negated?: ArrayLike<boolean | number>): number {
    return this.logic(FactorKind.Xor, vars, negated, 2, (i, n) => i === n - 1);
  }

  /**
   * vars[K-1] = OR of the others. Its local problem is an exact projection (one sort, O(K log K));
   * its distribution is a decomposition of its marginals into at most K + 1 vertices.
   */
  addOrOut(vars: ArrayLike<number>, negated?: ArrayLike<boolean | number>): number {
    return this.logic(FactorKind.OrOut, vars, negated, 2, () => false);
  }

  /** vars[K-1] = AND of the others: NOT out = OR of the negated inputs. */
  addAndOut(vars: ArrayLike<number>, negated?: ArrayLike<boolean | number>): number {
    return this.logic(FactorKind.OrOut, vars, negated, 2, () => true);
  }

  /** sum of vars <= k (or = k with exact). */
  addBudget(vars: ArrayLike<number>, k: number, options: BudgetOptions = {}): number {
    const v = this.checkVars(vars, 'vars', 1);
    const opts = checkOptions(options, 'options', optionKeys<BudgetOptions>()('exact', 'negated'));
    const kk = checkInteger(k, 'k', 0, v.length);
    const exact = opts.exact === undefined ? false : checkBoolean(opts.exact, 'options.exact');
    return this.add({ kind: FactorKind.Budget, vars: v, negated: this.checkNegated(opts.negated, v.length), ints: [kk, exact ? 1 : 0], reals: [], scores: new Float64Array(0) });
  }

  /** sum_i costs[i] vars[i] <= budget, costs > 0 and within a factor 1e100 of each other. */
  addKnapsack(vars: ArrayLike<number>, costs: ArrayLike<number>, budget: number, options: KnapsackOptions = {}): number {
    const v = this.checkVars(vars, 'vars', 1);
    const opts = checkOptions(options, 'options', optionKeys<KnapsackOptions>()('negated'));
    const c = toFiniteFloat64(costs, 'costs', v.length);
    c.forEach((x, i) => {
      if (!(x > 0)) throw new RangeError(`costs[${i}] must be > 0, got ${x}`);
    });
    const largest = c.reduce((m, x) => Math.max(m, x), 0);
    const smallest = c.reduce((m, x) => Math.min(m, x), Infinity);
    if (largest > MAX_COST_RATIO * smallest) throw new RangeError(`costs must be within a factor 1e100 of each other (only their ratios matter), got ${smallest} and ${largest}`);
    const b = checkFinite(budget, 'budget');
    if (b < 0) throw new RangeError(`budget must be >= 0, got ${b}`);
    return this.add({ kind: FactorKind.Knapsack, vars: v, negated: this.checkNegated(opts.negated, v.length), ints: [], reals: [...c, b], scores: new Float64Array(0) });
  }

  /** A pairwise factor: score * u_i u_j through the co-activation marginal (its additional). */
  addPair(i: number, j: number, score: number): number {
    // Each index checked by its own name, then the pair by checkVars (distinct variables).
    checkInteger(i, 'i', 0, this.nVariables - 1);
    checkInteger(j, 'j', 0, this.nVariables - 1);
    const v = this.checkVars([i, j], 'the pair [i, j]', 2);
    const s = checkFinite(score, 'score');
    return this.add({ kind: FactorKind.Pair, vars: v, negated: [false, false], ints: [], reals: [], scores: Float64Array.of(s) });
  }

  private sequenceSpec(vars: ArrayLike<number>, options: SequenceOptions, name: string, extraKeys: readonly string[] = []): { v: number[]; L: number; S: number; scores: Float64Array } {
    const opts = checkOptions(options, 'options', [...SEQUENCE_KEYS, ...extraKeys]);
    const S = checkInteger(opts.states, 'options.states', 1, 1 << 16);
    const v = this.checkVars(vars, 'vars', S);
    if (v.length % S !== 0) throw new RangeError(`vars of a ${name} factor must have length L * states (states = ${S}), got ${v.length}`);
    const L = v.length / S;
    const full = 2 * S + (L - 1) * S * S;
    checkAllocation(`${name} scores`, full, 8);
    const scores = new Float64Array(full);
    const t = opts.transitions;
    if (t !== undefined) {
      if (!isArrayLikeOfNumbers(t)) throw new TypeError(`options.transitions must be an array of numbers, got ${describe(t)}`);
      if (t.length === S * S) {
        const m = toFiniteFloat64(t, 'options.transitions');
        for (let step = 1; step < L; step++) scores.set(m, S + (step - 1) * S * S);
      } else if (t.length === full) {
        if (opts.start !== undefined || opts.end !== undefined) throw new TypeError('options.start and options.end go with S x S transitions, not with the full layout');
        scores.set(toFiniteFloat64(t, 'options.transitions'));
      } else {
        throw new RangeError(`options.transitions must have length states^2 = ${S * S} or 2 states + (L-1) states^2 = ${full}, got ${t.length}`);
      }
    }
    if (opts.start !== undefined) scores.set(toFiniteFloat64(opts.start, 'options.start', S), 0);
    if (opts.end !== undefined) scores.set(toFiniteFloat64(opts.end, 'options.end', S), S + (L - 1) * S * S);
    return { v, L, S, scores };
  }

  /** A chain of L positions with one of S states each (vars[t*S + s]), with transition scores. MAP oracle: Viterbi. */
  addSequence(vars: ArrayLike<number>, options: SequenceOptions): number {
    const { v, L, S, scores } = this.sequenceSpec(vars, options, 'Sequence');
    return this.add({
      kind: FactorKind.Sequence, vars: v, negated: v.map(() => false), ints: [L, S], reals: [], scores,
      labelLength: L, supportCapacity: Math.min(v.length + scores.length + 1, MAX_SUPPORT_CAPACITY),
    });
  }

  /** A Sequence in which state 0 is used at most (exactly) k times. MAP oracle: Viterbi over (state, count). */
  addSequenceBudget(vars: ArrayLike<number>, options: SequenceBudgetOptions): number {
    const { v, L, S, scores } = this.sequenceSpec(vars, options, 'SequenceBudget', ['k', 'exact']);
    const opts = checkOptions(options, 'options', [...SEQUENCE_KEYS, 'k', 'exact']);
    const k = checkInteger(opts.k, 'options.k', 0, L);
    const exact = opts.exact === undefined ? false : checkBoolean(opts.exact, 'options.exact');
    if (S === 1 && k !== L) throw new RangeError(`with one state every position uses state 0, so options.k must be L = ${L}, got ${k}`);
    checkAllocation('SequenceBudget dynamic programme', L * S * (k + 1), 12);
    return this.add({
      kind: FactorKind.SequenceBudget, vars: v, negated: v.map(() => false), ints: [L, S, k, exact ? 1 : 0], reals: [], scores,
      labelLength: L, supportCapacity: Math.min(v.length + scores.length + 1, MAX_SUPPORT_CAPACITY),
    });
  }

  /**
   * A dense factor over categorical variables: groups[g] lists the binary variables of category g
   * (exactly one on per group), `scores` has one entry per joint configuration (row-major, last
   * group fastest); its additionals are the configuration marginals. MAP oracle: enumeration.
   */
  addDense(groups: ArrayLike<number>[], scores: ArrayLike<number>): number {
    if (!Array.isArray(groups) || groups.length === 0) throw new TypeError(`groups must be a non-empty array of variable lists, got ${describe(groups)}`);
    const sizes: number[] = [];
    const flat: number[] = [];
    groups.forEach((group, g) => {
      if (!isArrayLikeOfNumbers(group)) throw new TypeError(`groups[${g}] must be an array of variable indices, got ${describe(group)}`);
      if (group.length < 1) throw new RangeError(`groups[${g}] must have at least 1 variable`);
      sizes.push(group.length);
      for (let i = 0; i < group.length; i++) flat.push(group[i]);
    });
    const v = this.checkVars(flat, 'groups (all variables)', 1);
    const configurations = sizes.reduce((p, x) => p * x, 1);
    if (configurations > 2 ** 24) throw new RangeError(`a Dense factor may have at most 2^24 joint configurations, got ${configurations}`);
    const s = toFiniteFloat64(scores, 'scores', configurations);
    return this.add({
      kind: FactorKind.Dense, vars: v, negated: v.map(() => false), ints: [sizes.length, ...sizes], reals: [], scores: s,
      labelLength: sizes.length, supportCapacity: Math.min(v.length + s.length + 1, MAX_SUPPORT_CAPACITY),
    });
  }

  /**
   * A dependency tree (arborescence rooted at node 0) over `length` words: one variable per arc
   * h -> m, listed for m = 1..length, then h = 0..length skipping h = m (length^2 variables).
   * MAP oracle: Chu-Liu-Edmonds; structure labels are the head of each word.
   */
  addTree(vars: ArrayLike<number>, options: TreeOptions): number {
    const opts = checkOptions(options, 'options', optionKeys<TreeOptions>()('length'));
    const length = checkInteger(opts.length, 'options.length', 1, 1 << 12);
    const v = this.checkVars(vars, 'vars', 1);
    if (v.length !== length * length) throw new RangeError(`vars of a Tree factor must have length^2 = ${length * length} arc variables, got ${v.length}`);
    return this.add({
      kind: FactorKind.Tree, vars: v, negated: v.map(() => false), ints: [length], reals: [], scores: new Float64Array(0),
      labelLength: length, supportCapacity: Math.min(v.length + 1, MAX_SUPPORT_CAPACITY),
    });
  }

  /** The flat form both backends consume, as a copy: changing it does not change the graph. */
  toData(): FactorGraphData {
    const d = this.graphData();
    return {
      ...d, kinds: d.kinds.slice(), varStart: d.varStart.slice(), vars: d.vars.slice(), negated: d.negated.slice(), intStart: d.intStart.slice(),
      ints: d.ints.slice(), realStart: d.realStart.slice(), reals: d.reals.slice(), addStart: d.addStart.slice(),
      supportStart: d.supportStart.slice(), labelStart: d.labelStart.slice(),
    };
  }

  /**
   * The flat form, built once per set of factors and never handed out: async solves hold it while
   * they run, and adding a factor makes a new one instead of changing it.
   */
  private graphData(): FactorGraphData {
    if (this.data) return this.data;
    const nF = this.factors.length;
    const starts = (len: (f: FactorSpec) => number): Int32Array => {
      const s = new Int32Array(nF + 1);
      this.factors.forEach((f, i) => (s[i + 1] = s[i] + len(f)));
      return s;
    };
    const varStart = starts((f) => f.vars.length);
    const intStart = starts((f) => f.ints.length);
    const realStart = starts((f) => f.reals.length);
    const addStart = starts((f) => f.scores.length);
    const supportStart = starts((f) => f.supportCapacity);
    const labelStart = starts((f) => f.supportCapacity * f.labelLength);
    const vars = new Int32Array(varStart[nF]);
    const negated = new Uint8Array(varStart[nF]);
    const ints = new Int32Array(intStart[nF]);
    const reals = new Float64Array(realStart[nF]);
    this.factors.forEach((f, i) => {
      vars.set(f.vars, varStart[i]);
      negated.set(f.negated.map((x) => (x ? 1 : 0)), varStart[i]);
      ints.set(f.ints, intStart[i]);
      reals.set(f.reals, realStart[i]);
    });
    this.data = {
      nVariables: this.nVariables, nFactors: nF, kinds: Int32Array.from(this.factors.map((f) => f.kind)),
      varStart, vars, negated, intStart, ints, realStart, reals, addStart, supportStart, labelStart,
    };
    return this.data;
  }

  /** The additional scores given when the factors were added, flat. */
  additionalScores(): Float64Array {
    const data = this.graphData();
    const out = new Float64Array(data.addStart[data.nFactors]);
    this.factors.forEach((f, i) => out.set(f.scores, data.addStart[i]));
    return out;
  }

  /** options.additionalScores, else those given with the factors; checked against MAX_SCORE. */
  private additionalsFrom(opts: SolveOptions): Float64Array {
    return opts.additionalScores === undefined
      ? checkScores(this.additionalScores(), 'additional scores of the factors')
      : checkScores(flatAdditionals(this.graphData(), opts.additionalScores, 'options.additionalScores'), 'options.additionalScores (flattened)');
  }

  private prepare(unaryScores: unknown, options: SolveOptions | undefined, objective = 0) {
    if (this.factors.length === 0) throw new RangeError('the factor graph has no factors');
    const opts = checkOptions(options, 'options', SOLVE_KEYS) as SolveOptions;
    const backend = getBackend(opts.backend);
    const params = { ...paramsFrom(opts), objective };
    const data = this.graphData();
    const unary = checkScores(toFiniteFloat64(unaryScores, 'unaryScores', this.nVariables), 'unaryScores');
    const additional = this.additionalsFrom(opts);
    checkAllocation('support labels', data.labelStart[data.nFactors], 4);
    const out: SparseMapOutputs = {
      u: new Float64Array(this.nVariables),
      additionals: new Float64Array(data.addStart[data.nFactors]),
      info: new Float64Array(INFO_LENGTH),
      localInputs: new Float64Array(data.varStart[data.nFactors]),
      supportCount: new Int32Array(data.nFactors),
      supportWeights: new Float64Array(data.supportStart[data.nFactors]),
      supportLabels: new Int32Array(data.labelStart[data.nFactors]),
    };
    return { backend, params, data, unary, additional, out };
  }

  /** Solves LP-SparseMAP for these unary scores (length nVariables; scores, like the factors', at most 1e150 in magnitude). */
  solve(unaryScores: ArrayLike<number>, options?: SolveOptions): SolveResult {
    const p = this.prepare(unaryScores, options);
    p.backend.sparsemapSolve(p.data, p.unary, p.additional, p.params, p.out);
    return solveResult(p.backend, p.params, p.data, p.unary, p.additional, p.out);
  }

  /**
   * LP-MAP: the linear relaxation max eta.u + sum_f eta_f.v_f over the same local polytope (no
   * quadratic), by AD3's ADMM. Its solutions are often vertices; `value` is eta.u + sum eta_f.v_f.
   */
  mapSolve(unaryScores: ArrayLike<number>, options?: SolveOptions): MapSolveResult {
    const p = this.prepare(unaryScores, options, 1);
    p.backend.sparsemapSolve(p.data, p.unary, p.additional, p.params, p.out);
    return report(p.data, p.unary, p.additional, p.out, 0);
  }

  /** solve on the libuv thread pool (native) or after the current turn (js). */
  async solveAsync(unaryScores: ArrayLike<number>, options?: SolveOptions): Promise<SolveResult> {
    const p = this.prepare(unaryScores, options);
    await p.backend.sparsemapSolveAsync(p.data, p.unary, p.additional, p.params, p.out);
    return solveResult(p.backend, p.params, p.data, p.unary, p.additional, p.out);
  }

  /**
   * solve for every row of a unary-score matrix (rows x nVariables), rows in parallel natively.
   * Returns u and the additionals as matrices (one row per input row) with each row's status.
   */
  solveBatch(unaryScores: Matrix | ArrayLike<number>[], options?: SolveOptions & { threads?: number }): SolveBatchResult {
    const p = this.prepareBatch(unaryScores, options);
    p.backend.sparsemapSolveBatch(p.data, p.unary.data, p.unary.rows, p.additional, p.params, p.u, p.additionals, p.info, p.threads);
    return this.batchResult(p);
  }

  /** solveBatch on the libuv thread pool (native) or after the current turn (js). */
  async solveBatchAsync(unaryScores: Matrix | ArrayLike<number>[], options?: SolveOptions & { threads?: number }): Promise<SolveBatchResult> {
    const p = this.prepareBatch(unaryScores, options);
    await p.backend.sparsemapSolveBatchAsync(p.data, p.unary.data, p.unary.rows, p.additional, p.params, p.u, p.additionals, p.info, p.threads);
    return this.batchResult(p);
  }

  private prepareBatch(unaryScores: unknown, options: (SolveOptions & { threads?: number }) | undefined) {
    if (this.factors.length === 0) throw new RangeError('the factor graph has no factors');
    const opts = checkOptions(options, 'options', [...SOLVE_KEYS, 'threads']) as SolveOptions & { threads?: number };
    const backend = getBackend(opts.backend);
    const params = paramsFrom(opts);
    const data = this.graphData();
    const unary = scoreMatrix(unaryScores, 'unaryScores');
    if (unary.cols !== this.nVariables) throw new RangeError(`unaryScores must have nVariables = ${this.nVariables} columns, got ${unary.cols}`);
    checkScores(unary.data, 'unaryScores (flattened)');
    const additional = this.additionalsFrom(opts);
    const nAdd = data.addStart[data.nFactors];
    checkAllocation('batch marginals', unary.rows * Math.max(this.nVariables, nAdd), 8);
    return {
      backend, params, data, unary, additional, threads: threadsOf(opts as Record<string, unknown>),
      u: new Float64Array(unary.rows * this.nVariables), additionals: new Float64Array(unary.rows * nAdd), info: new Float64Array(unary.rows * INFO_LENGTH),
    };
  }

  private batchResult(p: ReturnType<FactorGraph['prepareBatch']>): SolveBatchResult {
    const rows = p.unary.rows;
    const status = Array.from({ length: rows }, (_, r) => STATUS_NAMES[p.info[r * INFO_LENGTH + INFO_STATUS]]);
    return {
      u: { data: p.u, rows, cols: this.nVariables },
      additionals: { data: p.additionals, rows, cols: p.data.addStart[p.data.nFactors] },
      status, converged: status.every((s) => s === 'converged'),
      iterations: Int32Array.from({ length: rows }, (_, r) => p.info[r * INFO_LENGTH + INFO_ITERATIONS]),
    };
  }
}

/** Options of the batch wrappers. */
export interface BatchOptions {
  backend?: BackendName;
  /** Threads of the native backend (default: all cores; capped at the cores). */
  threads?: number;
}

function threadsOf(opts: Record<string, unknown>): number {
  return opts.threads === undefined ? 0 : checkInteger(opts.threads, 'options.threads', 1, 1024);
}

function scoreMatrix(scores: unknown, name: string): { data: Float64Array; rows: number; cols: number } {
  const m = toRows(scores, name);
  checkAllocation(name, m.rows * m.cols, 8);
  const data = new Float64Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) data.set(toFiniteFloat64(m.row(r), `${name} row ${r}`, m.cols), r * m.cols);
  return { data, rows: m.rows, cols: m.cols };
}

/**
 * Marginals of k-subsets (SparseMAP of one exact-k Budget factor): the projection of scores on
 * {u in [0,1]^n, sum u = k}, exact to about 1e-12 for any finite scores (ties at 1e16 split evenly).
 *
 * @example
 * ```ts
 * import { kSubsetsExact } from 'sshn';
 * kSubsetsExact([1, 2, 3, 0.5], 2); // Float64Array [0, 1, 1, 0]
 * ```
 */
export function kSubsetsExact(scores: ArrayLike<number>, k: number, options: BatchOptions = {}): Float64Array {
  const s = toFiniteFloat64(scores, 'scores');
  return kSubsetsExactBatch({ data: s, rows: 1, cols: s.length }, k, options).data;
}

/**
 * kSubsetsExact on every row of a score matrix (rows in parallel natively).
 *
 * @example
 * ```ts
 * import { kSubsetsExactBatch } from 'sshn';
 * const m = kSubsetsExactBatch({ data: Float64Array.of(1, 2, 3, 3, 2, 1), rows: 2, cols: 3 }, 1);
 * console.log(m.data); // one row of marginals per score row
 * ```
 */
export function kSubsetsExactBatch(scores: Matrix | ArrayLike<number>[], k: number, options: BatchOptions = {}): Matrix<Float64Array> {
  const p = kSubsetsJob(scores, k, options);
  p.backend.kSubsetsBatch(p.m.data, p.m.rows, p.m.cols, p.k, p.out, p.threads);
  return { data: p.out, rows: p.m.rows, cols: p.m.cols };
}

/**
 * kSubsetsExactBatch on the libuv thread pool (native) or after the current turn (js).
 *
 * @example
 * ```ts
 * import { kSubsetsExactBatchAsync } from 'sshn';
 * const m = await kSubsetsExactBatchAsync([[1, 2, 3], [3, 2, 1]], 1);
 * ```
 */
export async function kSubsetsExactBatchAsync(scores: Matrix | ArrayLike<number>[], k: number, options: BatchOptions = {}): Promise<Matrix<Float64Array>> {
  const p = kSubsetsJob(scores, k, options);
  await p.backend.kSubsetsBatchAsync(p.m.data, p.m.rows, p.m.cols, p.k, p.out, p.threads);
  return { data: p.out, rows: p.m.rows, cols: p.m.cols };
}

function kSubsetsJob(scores: unknown, k: unknown, options: BatchOptions) {
  const opts = checkOptions(options, 'options', BATCH_KEYS);
  const backend = getBackend(opts.backend as BackendName | undefined);
  const m = scoreMatrix(scores, 'scores');
  const kk = checkInteger(k, 'k', 0, m.cols);
  checkAllocation('marginals', m.rows * m.cols, 8);
  return { backend, m, k: kk, out: new Float64Array(m.rows * m.cols), threads: threadsOf(opts) };
}

/** Options of sequentialKSubsets. */
export interface SequentialKSubsetsOptions extends BatchOptions {
  k: number;
  /** Score added for each pair of consecutive selected positions (default 0). */
  bonus?: number;
  maxActiveSetIter?: number;
}

/**
 * Marginals of sequential k-subsets: a 2-state SequenceBudget (state 0 = selected, exactly k
 * selected, `bonus` on each selected -> selected step). Throws if the QP does not converge. Its
 * active-set QP stops when no selection gains more than 1e-12 of the scores' size (relative to the
 * largest score, which is subtracted first: adding a constant to every score changes nothing).
 *
 * @example
 * ```ts
 * import { sequentialKSubsets } from 'sshn';
 * const p = sequentialKSubsets([1, 2, 3, 0.5, 1.1], { k: 2, bonus: 0.5 });
 * console.log(p); // marginal of each position being selected; sums to 2
 * ```
 */
export function sequentialKSubsets(scores: ArrayLike<number>, options: SequentialKSubsetsOptions): Float64Array {
  const s = toFiniteFloat64(scores, 'scores');
  const result = sequentialKSubsetsBatch({ data: s, rows: 1, cols: s.length }, options);
  if (!result.converged) throw new Error('sequentialKSubsets: the active-set QP did not converge within maxActiveSetIter');
  return result.data;
}

/**
 * sequentialKSubsets on every row (in parallel natively); `status` per row, `converged` when all
 * rows converged.
 *
 * @example
 * ```ts
 * import { sequentialKSubsetsBatch } from 'sshn';
 * const m = sequentialKSubsetsBatch([[1, 2, 3, 0.5], [0, 1, 0, 1]], { k: 2, bonus: 0.3 });
 * console.log(m.data, m.converged);
 * ```
 */
export function sequentialKSubsetsBatch(scores: Matrix | ArrayLike<number>[], options: SequentialKSubsetsOptions): SequentialKSubsetsResult {
  const p = sequentialJob(scores, options);
  p.backend.sequentialKSubsetsBatch(p.m.data, p.m.rows, p.m.cols, p.k, p.bonus, p.maxIter, p.out, p.status, p.threads);
  return sequentialResult(p);
}

/**
 * sequentialKSubsetsBatch on the libuv thread pool (native) or after the current turn (js).
 *
 * @example
 * ```ts
 * import { sequentialKSubsetsBatchAsync } from 'sshn';
 * const m = await sequentialKSubsetsBatchAsync([[1, 2, 3, 0.5]], { k: 2, bonus: 0.3 });
 * ```
 */
export async function sequentialKSubsetsBatchAsync(scores: Matrix | ArrayLike<number>[], options: SequentialKSubsetsOptions): Promise<SequentialKSubsetsResult> {
  const p = sequentialJob(scores, options);
  await p.backend.sequentialKSubsetsBatchAsync(p.m.data, p.m.rows, p.m.cols, p.k, p.bonus, p.maxIter, p.out, p.status, p.threads);
  return sequentialResult(p);
}

/** Marginals of sequentialKSubsetsBatch, with the status of each row. */
export type SequentialKSubsetsResult = Matrix<Float64Array> & { converged: boolean; status: SparseMapStatusName[] };

function sequentialJob(scores: unknown, options: SequentialKSubsetsOptions) {
  const opts = checkOptions(options, 'options', SEQUENTIAL_KEYS);
  const backend = getBackend(opts.backend as BackendName | undefined);
  const m = scoreMatrix(scores, 'scores');
  const k = checkInteger(opts.k, 'options.k', 0, m.cols);
  const bonus = opts.bonus === undefined ? 0 : checkFinite(opts.bonus, 'options.bonus');
  const maxIter = opts.maxActiveSetIter === undefined ? 1000 : checkInteger(opts.maxActiveSetIter, 'options.maxActiveSetIter', 1, 1e9);
  if (!Number.isFinite(m.cols * largestMagnitude(m.data) + (m.cols - 1) * Math.abs(bonus))) {
    throw new RangeError(`scores and options.bonus are too large: the total score of a selection over ${m.cols} positions would overflow`);
  }
  checkAllocation('marginals', m.rows * m.cols, 8);
  checkAllocation('dynamic programme', 2 * m.cols * (k + 1), 9);
  return { backend, m, k, bonus, maxIter, out: new Float64Array(m.rows * m.cols), status: new Uint8Array(m.rows), threads: threadsOf(opts) };
}

function sequentialResult(p: ReturnType<typeof sequentialJob>): SequentialKSubsetsResult {
  const names = Array.from(p.status, (x) => STATUS_NAMES[x]);
  return { data: p.out, rows: p.m.rows, cols: p.m.cols, converged: p.status.every((x) => x === SparseMapStatus.Converged), status: names };
}

/**
 * Gradient through kSubsetsExactBatch: for each row, grad (dL/d marginals) times the Jacobian of
 * the marginals with respect to the scores (symmetric: free entries move, minus their mean).
 *
 * @example
 * ```ts
 * import { kSubsetsExactBackward } from 'sshn';
 * const scores = { data: Float64Array.of(0.2, 0.5, 0.4), rows: 1, cols: 3 };
 * const g = kSubsetsExactBackward(scores, 1, { data: Float64Array.of(1, 0, 0), rows: 1, cols: 3 });
 * console.log(g.data); // dL/dscores
 * ```
 */
export function kSubsetsExactBackward(scores: Matrix | ArrayLike<number>[], k: number, grad: Matrix | ArrayLike<number>[], options: BatchOptions = {}): Matrix<Float64Array> {
  const opts = checkOptions(options, 'options', BATCH_KEYS);
  const backend = getBackend(opts.backend as BackendName | undefined);
  const m = scoreMatrix(scores, 'scores');
  const g = scoreMatrix(grad, 'grad');
  if (g.rows !== m.rows || g.cols !== m.cols) throw new RangeError(`grad must be ${m.rows} x ${m.cols} like scores, got ${g.rows} x ${g.cols}`);
  const kk = checkInteger(k, 'k', 0, m.cols);
  const out = new Float64Array(m.rows * m.cols);
  const s = downScale(g.data);
  backend.kSubsetsBackwardBatch(m.data, m.rows, m.cols, kk, scaledBy(g.data, -s), out, threadsOf(opts));
  return { data: scaledBy(out, s), rows: m.rows, cols: m.cols };
}

/**
 * Gradient through sequentialKSubsetsBatch with respect to the scores: for each row, grad times
 * the Jacobian of the marginals (the active-set QP is solved again to find its support).
 *
 * @example
 * ```ts
 * import { sequentialKSubsetsBackward } from 'sshn';
 * const scores = [[1, 2, 3, 0.5, 1.1]];
 * const g = sequentialKSubsetsBackward(scores, [[0, 1, 0, 0, 0]], { k: 2, bonus: 0.5 });
 * console.log(g.data);
 * ```
 */
export function sequentialKSubsetsBackward(
  scores: Matrix | ArrayLike<number>[], grad: Matrix | ArrayLike<number>[], options: SequentialKSubsetsOptions,
): Matrix<Float64Array> & { converged: boolean } {
  const p = sequentialJob(scores, options);
  const g = scoreMatrix(grad, 'grad');
  if (g.rows !== p.m.rows || g.cols !== p.m.cols) throw new RangeError(`grad must be ${p.m.rows} x ${p.m.cols} like scores, got ${g.rows} x ${g.cols}`);
  const s = downScale(g.data);
  p.backend.sequentialKSubsetsBackwardBatch(p.m.data, p.m.rows, p.m.cols, p.k, p.bonus, p.maxIter, scaledBy(g.data, -s), p.out, p.status, p.threads);
  return { data: scaledBy(p.out, s), rows: p.m.rows, cols: p.m.cols, converged: p.status.every((x) => x === SparseMapStatus.Converged) };
}
