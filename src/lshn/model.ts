// Latent Hopfield network (LSHN, SPEC.md section 5): an autoencoder whose latent space carries
// continuous attractor dynamics. Weights are kept as float32 (as published); both backends
// accumulate in float64 and return float64 codes, states and images.
import { getBackend } from '../backend';
import type { Backend, BackendName, LshnMlp } from '../kernels';
import { checkAllocation, checkedFloat64Array } from '../limits';
import { writeFileAtomic } from '../io/files';
import { readSafetensors, readSafetensorsFile, requireFloatTensor, SafetensorsError, writeSafetensors } from '../io/safetensors';
import { checkBoolean, checkInteger, checkOptions, checkPositive, describe, isArrayLikeOfNumbers, Matrix, optionKeys, Rows, toFiniteRealRows } from '../validate';

const DYNAMICS_KEYS = optionKeys<DynamicsOptions>()('dt', 'steps', 'tol', 'trackEnergy');

/**
 * The tensors of a latent Hopfield model (float32, weights out x in).
 */
export interface LatentHopfieldWeights {
  /** Encoder Linear(D,H) and Linear(H,N), decoder Linear(N,H) and Linear(H,D); weights out x in. */
  encoder: { w1: ArrayLike<number>; b1: ArrayLike<number>; w2: ArrayLike<number>; b2: ArrayLike<number> };
  decoder: { w1: ArrayLike<number>; b1: ArrayLike<number>; w2: ArrayLike<number>; b2: ArrayLike<number> };
  /** N x N input and (symmetric) recurrent latent weights. */
  wih: ArrayLike<number>;
  whh: ArrayLike<number>;
  inputDim: number;
  hiddenDim: number;
  latentDim: number;
}

/**
 * Options of {@link LatentHopfield} constructors.
 */
export interface LatentHopfieldOptions {
  backend?: BackendName;
}

const LATENT_OPTION_KEYS = optionKeys<LatentHopfieldOptions>()('backend');

/**
 * Options of {@link LatentHopfield.dynamics}.
 */
export interface DynamicsOptions {
  /** Step size (default 0.1). */
  dt?: number;
  /** Most steps (default 1000). */
  steps?: number;
  /** A row stops once max |v_new - v| <= tol (default 0: only at an exact fixed point). */
  tol?: number;
  /** Record the energy before each step (default true). */
  trackEnergy?: boolean;
}

/**
 * What {@link LatentHopfield.dynamics} returns.
 */
export interface DynamicsResult {
  /** Final continuous states, count x N. */
  states: Matrix<Float64Array>;
  /** sign(states) with sign(0) = +1, count x N. */
  signs: Matrix<Float64Array>;
  /** count x (steps + 1) energies, NaN after a row stopped; null when not tracked. */
  energies: Matrix<Float64Array> | null;
  steps: Int32Array;
  converged: boolean[];
}

/**
 * Options of {@link LatentHopfield.recall}.
 */
export interface RecallOptions extends DynamicsOptions {
  /** Run the latent dynamics (default true); false decodes the cue's own code. */
  dynamics?: boolean;
}

/**
 * What {@link LatentHopfield.recall} returns.
 */
export interface RecallResult {
  images: Matrix<Float64Array>;
  codes: Matrix<Float64Array>;
  dynamics: DynamicsResult | null;
}

function floatCopy(value: ArrayLike<number>, name: string, length: number): Float32Array {
  if (value === null || typeof value !== 'object' || typeof value.length !== 'number') {
    throw new TypeError(`${name} must be an array or typed array of numbers, got ${describe(value)}`);
  }
  if (value.length !== length) throw new RangeError(`${name} must have ${length} entries, got ${value.length}`);
  const out = Float32Array.from(value);
  for (let i = 0; i < length; i++) {
    if (!Number.isFinite(out[i])) throw new RangeError(`${name}[${i}] must be finite (as float32), got ${value[i]}`);
  }
  return out;
}

function mlpFrom(part: LatentHopfieldWeights['encoder'], name: string, inDim: number, hidDim: number, outDim: number): LshnMlp {
  if (part === undefined) throw new TypeError(`${name} must be an object with w1, b1, w2 and b2, got undefined`);
  checkOptions(part, name);
  return {
    w1: floatCopy(part.w1, `${name}.w1`, hidDim * inDim),
    b1: floatCopy(part.b1, `${name}.b1`, hidDim),
    w2: floatCopy(part.w2, `${name}.w2`, outDim * hidDim),
    b2: floatCopy(part.b2, `${name}.b2`, outDim),
    inDim,
    hidDim,
    outDim,
  };
}

/** W_ih and the symmetric W_hh (n x n) as float32 copies; errors name them `${owner}.wih` and `${owner}.whh`. */
function latentPair(wih: unknown, whh: unknown, n: number, owner: string): { wih: Float32Array; whh: Float32Array } {
  const w = floatCopy(wih as ArrayLike<number>, `${owner}.wih`, n * n);
  const h = floatCopy(whh as ArrayLike<number>, `${owner}.whh`, n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (h[i * n + j] !== h[j * n + i]) throw new RangeError(`${owner}.whh must be symmetric (entries [${i}][${j}] and [${j}][${i}] differ)`);
    }
  }
  return { wih: w, whh: h };
}

/** Rows of finite numbers as one Float64Array, with `cols` columns when given (else the first row's). */
export function toFiniteRows(value: unknown, name: string, cols?: number): Matrix<Float64Array> {
  return toFiniteRealRows(value, name, cols);
}

/**
 * A latent structured Hopfield network (SPEC.md section 5): encoder, attractor dynamics in the latent space, decoder.
 *
 * @example
 * ```ts
 * const model = LatentHopfield.fromSafetensors('mnist-n128-p100.safetensors');
 * const images = scalePixels(readIdxFile('train-images-idx3-ubyte', 100).data, 784);
 * const { images: recalled } = model.recall(corrupt.halfMask(images), { dynamics: true });
 * retrievalAccuracy(recalled, images); // 0.98
 * ```
 */
export class LatentHopfield {
  /** Pixels per image D. */
  readonly inputDim: number;
  /** Width H of the encoder's and decoder's hidden layer. */
  readonly hiddenDim: number;
  /** Latent neurons N. */
  readonly latentDim: number;
  /** The backend its kernels run on. */
  readonly backend: BackendName;
  private readonly kernels: Backend;
  private readonly encoder: LshnMlp;
  private readonly decoder: LshnMlp;
  private readonly wihF32: Float32Array;
  private readonly whhF32: Float32Array;

  constructor(weights: LatentHopfieldWeights, options: LatentHopfieldOptions = {}) {
    if (weights === undefined) throw new TypeError('weights must be an object of tensors and sizes, got undefined');
    checkOptions(weights, 'weights');
    const opts = checkOptions(options, 'options', LATENT_OPTION_KEYS);
    const d = checkInteger(weights.inputDim, 'weights.inputDim', 1);
    const h = checkInteger(weights.hiddenDim, 'weights.hiddenDim', 1);
    const n = checkInteger(weights.latentDim, 'weights.latentDim', 1);
    checkAllocation('LatentHopfield weights', 2 * d * h + 2 * h * n + 2 * n * n, 4);
    this.kernels = getBackend(opts.backend as BackendName | undefined);
    this.backend = this.kernels.name;
    this.inputDim = d;
    this.hiddenDim = h;
    this.latentDim = n;
    this.encoder = mlpFrom(weights.encoder, 'weights.encoder', d, h, n);
    this.decoder = mlpFrom(weights.decoder, 'weights.decoder', n, h, d);
    ({ wih: this.wihF32, whh: this.whhF32 } = latentPair(weights.wih, weights.whh, n, 'weights'));
  }

  /**
   * Loads a model saved with tensors encoder.0/1.{weight,bias}, decoder.0/1.{weight,bias},
   * latent.w_ih and latent.w_hh (PyTorch layout, out x in). Sizes are read from the tensors.
   */
  static fromSafetensors(source: string | Uint8Array, options: LatentHopfieldOptions = {}): LatentHopfield {
    const file =
      typeof source === 'string' ? readSafetensorsFile(source) : source instanceof Uint8Array ? readSafetensors(source) : null;
    if (!file) throw new TypeError(`source must be a path or a Buffer/Uint8Array, got ${describe(source)}`);
    const first = file.tensors.get('encoder.0.weight');
    const second = file.tensors.get('encoder.1.weight');
    if (!first || first.shape.length !== 2) throw new SafetensorsError("safetensors file needs a 2-D tensor 'encoder.0.weight'");
    if (!second || second.shape.length !== 2) throw new SafetensorsError("safetensors file needs a 2-D tensor 'encoder.1.weight'");
    const [h, d] = first.shape;
    const n = second.shape[0];
    const t = (name: string, shape: number[]) => requireFloatTensor(file, name, shape);
    return new LatentHopfield(
      {
        encoder: { w1: t('encoder.0.weight', [h, d]), b1: t('encoder.0.bias', [h]), w2: t('encoder.1.weight', [n, h]), b2: t('encoder.1.bias', [n]) },
        decoder: { w1: t('decoder.0.weight', [h, n]), b1: t('decoder.0.bias', [h]), w2: t('decoder.1.weight', [d, h]), b2: t('decoder.1.bias', [d]) },
        wih: t('latent.w_ih', [n, n]),
        whh: t('latent.w_hh', [n, n]),
        inputDim: d,
        hiddenDim: h,
        latentDim: n,
      },
      options,
    );
  }

  /** The model in the safetensors layout fromSafetensors reads (float32, PyTorch names and layout). */
  toSafetensors(metadata: Record<string, string> = {}): Buffer {
    const { inputDim: d, hiddenDim: h, latentDim: n } = this;
    const f32 = (data: Float32Array, shape: number[]) => ({ dtype: 'F32' as const, shape, data });
    return writeSafetensors(
      {
        'encoder.0.weight': f32(this.encoder.w1, [h, d]),
        'encoder.0.bias': f32(this.encoder.b1, [h]),
        'encoder.1.weight': f32(this.encoder.w2, [n, h]),
        'encoder.1.bias': f32(this.encoder.b2, [n]),
        'decoder.0.weight': f32(this.decoder.w1, [h, n]),
        'decoder.0.bias': f32(this.decoder.b1, [h]),
        'decoder.1.weight': f32(this.decoder.w2, [d, h]),
        'decoder.1.bias': f32(this.decoder.b2, [d]),
        'latent.w_ih': f32(this.wihF32, [n, n]),
        'latent.w_hh': f32(this.whhF32, [n, n]),
      },
      metadata,
    );
  }

  /** Writes toSafetensors() atomically (temporary file, fsync, rename). */
  save(path: string, metadata: Record<string, string> = {}): void {
    writeFileAtomic(path, this.toSafetensors(metadata));
  }

  /** The latent weights as float64 copies (row-major N x N). */
  latentWeights(): { wih: Float64Array; whh: Float64Array } {
    return { wih: Float64Array.from(this.wihF32), whh: Float64Array.from(this.whhF32) };
  }

  /** The same encoder and decoder with other latent weights (e.g. trained or Hebbian); W_hh must be symmetric. */
  withLatentWeights(latent: { wih?: ArrayLike<number>; whh: ArrayLike<number> }, options: LatentHopfieldOptions = {}): LatentHopfield {
    if (latent === undefined) throw new TypeError('latent must be an object { wih?, whh }, got undefined');
    // Other keys are allowed: a trainAttractor result { wih, whh, losses } is passed as it is.
    const l = checkOptions(latent, 'latent');
    const opts = checkOptions(options, 'options', LATENT_OPTION_KEYS);
    const { wih, whh } = latentPair(l.wih ?? this.wihF32, l.whh, this.latentDim, 'latent');
    return new LatentHopfield(
      {
        encoder: this.encoder,
        decoder: this.decoder,
        wih,
        whh,
        inputDim: this.inputDim,
        hiddenDim: this.hiddenDim,
        latentDim: this.latentDim,
      },
      { backend: (opts.backend as BackendName | undefined) ?? this.backend },
    );
  }

  /** Latent codes in (-1, 1) of images with pixels scaled to [-1, 1] (rows x inputDim). */
  encode(images: Rows): Matrix<Float64Array> {
    return this.runMlp(this.encoder, toFiniteRows(images, 'images', this.inputDim));
  }

  /** encode on the libuv pool (native) or after the current turn (js). */
  async encodeAsync(images: Rows): Promise<Matrix<Float64Array>> {
    return this.runMlpAsync(this.encoder, toFiniteRows(images, 'images', this.inputDim));
  }

  /** Images in (-1, 1) from latent codes (rows x latentDim). */
  decode(codes: Rows): Matrix<Float64Array> {
    return this.runMlp(this.decoder, toFiniteRows(codes, 'codes', this.latentDim));
  }

  /** decode on the libuv pool (native) or after the current turn (js). */
  async decodeAsync(codes: Rows): Promise<Matrix<Float64Array>> {
    return this.runMlpAsync(this.decoder, toFiniteRows(codes, 'codes', this.latentDim));
  }

  /** Runs v <- clip(v + dt (W_ih I + W_hh v), -1, 1) from v0 = I for each row I of `codes`. */
  dynamics(codes: Rows, options: DynamicsOptions = {}): DynamicsResult {
    const job = this.prepareDynamics(codes, options);
    this.kernels.lshnDynamics(this.wihF32, this.whhF32, this.latentDim, job.input.data, job.input.rows, job.params, job.out);
    return job.finish();
  }

  /** dynamics on the libuv pool (native) or after the current turn (js); same result. */
  async dynamicsAsync(codes: Rows, options: DynamicsOptions = {}): Promise<DynamicsResult> {
    const job = this.prepareDynamics(codes, options);
    await this.kernels.lshnDynamicsAsync(this.wihF32, this.whhF32, this.latentDim, job.input.data, job.input.rows, job.params, job.out);
    return job.finish();
  }

  /** Encode, run the dynamics, read out sign(v) and decode (SPEC.md evaluation protocol). */
  recall(images: Rows, options: RecallOptions = {}): RecallResult {
    const { useDynamics, dynamicsOptions } = recallOptions(options);
    const codes = this.encode(images);
    if (!useDynamics) return { images: this.decode(codes), codes, dynamics: null };
    const result = this.dynamics(codes, dynamicsOptions);
    return { images: this.decode(result.signs), codes, dynamics: result };
  }

  /** recall with every step (encode, dynamics, decode) off the main thread; same result. */
  async recallAsync(images: Rows, options: RecallOptions = {}): Promise<RecallResult> {
    const { useDynamics, dynamicsOptions } = recallOptions(options);
    const codes = await this.encodeAsync(images);
    if (!useDynamics) return { images: await this.decodeAsync(codes), codes, dynamics: null };
    const result = await this.dynamicsAsync(codes, dynamicsOptions);
    return { images: await this.decodeAsync(result.signs), codes, dynamics: result };
  }

  private prepareDynamics(codes: Rows, options: DynamicsOptions) {
    const input = toFiniteRows(codes, 'codes', this.latentDim);
    const opts = checkOptions(options, 'options', DYNAMICS_KEYS);
    const dt = opts.dt === undefined ? 0.1 : checkPositive(opts.dt, 'options.dt');
    const steps = opts.steps === undefined ? 1000 : checkInteger(opts.steps, 'options.steps', 0, 1e9);
    const tol = opts.tol === undefined ? 0 : checkNonNegative(opts.tol, 'options.tol');
    const trackEnergy = opts.trackEnergy === undefined ? true : checkBoolean(opts.trackEnergy, 'options.trackEnergy');
    for (let i = 0; i < input.data.length; i++) {
      if (input.data[i] < -1 || input.data[i] > 1) {
        throw new RangeError(`codes[${Math.floor(i / this.latentDim)}][${i % this.latentDim}] must lie in [-1, 1], got ${input.data[i]}`);
      }
    }
    const count = input.rows;
    const n = this.latentDim;
    checkAllocation('dynamics states', count * n, 8);
    if (trackEnergy) checkAllocation('energy trace', count * (steps + 1), 8);
    const out = {
      states: new Float64Array(count * n),
      energies: new Float64Array(trackEnergy ? count * (steps + 1) : 0),
      steps: new Int32Array(count),
      converged: new Uint8Array(count),
    };
    const finish = (): DynamicsResult => ({
      states: { data: out.states, rows: count, cols: n },
      signs: { data: out.states.map((v) => (v >= 0 ? 1 : -1)), rows: count, cols: n },
      energies: trackEnergy ? { data: out.energies, rows: count, cols: steps + 1 } : null,
      steps: out.steps,
      converged: Array.from(out.converged, (c) => c === 1),
    });
    return { input, params: { dt, steps, tol, trackEnergy }, out, finish };
  }

  private prepareMlp(mlp: LshnMlp, x: Matrix<Float64Array>): Matrix<Float64Array> {
    checkAllocation('MLP output', x.rows * mlp.outDim, 8);
    return { data: new Float64Array(x.rows * mlp.outDim), rows: x.rows, cols: mlp.outDim };
  }

  private runMlp(mlp: LshnMlp, x: Matrix<Float64Array>): Matrix<Float64Array> {
    const out = this.prepareMlp(mlp, x);
    this.kernels.lshnMlp(mlp, x.data, x.rows, out.data);
    return out;
  }

  private async runMlpAsync(mlp: LshnMlp, x: Matrix<Float64Array>): Promise<Matrix<Float64Array>> {
    const out = this.prepareMlp(mlp, x);
    await this.kernels.lshnMlpAsync(mlp, x.data, x.rows, out.data);
    return out;
  }
}

function recallOptions(options: RecallOptions): { useDynamics: boolean; dynamicsOptions: DynamicsOptions } {
  const opts = checkOptions(options, 'options', [...DYNAMICS_KEYS, 'dynamics']);
  const useDynamics = opts.dynamics === undefined ? true : checkBoolean(opts.dynamics, 'options.dynamics');
  const { dynamics: _ignored, ...rest } = opts as RecallOptions;
  return { useDynamics, dynamicsOptions: { trackEnergy: false, ...rest } };
}

function checkNonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be finite and >= 0, got ${value}`);
  return value;
}

/**
 * MNIST-style bytes 0..255 to [-1, 1] (x / 255 * 2 - 1), as the published model expects.
 *
 * @example
 * ```ts
 * const images = scalePixels(readIdxFile('train-images-idx3-ubyte', 100).data, 784); // 100 x 784 in [-1, 1]
 * ```
 */
export function scalePixels(pixels: ArrayLike<number>, cols: number): Matrix<Float64Array> {
  if (!isArrayLikeOfNumbers(pixels)) throw new TypeError(`pixels must be an array or typed array of numbers, got ${describe(pixels)}`);
  checkInteger(cols, 'cols', 1);
  if (pixels.length % cols !== 0) throw new RangeError(`pixels length ${pixels.length} is not a multiple of cols ${cols}`);
  const data = checkedFloat64Array('the scaled pixels', pixels.length);
  for (let i = 0; i < data.length; i++) {
    const p = pixels[i];
    if (typeof p !== 'number' || !(p >= 0 && p <= 255)) throw new RangeError(`pixels[${i}] must be a number in [0, 255], got ${describe(p)}`);
    data[i] = (p / 255) * 2 - 1;
  }
  return { data, rows: data.length / cols, cols };
}
