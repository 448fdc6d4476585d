// The kernel interface that both backends implement: the native addon (native/addon) and the pure
// TypeScript twin (src/js). Kernels take already-validated typed arrays and fill caller-owned
// outputs; the public classes in src/hopfield do all checking and allocation.

/** The two backends: the C++ addon and the pure TypeScript twin. */
export type BackendName = 'js' | 'native';

/** Integer Hebbian counts or real weights, row-major n x n. */
export type WeightArray = Int8Array | Int16Array | Int32Array | Float64Array;

/**
 * Largest |W_ij scale| and |U_i| a binary network takes (as FactorGraph bounds its scores): with
 * n < 2^31 neurons every field and energy is then below n^2 1e150 ~ 5e168 in magnitude, far from
 * overflow, so recall and energy stay finite in both backends.
 */
export const MAX_WEIGHT = 1e150;

export interface NetworkData {
  weights: WeightArray;
  /** The transpose; the same object when the weights are symmetric. */
  weightsT: WeightArray;
  /** Multiplies weights: 1/n for integer Hebbian counts, 1 for real weights. */
  scale: number;
  thresholds: Float64Array | null;
  n: number;
  /** Hebbian networks: the stored patterns neuron-major (n x patternCount), counts = X^T X - diagonalOffset I. */
  patternsT?: Int8Array | null;
  patternCount?: number;
  diagonalOffset?: number;
}

export enum RecallMode {
  Sync = 0,
  Async = 1,
  Stochastic = 2,
}

export enum RecallStatus {
  Converged = 0,
  Cycle = 1,
  MaxSweeps = 2,
}

export enum StorageRuleCode {
  Hebbian = 0,
  Storkey = 1,
  Pseudoinverse = 2,
}

export interface RecallParams {
  mode: RecallMode;
  maxSweeps: number;
  seed: number;
  temperature: number;
  trackEnergy: boolean;
  /** 0 = as many as the machine has. */
  threads: number;
  /** Compute fields from the pattern overlaps (needs network.patternsT); same results, faster when p << n. */
  patternFields: boolean;
  /** With patternFields: move to matrix fields once a sweep flips fewer than 2p neurons (same results). */
  matrixWhenSettled: boolean;
}

export interface RecallOutputs {
  states: Int8Array;
  sweeps: Int32Array;
  status: Uint8Array;
  cycleLength: Int32Array;
  /** count x (maxSweeps + 1) when energy is tracked; NaN after the last sweep. */
  energies: Float64Array;
}

/** Factor kinds of LP-SparseMAP graphs; IMPLY, XOROUT and ANDOUT are these with negated variables. */
export enum FactorKind {
  Xor = 0,
  AtMostOne = 1,
  Or = 2,
  Budget = 3,
  Knapsack = 4,
  Pair = 5,
  OrOut = 6,
  Sequence = 7,
  SequenceBudget = 8,
  Dense = 9,
  Tree = 10,
}

/**
 * A factor graph as flat arrays, the form both backends consume. Factor f covers
 * vars[varStart[f]..varStart[f+1]) (negated[j] = 1: the factor sees 1 - u), has integer parameters
 * ints[intStart[f]..], real parameters reals[realStart[f]..], and additional scores/marginals at
 * [addStart[f], addStart[f+1]) of the additional vector.
 */
export interface FactorGraphData {
  nVariables: number;
  nFactors: number;
  kinds: Int32Array;
  varStart: Int32Array;
  vars: Int32Array;
  negated: Uint8Array;
  intStart: Int32Array;
  ints: Int32Array;
  realStart: Int32Array;
  reals: Float64Array;
  addStart: Int32Array;
  /** Capacity offsets (nFactors + 1) of each factor's support in the support outputs, and of its labels. */
  supportStart: Int32Array;
  labelStart: Int32Array;
}

export interface SparseMapParams {
  maxIter: number;
  tol: number;
  rhoInit: number;
  adaptRho: boolean;
  maxActiveSetIter: number;
  /** 0: LP-SparseMAP (with -1/2 ||u||^2); 1: LP-MAP (the linear relaxation, no quadratic). */
  objective: number;
}

export enum SparseMapStatus {
  Converged = 0,
  MaxIterations = 1,
  /** ADMM converged but a factor's active-set QP stopped at its iteration cap. */
  ActiveSetMaxIterations = 2,
}

/**
 * Largest ratio between two costs of a Knapsack factor (kMaxCostRatio in native/core/sparsemap.hpp):
 * the solver scales costs so that the largest is near 1, and a score over the smallest must stay finite.
 */
export const MAX_COST_RATIO = 1e100;

/** info layout of solve outputs. */
export const INFO_STATUS = 0;
export const INFO_ITERATIONS = 1;
export const INFO_PRIMAL = 2;
export const INFO_DUAL = 3;
export const INFO_RHO = 4;
/** Scale applied to the additional scores in the final local problems (1/rho; 1 without ADMM). */
export const INFO_LOCAL_SCALE = 5;
export const INFO_LENGTH = 6;

export interface SparseMapOutputs {
  u: Float64Array;
  additionals: Float64Array;
  info: Float64Array;
  /** The final local problems' unary inputs per factor entry (u-space), for the backward pass. */
  localInputs: Float64Array;
  supportCount: Int32Array;
  supportWeights: Float64Array;
  supportLabels: Int32Array;
}

/** The distributions over structures a solve reported (SparseMapOutputs' support fields). */
export type SparseMapSupports = Pick<SparseMapOutputs, 'supportCount' | 'supportWeights' | 'supportLabels'>;

export interface SparseMapGradOutputs {
  gradUnary: Float64Array;
  gradAdditional: Float64Array;
  info: Float64Array;
}

/** A Linear -> GELU(exact) -> Linear -> tanh network; weights are out x in, row-major, float32. */
export interface LshnMlp {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  inDim: number;
  hidDim: number;
  outDim: number;
}

/** Arguments of the one-step gradient kernels: gradWih and gradWhh (n x n) are outputs. */
export type LshnGradArgs = [
  wih: Float64Array,
  whh: Float64Array,
  n: number,
  starts: Float64Array,
  inputs: Float64Array,
  targets: Float64Array,
  count: number,
  dt: number,
  gradWih: Float64Array,
  gradWhh: Float64Array,
];

export interface LshnDynamicsParams {
  dt: number;
  steps: number;
  /** Stop a row once max |v_new - v| <= tol (0: only at an exact fixed point). */
  tol: number;
  trackEnergy: boolean;
}

export interface LshnDynamicsOutputs {
  /** count x n final states in [-1, 1]. */
  states: Float64Array;
  /** count x (steps + 1) when energy is tracked; NaN after the row stopped. */
  energies: Float64Array;
  steps: Int32Array;
  converged: Uint8Array;
}
export enum TransformKind {
  Softmax = 0,
  Sparsemax = 1,
  Entmax = 2,
  Normmax = 3,
  KSubsets = 4,
}

export interface TransformParams {
  kind: TransformKind;
  /** alpha (Entmax), gamma (Normmax), k (KSubsets); ignored otherwise. */
  param: number;
  rows: number;
  cols: number;
  /** 0 = as many as the machine has. */
  threads: number;
}

/** Float storage of a transform's input and outputs (each row is computed in double). */
export type RealArray = Float32Array | Float64Array;

/** Transforms of Hopfield-Fenchel-Young memories: TransformKind's codes plus sequential k-subsets. */
export enum MemoryKind {
  Softmax = 0,
  Sparsemax = 1,
  Entmax = 2,
  Normmax = 3,
  KSubsets = 4,
  SequentialKSubsets = 5,
}

export enum MemoryStatus {
  Converged = 0,
  MaxIterations = 1,
  /** A sequential k-subsets QP stopped at its iteration cap on some update. */
  ActiveSetMaxIterations = 2,
}

export interface MemoryParams {
  kind: MemoryKind;
  /** alpha (Entmax), gamma (Normmax), k (KSubsets, SequentialKSubsets). */
  param: number;
  bonus: number;
  beta: number;
  maxIter: number;
  /** A row stops once max |q_new - q| <= tol * max(1, max |q|); 0 = only at an exact fixed point. */
  tol: number;
  supportThreshold: number;
  maxActiveSetIter: number;
  /** 0 = as many as the machine has. */
  threads: number;
}

/** Outputs of memoryRetrieve for `count` queries; states holds the queries on entry. */
export interface MemoryOutputs {
  states: RealArray;
  /** count x n: the p that produced each final state; null = not wanted. */
  weights: RealArray | null;
  support: Int32Array;
  iterations: Int32Array;
  status: Uint8Array;
  /** count x (maxIter + 1): E(q_0..q_iterations), then NaN; null = not computed. */
  energies: Float64Array | null;
  /** count x n, read: beta X q of the queries, taken for the first update instead of computed; null = computed. */
  firstScores: RealArray | null;
  /** memoryScratchLength(count, n) entries: room for a pass's scores and weights, reused by a caller running many blocks; null = allocated by the kernel. */
  scratch: RealArray | null;
  /** n x n, read: X X^T (memoryGram); a later pass then takes the scores of states with few weights (nnz * 32 <= d) from its rows; null = by the product. */
  gram: RealArray | null;
  /** n flags, with gram: row j holds X x_j where gramReady[j] !== 0; a pass computes the missing rows it needs and flags them (on demand); null = every row filled. */
  gramReady?: Uint8Array | null;
}

/** Entries of MemoryOutputs.scratch: two count x n regions, each 64-byte aligned natively (as native/core/memory.hpp). */
export function memoryScratchLength(count: number, n: number): number {
  return 2 * Math.ceil((count * n) / 16) * 16 + 16;
}

export interface Kernels {
  binaryRecall(net: NetworkData, cues: Int8Array, count: number, params: RecallParams, out: RecallOutputs): void;
  binaryRecallAsync(net: NetworkData, cues: Int8Array, count: number, params: RecallParams, out: RecallOutputs): Promise<unknown>;
  binaryEnergy(net: NetworkData, state: Int8Array): number;
  /** Hebbian accumulates into integer counts; Storkey into real weights; pseudo-inverse overwrites them and returns the rank. */
  binaryStore(rule: StorageRuleCode, patterns: Int8Array, p: number, n: number, weights: WeightArray, zeroDiagonal: boolean): number;
  binaryStoreAsync(rule: StorageRuleCode, patterns: Int8Array, p: number, n: number, weights: WeightArray, zeroDiagonal: boolean): Promise<number>;

  sparsemapSolve(graph: FactorGraphData, unary: Float64Array, additional: Float64Array, params: SparseMapParams, out: SparseMapOutputs): void;
  sparsemapSolveAsync(graph: FactorGraphData, unary: Float64Array, additional: Float64Array, params: SparseMapParams, out: SparseMapOutputs): Promise<unknown>;
  /** solve for each row of unary (rows x nVariables): u and additionals per row, info (rows x INFO_LENGTH). Rows run in parallel natively. */
  sparsemapSolveBatch(
    graph: FactorGraphData, unary: Float64Array, rows: number, additional: Float64Array, params: SparseMapParams,
    u: Float64Array, additionals: Float64Array, info: Float64Array, threads: number,
  ): void;
  sparsemapSolveBatchAsync(
    graph: FactorGraphData, unary: Float64Array, rows: number, additional: Float64Array, params: SparseMapParams,
    u: Float64Array, additionals: Float64Array, info: Float64Array, threads: number,
  ): Promise<unknown>;
  /** Hessian-vector product of the optimal value at the solved point: gradients of a loss through (u, additionals). */
  sparsemapBackward(
    graph: FactorGraphData, unary: Float64Array, additional: Float64Array, localInputs: Float64Array, localScale: number,
    supports: SparseMapSupports, gradU: Float64Array, gradAdditional: Float64Array, params: SparseMapParams, out: SparseMapGradOutputs,
  ): void;
  /** Each row of scores (rows x cols) projected on {u in [0,1]^cols, sum u = k}. */
  kSubsetsBatch(scores: Float64Array, rows: number, cols: number, k: number, out: Float64Array, threads: number): void;
  /** Each row: 2-state SequenceBudget marginals of the selected state (exactly k selected, bonus on selected->selected). */
  sequentialKSubsetsBatch(
    scores: Float64Array, rows: number, cols: number, k: number, bonus: number, maxActiveSetIter: number,
    out: Float64Array, status: Uint8Array, threads: number,
  ): void;
  kSubsetsBatchAsync(scores: Float64Array, rows: number, cols: number, k: number, out: Float64Array, threads: number): Promise<unknown>;
  sequentialKSubsetsBatchAsync(
    scores: Float64Array, rows: number, cols: number, k: number, bonus: number, maxActiveSetIter: number,
    out: Float64Array, status: Uint8Array, threads: number,
  ): Promise<unknown>;
  /** Per row: grad (rows x cols) times the (symmetric) Jacobian of kSubsetsBatch's marginals with respect to the scores. */
  kSubsetsBackwardBatch(scores: Float64Array, rows: number, cols: number, k: number, grad: Float64Array, out: Float64Array, threads: number): void;
  /** Per row: grad times the Jacobian of sequentialKSubsetsBatch's marginals with respect to the scores. */
  sequentialKSubsetsBackwardBatch(
    scores: Float64Array, rows: number, cols: number, k: number, bonus: number, maxActiveSetIter: number,
    grad: Float64Array, out: Float64Array, status: Uint8Array, threads: number,
  ): void;
  /** Runs the MLP on `count` rows of `input` (count x inDim) into `out` (count x outDim); float64 accumulation. */
  lshnMlp(mlp: LshnMlp, input: Float64Array, count: number, out: Float64Array): void;
  lshnMlpAsync(mlp: LshnMlp, input: Float64Array, count: number, out: Float64Array): Promise<unknown>;
  /** Latent attractor dynamics from v0 = input code, per row (see src/js/lshn.ts). */
  lshnDynamics(wih: Float32Array, whh: Float32Array, n: number, inputs: Float64Array, count: number, params: LshnDynamicsParams, out: LshnDynamicsOutputs): void;
  lshnDynamicsAsync(
    wih: Float32Array,
    whh: Float32Array,
    n: number,
    inputs: Float64Array,
    count: number,
    params: LshnDynamicsParams,
    out: LshnDynamicsOutputs,
  ): Promise<unknown>;
  /** One-step loss and its gradients with respect to W_ih and W_hh (see src/js/lshn.ts). */
  lshnOneStepGrad(...args: LshnGradArgs): number;
  /** lshnOneStepGrad on the libuv pool (native) or after the current turn (js); resolves with the loss. */
  lshnOneStepGradAsync(...args: LshnGradArgs): Promise<number>;
  /** out = yhat(x) per row; support[row] = nonzeros; conjugate[row] = Omega*(x row). x, out share one element type. */
  transformForward(params: TransformParams, x: RealArray, out: RealArray, support: Int32Array | null, conjugate: Float64Array | null): void;
  transformForwardAsync(params: TransformParams, x: RealArray, out: RealArray, support: Int32Array | null, conjugate: Float64Array | null): Promise<unknown>;
  /** out = J(x) v per row. */
  transformJvp(params: TransformParams, x: RealArray, v: RealArray, out: RealArray): void;
  /** out = d yhat / d alpha per row (Entmax, alpha > 1). */
  transformAlphaGradient(params: TransformParams, x: RealArray, out: RealArray): void;
  /** Hopfield memory updates q <- X^T yhat(beta X q) for `count` queries; patterns (n x d) share the states' element type. */
  memoryRetrieve(patterns: RealArray, n: number, d: number, count: number, params: MemoryParams, out: MemoryOutputs): void;
  memoryRetrieveAsync(patterns: RealArray, n: number, d: number, count: number, params: MemoryParams, out: MemoryOutputs): Promise<unknown>;
  /** out (rows x n) = scale * queries X^T, queries rows x d. */
  memoryScores(queries: RealArray, rows: number, patterns: RealArray, n: number, d: number, scale: number, out: RealArray, threads: number): void;
  /** out (n x n) = X X^T, the Gram matrix of the patterns. */
  memoryGram(patterns: RealArray, n: number, d: number, out: RealArray, threads: number): void;
  /** The index of the first NaN or infinite entry, or -1. */
  memoryFirstNonFinite(data: RealArray, threads: number): number;
}

/** A backend: its name and its kernels. */
export interface Backend extends Kernels {
  readonly name: BackendName;
}
