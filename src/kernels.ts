// The kernel interface that both backends implement: the native addon (native/addon) and the pure
// TypeScript twin (src/js). Kernels take already-validated typed arrays and fill caller-owned
// outputs; the public classes in src/hopfield do all checking and allocation.

export type BackendName = 'js' | 'native';

/** Integer Hebbian counts or real weights, row-major n x n. */
export type WeightArray = Int8Array | Int16Array | Int32Array | Float64Array;

export interface NetworkData {
  weights: WeightArray;
  /** The transpose; the same object when the weights are symmetric. */
  weightsT: WeightArray;
  /** Multiplies weights: 1/n for integer Hebbian counts, 1 for real weights. */
  scale: number;
  thresholds: Float64Array | null;
  n: number;
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
}

export interface RecallOutputs {
  states: Int8Array;
  sweeps: Int32Array;
  status: Uint8Array;
  cycleLength: Int32Array;
  /** count x (maxSweeps + 1) when energy is tracked; NaN after the last sweep. */
  energies: Float64Array;
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

export interface Kernels {
  binaryRecall(net: NetworkData, cues: Int8Array, count: number, params: RecallParams, out: RecallOutputs): void;
  binaryRecallAsync(net: NetworkData, cues: Int8Array, count: number, params: RecallParams, out: RecallOutputs): Promise<unknown>;
  binaryEnergy(net: NetworkData, state: Int8Array): number;
  /** Hebbian accumulates into integer counts; Storkey into real weights; pseudo-inverse overwrites them and returns the rank. */
  binaryStore(rule: StorageRuleCode, patterns: Int8Array, p: number, n: number, weights: WeightArray, zeroDiagonal: boolean): number;
  binaryStoreAsync(rule: StorageRuleCode, patterns: Int8Array, p: number, n: number, weights: WeightArray, zeroDiagonal: boolean): Promise<number>;
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
  lshnOneStepGrad(
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
  ): number;
}

export interface Backend extends Kernels {
  readonly name: BackendName;
}
