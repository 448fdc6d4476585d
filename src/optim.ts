// AdamW (Loshchilov and Hutter): Adam with decoupled weight decay, over a list of parameter arrays
// updated in place. Used to train latent attractors and Hopfield pooling layers.
import { checkFinite, checkOptions, checkPositive, describe, optionKeys, toFiniteFloat64 } from './validate';

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
    params.forEach((p, i) => toFiniteFloat64(p, `params[${i}]`));
    this.lr = o.learningRate === undefined ? 1e-3 : checkPositive(o.learningRate, 'options.learningRate');
    this.decay = o.weightDecay === undefined ? 0 : checkFinite(o.weightDecay, 'options.weightDecay');
    // The decay multiplies w by 1 - lr * weightDecay each step: beyond [0, 1] it would grow or flip w.
    if (this.decay < 0 || this.lr * this.decay > 1) {
      throw new RangeError(`options.weightDecay must be >= 0 with learningRate * weightDecay <= 1, got ${this.decay} (learningRate ${this.lr})`);
    }
    this.beta1 = o.beta1 === undefined ? 0.9 : checkFinite(o.beta1, 'options.beta1');
    this.beta2 = o.beta2 === undefined ? 0.999 : checkFinite(o.beta2, 'options.beta2');
    // epsilon keeps the denominator sqrt(v) + epsilon away from 0 where a gradient entry is 0.
    this.epsilon = o.epsilon === undefined ? 1e-8 : checkPositive(o.epsilon, 'options.epsilon');
    for (const [name, value] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(value >= 0 && value < 1)) throw new RangeError(`options.${name} must be in [0, 1), got ${value}`);
    }
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  /**
   * One step: grads[i] is the gradient of params[i] (same length, finite). Everything is checked and
   * the step computed aside first, so a refused step leaves the parameters and moments as they were.
   */
  step(grads: ArrayLike<number>[]): void {
    if (!Array.isArray(grads)) throw new TypeError(`grads must be an array of ${this.params.length} gradients, got ${describe(grads)}`);
    if (grads.length !== this.params.length) throw new RangeError(`grads must hold ${this.params.length} gradients, got ${grads.length}`);
    const g = grads.map((gi, i) => toFiniteFloat64(gi, `grads[${i}]`, this.params[i].length));
    // Copies of the parameters (which the caller owns and may have written to since the last step) to update.
    const x = this.params.map((w, i) => toFiniteFloat64(w, `params[${i}]`));
    const t = this.t + 1;
    const { beta1: b1, beta2: b2 } = this;
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    const m = this.m.map((mp, p) => mp.map((value, i) => b1 * value + (1 - b1) * g[p][i]));
    const v = this.v.map((vp, p) => vp.map((value, i) => b2 * value + (1 - b2) * g[p][i] * g[p][i]));
    x.forEach((xp, p) => {
      for (let i = 0; i < xp.length; i++) {
        if (!Number.isFinite(v[p][i])) throw new RangeError(`grads[${p}][${i}] = ${g[p][i]} is too large: its square, the second moment, overflows`);
        xp[i] -= this.lr * (m[p][i] / c1 / (Math.sqrt(v[p][i] / c2) + this.epsilon) + this.decay * xp[i]);
        if (!Number.isFinite(xp[i])) throw new RangeError(`the step overflows params[${p}][${i}] (${this.params[p][i]}, gradient ${g[p][i]})`);
      }
    });
    this.params.forEach((w, p) => {
      w.set(x[p]);
      this.m[p].set(m[p]);
      this.v[p].set(v[p]);
    });
    this.t = t;
  }
}
