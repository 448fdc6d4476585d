// Storing memories in a trained latent space: the Hebbian-latent baseline and gradient training of
// the attractor weights (W_ih, W_hh) from given latent codes, with W_hh kept exactly symmetric.
import { getBackend } from '../backend';
import type { BackendName } from '../kernels';
import { checkAllocation } from '../limits';
import { Rng } from '../rng';
import { checkBoolean, checkFinite, checkInteger, checkOptions, optionKeys, checkPositive, checkSeed, describe, Matrix, Rows } from '../validate';
import { AdamW } from '../optim';
import { toFiniteRows } from './model';

const HEBBIAN_KEYS = optionKeys<HebbianLatentOptions>()('binarize', 'centre', 'scale');
const TRAIN_KEYS = optionKeys<TrainAttractorOptions>()('dt', 'epochs', 'learningRate', 'weightDecay', 'noise', 'seed', 'cues', 'init', 'backend');

function codeRows(codes: Rows, name = 'codes', width?: number): Matrix<Float64Array> {
  const m = toFiniteRows(codes, name, width);
  for (let i = 0; i < m.data.length; i++) {
    if (m.data[i] < -1 || m.data[i] > 1) throw new RangeError(`${name}[${Math.floor(i / m.cols)}][${i % m.cols}] must lie in [-1, 1], got ${m.data[i]}`);
  }
  return m;
}

/**
 * Options of {@link hebbianLatent}.
 */
export interface HebbianLatentOptions {
  /** Use sign(code) instead of the code (default false). */
  binarize?: boolean;
  /** Subtract the mean code first (a covariance rule; default false). */
  centre?: boolean;
  /** Multiplies sum_mu c c' (default 1 / (p N), with which the published model scores about 0.64). */
  scale?: number;
}

/**
 * W_hh = scale * sum_mu c_mu c_mu' over the p rows of `codes` (N columns); symmetric N x N.
 *
 * @example
 * ```ts
 * const whh = hebbianLatent(model.encode(images));
 * const baseline = model.withLatentWeights({ whh });
 * ```
 */
export function hebbianLatent(codes: Rows, options: HebbianLatentOptions = {}): Float64Array {
  const c = codeRows(codes);
  const opts = checkOptions(options, 'options', HEBBIAN_KEYS);
  const binarize = opts.binarize === undefined ? false : checkBoolean(opts.binarize, 'options.binarize');
  const centre = opts.centre === undefined ? false : checkBoolean(opts.centre, 'options.centre');
  const scale = opts.scale === undefined ? 1 / (c.rows * c.cols) : checkFinite(opts.scale, 'options.scale');
  const n = c.cols;
  checkAllocation('Hebbian weights', n * n, 8);
  const x = binarize ? c.data.map((v) => (v >= 0 ? 1 : -1)) : c.data;
  const mean = new Float64Array(n);
  if (centre) for (let r = 0; r < c.rows; r++) for (let i = 0; i < n; i++) mean[i] += x[r * n + i] / c.rows;
  const w = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (let r = 0; r < c.rows; r++) {
    for (let i = 0; i < n; i++) row[i] = x[r * n + i] - mean[i];
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) w[i * n + j] += row[i] * row[j];
  }
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      w[i * n + j] *= scale;
      w[j * n + i] = w[i * n + j];
    }
  }
  return w;
}

/**
 * Options of {@link trainAttractor}.
 */
export interface TrainAttractorOptions {
  /** Step size of the dynamics the weights are trained for (default 0.1). */
  dt?: number;
  /** Full-batch AdamW iterations (default 300). */
  epochs?: number;
  learningRate?: number;
  weightDecay?: number;
  /** Standard deviation of the latent noise added to the cues each epoch (default 0.3). */
  noise?: number;
  seed?: number;
  /**
   * Extra cues with the memory each should recall, e.g. codes of corrupted versions of the images:
   * rows of `codes` (N columns, in [-1, 1]) and, per row, the index of its memory.
   */
  cues?: { codes: Rows; memory: ArrayLike<number> };
  /** Starting weights (default: zeros). W_hh must be symmetric. */
  init?: { wih: ArrayLike<number>; whh: ArrayLike<number> };
  backend?: BackendName;
}

/**
 * What {@link trainAttractor} returns.
 */
export interface TrainAttractorResult {
  wih: Float64Array;
  whh: Float64Array;
  /** The one-step loss at each epoch (before its update). */
  losses: Float64Array;
}

/** Validated inputs and the state of a training run; each epoch is drawCues, the gradient kernel, update. */
function prepareTraining(codes: Rows, options: TrainAttractorOptions) {
  const c = codeRows(codes);
  const opts = checkOptions(options, 'options', TRAIN_KEYS);
  const dt = opts.dt === undefined ? 0.1 : checkPositive(opts.dt, 'options.dt');
  // Each gradient entry is a mean of dt (clip - s) v terms, at most 2 dt; AdamW squares it.
  if (!Number.isFinite((2 * dt) ** 2)) throw new RangeError(`options.dt must be at most ${Math.sqrt(Number.MAX_VALUE) / 2} (the gradient, up to 2 dt, is squared), got ${dt}`);
  const epochs = opts.epochs === undefined ? 300 : checkInteger(opts.epochs, 'options.epochs', 0, 1e7);
  const lr = opts.learningRate === undefined ? 0.01 : checkPositive(opts.learningRate, 'options.learningRate');
  const decay = opts.weightDecay === undefined ? 1e-4 : checkFinite(opts.weightDecay, 'options.weightDecay');
  if (decay < 0) throw new RangeError(`options.weightDecay must be >= 0, got ${decay}`);
  const noise = opts.noise === undefined ? 0.3 : checkFinite(opts.noise, 'options.noise');
  if (noise < 0) throw new RangeError(`options.noise must be >= 0, got ${noise}`);
  const seed = opts.seed === undefined ? 0 : checkSeed(opts.seed, 'options.seed');
  const kernels = getBackend(opts.backend as BackendName | undefined);
  const n = c.cols;
  const p = c.rows;

  checkAllocation(`attractor weights of ${n} latents`, n * n, 8);
  const wih = new Float64Array(n * n);
  const whh = new Float64Array(n * n);
  if (opts.init !== undefined) {
    const init = checkOptions(opts.init, 'options.init') as { wih: unknown; whh: unknown };
    wih.set(toFiniteRows({ data: init.wih as ArrayLike<number>, rows: n, cols: n }, 'options.init.wih', n).data);
    whh.set(toFiniteRows({ data: init.whh as ArrayLike<number>, rows: n, cols: n }, 'options.init.whh', n).data);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        if (whh[i * n + j] !== whh[j * n + i]) throw new RangeError('options.init.whh must be symmetric');
      }
    }
  }

  // Sample k < q is a cue of memory owner[k]: the first p are noisy copies of the memories (redrawn
  // each epoch), the rest the given cues. Rows k use v = cue, rows q + k use v = s.
  let extra: Matrix<Float64Array> = { data: new Float64Array(0), rows: 0, cols: n };
  let extraOwner: ArrayLike<number> = [];
  if (opts.cues !== undefined) {
    const cues = checkOptions(opts.cues, 'options.cues') as { codes: Rows; memory: ArrayLike<number> };
    extra = codeRows(cues.codes, 'options.cues.codes', n);
    extraOwner = cues.memory;
    if (extraOwner === null || typeof extraOwner !== 'object' || extraOwner.length !== extra.rows) {
      throw new TypeError(`options.cues.memory must be an array of ${extra.rows} memory indices`);
    }
    for (let k = 0; k < extra.rows; k++) checkInteger(extraOwner[k], `options.cues.memory[${k}]`, 0, p - 1);
  }
  const q = p + extra.rows;
  const count = 2 * q;
  checkAllocation('training samples', count * n, 8 * 3);
  const owner = new Int32Array(q);
  for (let k = 0; k < q; k++) owner[k] = k < p ? k : extraOwner[k - p];
  const starts = new Float64Array(count * n);
  const inputs = new Float64Array(count * n);
  const targets = new Float64Array(count * n);
  for (let k = 0; k < q; k++) {
    for (let i = 0; i < n; i++) {
      const s = c.data[owner[k] * n + i] >= 0 ? 1 : -1;
      targets[k * n + i] = s;
      targets[(q + k) * n + i] = s;
      starts[(q + k) * n + i] = s;
      if (k >= p) {
        const cue = extra.data[(k - p) * n + i];
        inputs[k * n + i] = cue;
        inputs[(q + k) * n + i] = cue;
        starts[k * n + i] = cue;
      }
    }
  }
  const gradWih = new Float64Array(n * n);
  const gradWhh = new Float64Array(n * n);
  const adam = new AdamW([wih, whh], { learningRate: lr, weightDecay: decay });
  const losses = new Float64Array(epochs);
  const rng = new Rng(seed);
  const gradArgs = [wih, whh, n, starts, inputs, targets, count, dt, gradWih, gradWhh] as const;
  /** Fresh latent noise on the memories' cues. */
  const drawCues = (): void => {
    for (let k = 0; k < p * n; k++) {
      const cue = Math.max(-1, Math.min(1, c.data[k] + noise * rng.normal()));
      inputs[k] = cue;
      inputs[q * n + k] = cue;
      starts[k] = cue;
    }
  };
  /** Symmetrises W_hh's gradient (so W_hh stays exactly symmetric) and takes the AdamW steps. */
  const update = (epoch: number, loss: number): void => {
    losses[epoch] = loss;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const g = (gradWhh[i * n + j] + gradWhh[j * n + i]) / 2;
        gradWhh[i * n + j] = g;
        gradWhh[j * n + i] = g;
      }
    }
    adam.step([gradWih, gradWhh]);
  };
  return { epochs, kernels, gradArgs, drawCues, update, result: { wih, whh, losses } as TrainAttractorResult };
}

/**
 * Trains W_ih and W_hh so that each stored code's sign pattern s = sign(c) attracts noisy cues
 * I = clip(c + noise), minimising the one-step loss 1/(2m) sum ||clip(v + dt (W_ih I + W_hh v)) - s||^2
 * over two kinds of samples per cue: v = I (move towards s) and v = s (stay at s). The cues are noisy
 * copies of the codes plus any given in options.cues.
 * The gradient is closed-form (backend kernel lshnOneStepGrad); W_hh's gradient is symmetrised, so
 * AdamW keeps W_hh exactly symmetric.
 *
 * @example
 * ```ts
 * const codes = model.encode(myImages);
 * const { wih, whh, losses } = trainAttractor(codes, { epochs: 300, learningRate: 0.01, seed: 1 });
 * const mine = model.withLatentWeights({ wih, whh });
 * ```
 */
export function trainAttractor(codes: Rows, options: TrainAttractorOptions = {}): TrainAttractorResult {
  const run = prepareTraining(codes, options);
  for (let epoch = 0; epoch < run.epochs; epoch++) {
    run.drawCues();
    run.update(epoch, run.kernels.lshnOneStepGrad(...run.gradArgs));
  }
  return run.result;
}

/**
 * Options of {@link trainAttractorAsync}.
 */
export interface TrainAttractorAsyncOptions extends TrainAttractorOptions {
  /** Called after each epoch with the epochs done, the total and that epoch's loss. */
  onProgress?: (done: number, epochs: number, loss: number) => void;
}

/**
 * {@link trainAttractor} without blocking the event loop: each epoch's gradient runs on the libuv
 * thread pool (native backend) or in its own event-loop turn (js), and the result is identical to
 * trainAttractor's for the same inputs and seed.
 *
 * @example
 * ```ts
 * const { wih, whh } = await trainAttractorAsync(model.encode(myImages), {
 *   epochs: 1000,
 *   seed: 1,
 *   onProgress: (done, epochs, loss) => console.log(`${done}/${epochs}: ${loss}`),
 * });
 * ```
 */
export async function trainAttractorAsync(codes: Rows, options: TrainAttractorAsyncOptions = {}): Promise<TrainAttractorResult> {
  const { onProgress, ...rest } = checkOptions(options, 'options', [...TRAIN_KEYS, 'onProgress']) as TrainAttractorAsyncOptions;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TypeError(`options.onProgress must be a function, got ${describe(onProgress)}`);
  }
  const run = prepareTraining(codes, rest);
  for (let epoch = 0; epoch < run.epochs; epoch++) {
    run.drawCues();
    const loss = await run.kernels.lshnOneStepGradAsync(...run.gradArgs);
    run.update(epoch, loss);
    onProgress?.(epoch + 1, run.epochs, loss);
  }
  return run.result;
}
