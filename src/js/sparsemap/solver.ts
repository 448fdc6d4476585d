// LP-SparseMAP (SPEC.md section 3) in pure TypeScript: per-factor local QPs, the AD3-style ADMM
// that ties them together, its linearisation (the backward pass), and the batch wrappers used by
// structured Hopfield retrieval. Mirrored by native/core/sparsemap.cpp.
import {
  FactorGraphData, FactorKind, INFO_DUAL, INFO_ITERATIONS, INFO_LENGTH, INFO_LOCAL_SCALE, INFO_PRIMAL, INFO_RHO, INFO_STATUS,
  SparseMapGradOutputs, SparseMapOutputs, SparseMapParams, SparseMapStatus, SparseMapSupports,
} from '../../kernels';
import { ActiveSetQP, DenseOracle, Oracle, SelectionOracle, SequenceOracle, SUPPORT_TOL, TreeOracle } from './activeSet';
import {
  cappedProjection, cappedProjectionJvp, normalisedCosts, orOutDecompose, OrOutFace, orOutJvp, orOutProjection, pairJvp, pairSolve, SumMode,
} from './closedForm';
import { validateGraph } from './graph';

/** A factor's local problem max a.x + b.v - 1/2 ||x||^2 in its own (negation-applied) coordinates. */
interface LocalFactor {
  readonly n: number;
  readonly nAdd: number;
  /** Reads a[aOff..aOff+n), b[bOff..bOff+nAdd); writes x[xOff..), v[vOff..). Returns false if not converged. */
  solve(a: Float64Array, aOff: number, b: Float64Array, bOff: number, x: Float64Array, xOff: number, v: Float64Array, vOff: number, maxIter: number): boolean;
  /** Fixes the face of the last solution for jvp. */
  prepareJvp(): void;
  jvp(da: Float64Array, daOff: number, db: Float64Array, dbOff: number, dx: Float64Array, dxOff: number, dv: Float64Array, dvOff: number): void;
  /**
   * Writes the last solution's distribution over structures (at most `capacity`, labels one after
   * another) and returns its size; 0 for factors that report none.
   */
  writeSupport(weights: Float64Array, wOff: number, labels: Int32Array, lOff: number, capacity: number): number;
  /** Active-set factors: makes the last solution the given distribution (as writeSupport wrote it). */
  restoreSupport?(weights: Float64Array, wOff: number, labels: Int32Array, lOff: number, count: number): void;
}

class CappedFactor implements LocalFactor {
  readonly nAdd = 0;
  private readonly x: Float64Array;
  private active = false;

  constructor(readonly n: number, private readonly k: number, private readonly mode: SumMode, private readonly costs: Float64Array | null, private readonly cOff: number) {
    this.x = new Float64Array(n);
  }

  solve(a: Float64Array, aOff: number, _b: Float64Array, _bOff: number, x: Float64Array, xOff: number): boolean {
    const tau = cappedProjection(a, aOff, this.n, this.costs, this.cOff, this.k, this.mode, this.x, 0);
    this.active = this.mode === SumMode.Exact || !Number.isNaN(tau);
    for (let i = 0; i < this.n; i++) x[xOff + i] = this.x[i];
    return true;
  }

  prepareJvp(): void {}

  jvp(da: Float64Array, daOff: number, _db: Float64Array, _dbOff: number, dx: Float64Array, dxOff: number): void {
    cappedProjectionJvp(this.x, 0, this.n, this.costs, this.cOff, this.active, da, daOff, dx, dxOff);
  }

  writeSupport(): number {
    return 0;
  }
}

class PairFactor implements LocalFactor {
  readonly n = 2;
  readonly nAdd = 1;
  private readonly x = new Float64Array(3);
  private readonly d = new Float64Array(3);
  private pairCase = 0;

  solve(a: Float64Array, aOff: number, b: Float64Array, bOff: number, x: Float64Array, xOff: number, v: Float64Array, vOff: number): boolean {
    this.pairCase = pairSolve(a[aOff], a[aOff + 1], b[bOff], this.x);
    x[xOff] = this.x[0];
    x[xOff + 1] = this.x[1];
    v[vOff] = this.x[2];
    return true;
  }

  prepareJvp(): void {}

  jvp(da: Float64Array, daOff: number, db: Float64Array, dbOff: number, dx: Float64Array, dxOff: number, dv: Float64Array, dvOff: number): void {
    pairJvp(this.pairCase, this.x, da[daOff], da[daOff + 1], db[dbOff], this.d);
    dx[dxOff] = this.d[0];
    dx[dxOff + 1] = this.d[1];
    dv[dvOff] = this.d[2];
  }

  writeSupport(): number {
    return 0;
  }
}

/**
 * OROUT (the last variable is the OR of the others), solved exactly by orOutProjection. Its
 * distribution is orOutDecompose's exact one (every positive weight), with labels giving the
 * variables' values (negations undone).
 */
class OrOutFactor implements LocalFactor {
  readonly nAdd = 0;
  private readonly x: Float64Array;
  private readonly sorted: Float64Array;
  private face = OrOutFace.Clip;

  constructor(readonly n: number, private readonly negated: Uint8Array, private readonly negOff: number) {
    this.x = new Float64Array(n);
    this.sorted = new Float64Array(n);
  }

  solve(a: Float64Array, aOff: number, _b: Float64Array, _bOff: number, x: Float64Array, xOff: number): boolean {
    this.face = orOutProjection(a, aOff, this.n, this.x, 0, this.sorted);
    for (let i = 0; i < this.n; i++) x[xOff + i] = this.x[i];
    return true;
  }

  prepareJvp(): void {}

  jvp(da: Float64Array, daOff: number, _db: Float64Array, _dbOff: number, dx: Float64Array, dxOff: number): void {
    orOutJvp(this.face, this.x, 0, this.n, da, daOff, dx, dxOff);
  }

  writeSupport(weights: Float64Array, wOff: number, labels: Int32Array, lOff: number, capacity: number): number {
    return orOutDecompose(this.x, 0, this.n, this.negated, this.negOff, capacity, weights, wOff, labels, lOff);
  }
}

class ActiveFactor implements LocalFactor {
  readonly n: number;
  readonly nAdd: number;
  readonly qp: ActiveSetQP;

  constructor(oracle: Oracle) {
    this.n = oracle.n;
    this.nAdd = oracle.nAdd;
    this.qp = new ActiveSetQP(oracle);
  }

  solve(a: Float64Array, aOff: number, b: Float64Array, bOff: number, x: Float64Array, xOff: number, v: Float64Array, vOff: number, maxIter: number): boolean {
    return this.qp.solve(a, aOff, b, bOff, maxIter, x, xOff, v, vOff);
  }

  prepareJvp(): void {
    this.qp.prepareJvp();
  }

  jvp(da: Float64Array, daOff: number, db: Float64Array, dbOff: number, dx: Float64Array, dxOff: number, dv: Float64Array, dvOff: number): void {
    this.qp.jvp(da, daOff, db, dbOff, dx, dxOff, dv, dvOff);
  }

  restoreSupport(weights: Float64Array, wOff: number, labels: Int32Array, lOff: number, count: number): void {
    this.qp.restore(weights, wOff, labels, lOff, count);
  }

  writeSupport(weights: Float64Array, wOff: number, labels: Int32Array, lOff: number, capacity: number): number {
    const { qp } = this;
    const labelLength = qp.oracle.labelLength;
    let count = 0;
    for (let s = 0; s < qp.structures.length; s++) {
      if (!(qp.weights[s] > SUPPORT_TOL)) continue;
      if (count < capacity) {
        weights[wOff + count] = qp.weights[s];
        labels.set(qp.structures[s].label, lOff + count * labelLength);
      }
      count++;
    }
    return count;
  }
}

function makeFactor(graph: FactorGraphData, f: number): LocalFactor {
  const n = graph.varStart[f + 1] - graph.varStart[f];
  const ints = graph.ints;
  const io = graph.intStart[f];
  switch (graph.kinds[f] as FactorKind) {
    case FactorKind.Xor: return new CappedFactor(n, 1, SumMode.Exact, null, 0);
    case FactorKind.AtMostOne: return new CappedFactor(n, 1, SumMode.AtMost, null, 0);
    case FactorKind.Or: return new CappedFactor(n, 1, SumMode.AtLeast, null, 0);
    case FactorKind.Budget: return new CappedFactor(n, ints[io], ints[io + 1] ? SumMode.Exact : SumMode.AtMost, null, 0);
    case FactorKind.Knapsack: {
      const ro = graph.realStart[f];
      const scaled = normalisedCosts(graph.reals, ro, n, graph.reals[ro + n]);
      return new CappedFactor(n, scaled.budget, SumMode.AtMost, scaled.costs, 0);
    }
    case FactorKind.Pair: return new PairFactor();
    case FactorKind.OrOut: return new OrOutFactor(n, graph.negated, graph.varStart[f]);
    case FactorKind.Sequence: return new ActiveFactor(new SequenceOracle(ints[io], ints[io + 1]));
    case FactorKind.SequenceBudget: return new ActiveFactor(new SequenceOracle(ints[io], ints[io + 1], ints[io + 2], ints[io + 3] !== 0));
    case FactorKind.Tree: return new ActiveFactor(new TreeOracle(ints[io]));
    case FactorKind.Dense: return new ActiveFactor(new DenseOracle(Array.from(ints.subarray(io + 1, io + 1 + ints[io]))));
    default: throw new RangeError(`unknown factor kind ${graph.kinds[f]}`);
  }
}

/** The graph's factors with scratch space for their local problems. */
class Model {
  readonly factors: LocalFactor[] = [];
  readonly degree: Int32Array;
  readonly nCopies: number;
  readonly nAdd: number;
  readonly maxDegree: number;
  private readonly xIn: Float64Array;
  private readonly xOut: Float64Array;
  private readonly bIn: Float64Array;

  constructor(readonly graph: FactorGraphData) {
    for (let f = 0; f < graph.nFactors; f++) this.factors.push(makeFactor(graph, f));
    this.nCopies = graph.varStart[graph.nFactors];
    this.nAdd = graph.addStart[graph.nFactors];
    this.degree = new Int32Array(graph.nVariables);
    for (let j = 0; j < this.nCopies; j++) this.degree[graph.vars[j]]++;
    let maxDegree = 0;
    for (let i = 0; i < graph.nVariables; i++) maxDegree = Math.max(maxDegree, this.degree[i]);
    this.maxDegree = maxDegree;
    this.xIn = new Float64Array(this.nCopies);
    this.xOut = new Float64Array(this.nCopies);
    this.bIn = new Float64Array(this.nAdd);
  }

  /**
   * Solves every local problem at unary inputs a (per copy, u-space) and additional scores
   * bScale * b. With `supports` (the backward pass, which needs the faces only), active-set factors
   * whose reported distribution is complete take it instead of solving, and their parts of q and v
   * are not written.
   */
  solveLocal(a: Float64Array, b: Float64Array, bScale: number, q: Float64Array, v: Float64Array, maxIter: number, supports?: SparseMapSupports): boolean {
    const { graph, xIn, xOut, bIn } = this;
    for (let j = 0; j < this.nCopies; j++) xIn[j] = graph.negated[j] ? 1 - a[j] : a[j];
    for (let j = 0; j < this.nAdd; j++) bIn[j] = bScale * b[j];
    let converged = true;
    for (let f = 0; f < graph.nFactors; f++) {
      if (supports && this.restoreSupport(f, supports)) continue;
      const off = graph.varStart[f];
      if (!this.factors[f].solve(xIn, off, bIn, graph.addStart[f], xOut, off, v, graph.addStart[f], maxIter)) converged = false;
    }
    for (let j = 0; j < this.nCopies; j++) q[j] = graph.negated[j] ? 1 - xOut[j] : xOut[j];
    return converged;
  }

  /** Gives factor f the distribution a solve reported, if f is an active-set factor and that distribution is complete (not truncated). */
  private restoreSupport(f: number, supports: SparseMapSupports): boolean {
    const { graph } = this;
    const factor = this.factors[f];
    const count = supports.supportCount[f];
    if (!factor.restoreSupport || !(count > 0 && count <= graph.supportStart[f + 1] - graph.supportStart[f])) return false;
    factor.restoreSupport(supports.supportWeights, graph.supportStart[f], supports.supportLabels, graph.labelStart[f], count);
    return true;
  }

  /**
   * The local problems' linearisation at their last solutions. A negated copy is q = 1 - x(1 - a),
   * so with S = -1 on negated copies (1 elsewhere) the derivative is S J S: signs flip on the way in
   * and out (J's cross terms between a negated and a plain copy change sign).
   */
  jvpLocal(da: Float64Array, db: Float64Array, bScale: number, dq: Float64Array, dv: Float64Array): void {
    const { graph, xIn, xOut, bIn } = this;
    for (let j = 0; j < this.nCopies; j++) xIn[j] = graph.negated[j] ? -da[j] : da[j];
    for (let j = 0; j < this.nAdd; j++) bIn[j] = bScale * db[j];
    for (let f = 0; f < graph.nFactors; f++) {
      const off = graph.varStart[f];
      this.factors[f].jvp(xIn, off, bIn, graph.addStart[f], xOut, off, dv, graph.addStart[f]);
    }
    for (let j = 0; j < this.nCopies; j++) dq[j] = graph.negated[j] ? -xOut[j] : xOut[j];
  }
}

interface AdmmResult {
  status: SparseMapStatus;
  iterations: number;
  primal: number;
  dual: number;
  rho: number;
  localScale: number;
}

/**
 * ADMM on max eta.u - c/2||u||^2 + sum_f [b_f.v_f] s.t. each factor's copy q_f = u_f lies in its
 * polytope (c = 1: LP-SparseMAP; c = 0: LP-MAP). With c = 1 the quadratic and eta stay on the
 * global u, so each local step is the factor's own SparseMAP problem at a = u_f + lambda_f / rho
 * with additional scores b_f / rho, and the global step is u = (eta + sum_f (rho q_f - lambda_f)) /
 * (1 + rho deg). With c = 0 (AD3), eta is split over the copies (eta / deg in each local step) and
 * u is the average of q_f - lambda_f / rho. `local` is the forward local solver or its
 * linearisation (the backward pass runs the same iteration on the linearised problem).
 */
function admm(
  model: Model, eta: Float64Array, params: SparseMapParams, u: Float64Array, localInputs: Float64Array,
  local: (a: Float64Array, bScale: number, q: Float64Array) => boolean, quadratic = 1,
): AdmmResult {
  const { graph, degree, nCopies } = model;
  const vars = graph.vars;
  const lambda = new Float64Array(nCopies);
  const q = new Float64Array(nCopies);
  const numerator = new Float64Array(graph.nVariables);
  let rho = params.rhoInit;
  let result: AdmmResult = { status: SparseMapStatus.MaxIterations, iterations: 0, primal: Infinity, dual: Infinity, rho, localScale: 1 / rho };
  for (let iter = 1; iter <= params.maxIter; iter++) {
    for (let j = 0; j < nCopies; j++) {
      const i = vars[j];
      localInputs[j] = u[i] + (quadratic === 1 ? lambda[j] : lambda[j] + eta[i] / degree[i]) / rho;
    }
    const localConverged = local(localInputs, 1 / rho, q);
    for (let i = 0; i < graph.nVariables; i++) numerator[i] = quadratic * eta[i];
    for (let j = 0; j < nCopies; j++) numerator[vars[j]] += rho * q[j] - lambda[j];
    let dualSq = 0;
    for (let i = 0; i < graph.nVariables; i++) {
      if (degree[i] === 0) continue;
      const next = numerator[i] / (quadratic + rho * degree[i]);
      const change = next - u[i];
      dualSq += degree[i] * change * change;
      numerator[i] = change; // kept for rootMeanSquare
      u[i] = next;
    }
    let primalSq = 0;
    for (let j = 0; j < nCopies; j++) {
      const r = q[j] - u[vars[j]];
      primalSq += r * r;
      lambda[j] -= rho * r;
    }
    const primal = rootMeanSquare(primalSq, nCopies, nCopies, (j) => q[j] - u[vars[j]]);
    const dual = rho * rootMeanSquare(dualSq, nCopies, graph.nVariables, (i) => Math.sqrt(degree[i]) * numerator[i]);
    result = { status: SparseMapStatus.MaxIterations, iterations: iter, primal, dual, rho, localScale: 1 / rho };
    if (primal < params.tol && dual < params.tol) {
      result.status = localConverged ? SparseMapStatus.Converged : SparseMapStatus.ActiveSetMaxIterations;
      break;
    }
    if (params.adaptRho && iter % 10 === 0) {
      if (primal > 10 * dual) rho = Math.min(2 * rho, 100);
      else if (dual > 10 * primal) rho = Math.max(rho / 2, 1e-3);
    }
  }
  return result;
}

/**
 * sqrt(sumSq / n), where sumSq sums term(j)^2 over j < count; recomputed with scaling when the
 * squares overflowed (scores beyond 1e154), so that the reported residuals stay finite.
 */
function rootMeanSquare(sumSq: number, n: number, count: number, term: (j: number) => number): number {
  if (sumSq < Infinity) return Math.sqrt(sumSq / n);
  let scale = 0;
  for (let j = 0; j < count; j++) scale = Math.max(scale, Math.abs(term(j)));
  if (!(scale < Infinity)) return scale;
  let sum = 0;
  for (let j = 0; j < count; j++) {
    const t = term(j) / scale;
    sum += t * t;
  }
  return scale * Math.sqrt(sum / n);
}

function clip01(v: number): number {
  return v <= 0 ? 0 : v >= 1 ? 1 : v;
}

export function sparsemapSolve(graph: FactorGraphData, unary: Float64Array, additional: Float64Array, params: SparseMapParams, out: SparseMapOutputs): void {
  validateGraph(graph);
  solveValidated(graph, unary, additional, params, out);
}

function solveValidated(graph: FactorGraphData, unary: Float64Array, additional: Float64Array, params: SparseMapParams, out: SparseMapOutputs): void {
  const model = new Model(graph);
  const { u, additionals, info, localInputs } = out;
  const lpMap = params.objective === 1;
  // A variable in no factor maximises eta u (- u^2 / 2) over [0, 1] alone.
  for (let i = 0; i < graph.nVariables; i++) u[i] = lpMap ? (unary[i] > 0 ? 1 : 0) : clip01(unary[i]);
  let result: AdmmResult;
  if (model.maxDegree <= 1 && !lpMap) {
    // Every variable in at most one factor: the factors are independent problems, solved exactly.
    for (let j = 0; j < model.nCopies; j++) localInputs[j] = unary[graph.vars[j]];
    const q = new Float64Array(model.nCopies);
    const converged = model.solveLocal(localInputs, additional, 1, q, additionals, params.maxActiveSetIter);
    for (let j = 0; j < model.nCopies; j++) u[graph.vars[j]] = q[j];
    result = { status: converged ? SparseMapStatus.Converged : SparseMapStatus.ActiveSetMaxIterations, iterations: 1, primal: 0, dual: 0, rho: params.rhoInit, localScale: 1 };
  } else {
    let lastQ: Float64Array = new Float64Array(0);
    const local = (a: Float64Array, bScale: number, q: Float64Array): boolean => {
      lastQ = q;
      return model.solveLocal(a, additional, bScale, q, additionals, params.maxActiveSetIter);
    };
    result = admm(model, unary, params, u, localInputs, local, lpMap ? 0 : 1);
    // Report the mean of the factors' copies: each copy lies in its polytope, so u stays in the box
    // (the consensus variable differs from it by at most the residuals).
    for (let i = 0; i < graph.nVariables; i++) if (model.degree[i] > 0) u[i] = 0;
    for (let j = 0; j < model.nCopies; j++) u[graph.vars[j]] += lastQ[j];
    for (let i = 0; i < graph.nVariables; i++) if (model.degree[i] > 0) u[i] /= model.degree[i];
  }
  info[INFO_STATUS] = result.status;
  info[INFO_ITERATIONS] = result.iterations;
  info[INFO_PRIMAL] = result.primal;
  info[INFO_DUAL] = result.dual;
  info[INFO_RHO] = result.rho;
  info[INFO_LOCAL_SCALE] = result.localScale;
  writeSupports(graph, model, out);
}

export function sparsemapSolveBatch(
  graph: FactorGraphData, unary: Float64Array, rows: number, additional: Float64Array, params: SparseMapParams,
  u: Float64Array, additionals: Float64Array, info: Float64Array,
): void {
  validateGraph(graph);
  const n = graph.nVariables;
  const nAdd = graph.addStart[graph.nFactors];
  const scratch: SparseMapOutputs = {
    u: new Float64Array(0), additionals: new Float64Array(0), info: new Float64Array(0),
    localInputs: new Float64Array(graph.varStart[graph.nFactors]),
    supportCount: new Int32Array(graph.nFactors),
    supportWeights: new Float64Array(graph.supportStart[graph.nFactors]),
    supportLabels: new Int32Array(graph.labelStart[graph.nFactors]),
  };
  for (let r = 0; r < rows; r++) {
    const out = {
      ...scratch,
      u: u.subarray(r * n, (r + 1) * n),
      additionals: additionals.subarray(r * nAdd, (r + 1) * nAdd),
      info: info.subarray(r * INFO_LENGTH, (r + 1) * INFO_LENGTH),
    };
    solveValidated(graph, unary.subarray(r * n, (r + 1) * n), additional, params, out);
  }
}

/** The distribution over structures of each factor that reports one (OROUT and active-set factors). */
function writeSupports(graph: FactorGraphData, model: Model, out: SparseMapOutputs): void {
  for (let f = 0; f < graph.nFactors; f++) {
    const capacity = graph.supportStart[f + 1] - graph.supportStart[f];
    out.supportCount[f] = model.factors[f].writeSupport(out.supportWeights, graph.supportStart[f], out.supportLabels, graph.labelStart[f], capacity);
  }
}

/**
 * Gradients through the solution: (gradUnary, gradAdditional) = H (gradU, gradAdditional) where H
 * is the (symmetric) Jacobian of (u, v) with respect to (eta, b). Active-set factors take the
 * distributions the solve reported (`supports`; a re-solve may end on another decomposition of the
 * same marginals), the others are re-solved at their final inputs to recover their faces; the
 * linearised problem is solved by the same ADMM.
 */
export function sparsemapBackward(
  graph: FactorGraphData, unary: Float64Array, additional: Float64Array, localInputs: Float64Array, localScale: number,
  supports: SparseMapSupports, gradU: Float64Array, gradAdditional: Float64Array, params: SparseMapParams, out: SparseMapGradOutputs,
): void {
  validateGraph(graph);
  const model = new Model(graph);
  const q = new Float64Array(model.nCopies);
  const v = new Float64Array(model.nAdd);
  model.solveLocal(localInputs, additional, localScale, q, v, params.maxActiveSetIter, supports);
  for (const factor of model.factors) factor.prepareJvp();
  const du = out.gradUnary;
  for (let i = 0; i < graph.nVariables; i++) du[i] = model.degree[i] === 0 && unary[i] > 0 && unary[i] < 1 ? gradU[i] : 0;
  const dv = out.gradAdditional;
  let result: AdmmResult;
  if (model.maxDegree <= 1) {
    const da = new Float64Array(model.nCopies);
    for (let j = 0; j < model.nCopies; j++) da[j] = gradU[graph.vars[j]];
    model.jvpLocal(da, gradAdditional, 1, q, dv);
    for (let j = 0; j < model.nCopies; j++) du[graph.vars[j]] = q[j];
    result = { status: SparseMapStatus.Converged, iterations: 1, primal: 0, dual: 0, rho: params.rhoInit, localScale: 1 };
  } else {
    const scratch = new Float64Array(model.nCopies);
    result = admm(model, gradU, params, du, scratch, (a, bScale, dq) => {
      model.jvpLocal(a, gradAdditional, bScale, dq, dv);
      return true;
    });
  }
  out.info[INFO_STATUS] = result.status;
  out.info[INFO_ITERATIONS] = result.iterations;
  out.info[INFO_PRIMAL] = result.primal;
  out.info[INFO_DUAL] = result.dual;
  out.info[INFO_RHO] = result.rho;
  out.info[INFO_LOCAL_SCALE] = result.localScale;
}

export function kSubsetsBatch(scores: Float64Array, rows: number, cols: number, k: number, out: Float64Array): void {
  for (let r = 0; r < rows; r++) cappedProjection(scores, r * cols, cols, null, 0, k, SumMode.Exact, out, r * cols);
}

/**
 * The selection QP's unary scores: halved (see SelectionOracle) and shifted so that the largest is
 * 0, which changes no selection of exactly k positions but makes ties at the top exact however
 * large the scores (halves first: the difference of two scores may overflow).
 */
function selectionScores(scores: Float64Array, off: number, cols: number, a: Float64Array): void {
  let largest = scores[off];
  for (let t = 1; t < cols; t++) largest = Math.max(largest, scores[off + t]);
  for (let t = 0; t < cols; t++) a[t] = 0.5 * scores[off + t] - 0.5 * largest;
}

export function sequentialKSubsetsBatch(
  scores: Float64Array, rows: number, cols: number, k: number, bonus: number, maxActiveSetIter: number, out: Float64Array, status: Uint8Array,
  _threads = 0, conjugate: Float64Array | null = null,
): void {
  // The 2-state SequenceBudget in its selected-state form (see SelectionOracle): scores / 2 (shifted), bonus / 2.
  const oracle = new SelectionOracle(cols, k);
  const a = new Float64Array(cols);
  const b = new Float64Array(oracle.nAdd).fill(0.5 * bonus);
  const v = new Float64Array(oracle.nAdd);
  for (let r = 0; r < rows; r++) {
    selectionScores(scores, r * cols, cols, a);
    const qp = new ActiveSetQP(oracle);
    const converged = qp.solve(a, 0, b, 0, maxActiveSetIter, out, r * cols, v, 0);
    status[r] = converged ? SparseMapStatus.Converged : SparseMapStatus.ActiveSetMaxIterations;
    if (conjugate) {
      // Twice the selection QP's optimum: <s, x> + bonus sum(v) - ||x||^2 (its gradient in s is x).
      let value = 0;
      for (let t = 0; t < cols; t++) value += (scores[r * cols + t] - out[r * cols + t]) * out[r * cols + t];
      for (let t = 0; t < oracle.nAdd; t++) value += bonus * v[t];
      conjugate[r] = value;
    }
  }
}

export function kSubsetsBackwardBatch(scores: Float64Array, rows: number, cols: number, k: number, grad: Float64Array, out: Float64Array): void {
  const x = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    cappedProjection(scores, r * cols, cols, null, 0, k, SumMode.Exact, x, 0);
    cappedProjectionJvp(x, 0, cols, null, 0, true, grad, r * cols, out, r * cols);
  }
}

export function sequentialKSubsetsBackwardBatch(
  scores: Float64Array, rows: number, cols: number, k: number, bonus: number, maxActiveSetIter: number,
  grad: Float64Array, out: Float64Array, status: Uint8Array,
): void {
  const oracle = new SelectionOracle(cols, k);
  const a = new Float64Array(cols);
  const b = new Float64Array(oracle.nAdd).fill(0.5 * bonus);
  const zeros = new Float64Array(oracle.nAdd);
  const x = new Float64Array(cols);
  const v = new Float64Array(oracle.nAdd);
  for (let r = 0; r < rows; r++) {
    selectionScores(scores, r * cols, cols, a);
    const qp = new ActiveSetQP(oracle);
    const converged = qp.solve(a, 0, b, 0, maxActiveSetIter, x, 0, v, 0);
    qp.prepareJvp();
    // The marginals are the selection QP's at scores / 2: the chain rule halves the Jacobian.
    qp.jvp(grad, r * cols, zeros, 0, out, r * cols, v, 0);
    for (let t = 0; t < cols; t++) out[r * cols + t] *= 0.5;
    status[r] = converged ? SparseMapStatus.Converged : SparseMapStatus.ActiveSetMaxIterations;
  }
}
