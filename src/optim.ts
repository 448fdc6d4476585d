// AdamW (Loshchilov and Hutter): Adam with decoupled weight decay, over a list of parameter arrays
// updated in place. Used to train latent attractors and Hopfield pooling layers.
import { checkFinite, checkOptions, optionKeys, describe } from './validate';

/** Options of {@link AdamW}. */
export interface AdamWOptions {
  /** Step size (default 1e-3). */
  learningRate?: number;
  /** Decoupled weight decay per step, multiplied by the learning rate (default 0). */
  weightDecay?: number;
  /** Moment decay rates (defaults 0.9 and 0.999) and the denominator's epsilon (1e-8). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * AdamW over parameter arrays updated in place: `step(grads)` takes one gradient per parameter.
 *
 * @example
 * ```ts
 * import { AdamW } from 'sshn';
 * const w = new Float64Array([1, -2]);
 * const opt = new AdamW([w], { learningRate: 0.1 });
 * opt.step([Float64Array.of(2 * w[0], 2 * w[1])]); // one step on ||w||^2
 * ```
 */
export class AdamW {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private readonly lr: number;
  private readonly decay: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private t = 0;

  constructor(private readonly params: Float64Array[], options: AdamWOptions = {}) {
    const o = checkOptions(options, 'options', optionKeys<AdamWOptions>()('learningRate', 'weightDecay', 'beta1', 'beta2', 'epsilon'));
    if (!Array.isArray(params) || params.some((p) => !(p instanceof Float64Array))) {
      throw new TypeError(`params must be an array of Float64Array, got ${describe(params)}`);
    }
    this.lr = o.learningRate === undefined ? 1e-3 : checkFinite(o.learningRate, 'options.learningRate');
    this.decay = o.weightDecay === undefined ? 0 : checkFinite(o.weightDecay, 'options.weightDecay');
    this.beta1 = o.beta1 === undefined ? 0.9 : checkFinite(o.beta1, 'options.beta1');
    this.beta2 = o.beta2 === undefined ? 0.999 : checkFinite(o.beta2, 'options.beta2');
    this.epsilon = o.epsilon === undefined ? 1e-8 : checkFinite(o.epsilon, 'options.epsilon');
    for (const [name, value] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(value >= 0 && value < 1)) throw new RangeError(`options.${name} must be in [0, 1), got ${value}`);
    }
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  /** One step: grads[i] is the gradient of params[i] (same length). */
  step(grads: ArrayLike<number>[]): void {
    if (!Array.isArray(grads) || grads.length !== this.params.length) {
      throw new RangeError(`grads must hold ${this.params.length} gradients, got ${describe(grads)}`);
    }
    grads.forEach((g, i) => {
      if (g.length !== this.params[i].length) throw new RangeError(`grads[${i}] must have length ${this.params[i].length}, got ${g.length}`);
    });
    this.t++;
    const { beta1: b1, beta2: b2 } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    this.params.forEach((w, p) => {
      const g = grads[p];
      const m = this.m[p];
      const v = this.v[p];
      for (let i = 0; i < w.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= this.lr * (m[i] / c1 / (Math.sqrt(v[i] / c2) + this.epsilon) + this.decay * w[i]);
      }
    });
  }
}
