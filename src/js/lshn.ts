// Pure TypeScript twin of native/core/lshn.cpp. Weights are float32 (as stored in the model file);
// every product and sum is accumulated in float64, and states/outputs are float64, in both backends.
import type { LshnDynamicsOutputs, LshnDynamicsParams, LshnGradArgs, LshnMlp } from '../kernels';

/** erf to about 1e-15: Taylor series near 0, Laplace's continued fraction for erfc further out. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (Number.isNaN(x)) return NaN;
  if (ax >= 6) return Math.sign(x);
  if (ax <= 2) {
    // erf(x) = 2/sqrt(pi) sum_k (-1)^k x^(2k+1) / (k! (2k+1))
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let k = 1; k < 80; k++) {
      term *= -x2 / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) <= 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up.
  let tail = ax;
  for (let k = 120; k >= 1; k--) tail = ax + k / 2 / tail;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / tail;
  return Math.sign(x) * (1 - erfc);
}

export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** out[r] = tanh(W2 gelu(W1 x_r + b1) + b2) for each of `count` rows. */
export function lshnMlp(mlp: LshnMlp, input: Float64Array, count: number, out: Float64Array): void {
  const { w1, b1, w2, b2, inDim, hidDim, outDim } = mlp;
  const hidden = new Float64Array(hidDim);
  for (let r = 0; r < count; r++) {
    const x = r * inDim;
    for (let h = 0; h < hidDim; h++) {
      let s = 0;
      const row = h * inDim;
      for (let i = 0; i < inDim; i++) s += w1[row + i] * input[x + i];
      hidden[h] = gelu(s + b1[h]);
    }
    for (let o = 0; o < outDim; o++) {
      let s = 0;
      const row = o * hidDim;
      for (let h = 0; h < hidDim; h++) s += w2[row + h] * hidden[h];
      out[r * outDim + o] = Math.tanh(s + b2[o]);
    }
  }
}

/**
 * Latent attractor dynamics v <- clip(v + dt (W_ih I + W_hh v), -1, 1) from v0 = I, per row, until
 * max |v_new - v| <= tol or `steps` steps. The energy E = -1/2 v'W_hh v - v'W_ih I is recorded before
 * each step and at the end (NaN after the row stopped).
 */
export function lshnDynamics(
  wih: Float32Array,
  whh: Float32Array,
  n: number,
  inputs: Float64Array,
  count: number,
  params: LshnDynamicsParams,
  out: LshnDynamicsOutputs,
): void {
  const { dt, steps, tol, trackEnergy } = params;
  const drive = new Float64Array(n);
  const field = new Float64Array(n);
  for (let r = 0; r < count; r++) {
    const input = inputs.subarray(r * n, (r + 1) * n);
    const v = out.states.subarray(r * n, (r + 1) * n);
    matVec(wih, input, n, drive);
    v.set(input);
    let done = 0;
    let converged = false;
    for (let t = 0; ; t++) {
      matVec(whh, v, n, field);
      if (trackEnergy) out.energies[r * (steps + 1) + t] = energyOf(v, field, drive);
      if (t === steps || converged) break;
      let change = 0;
      for (let i = 0; i < n; i++) {
        const next = clip(v[i] + dt * (drive[i] + field[i]));
        change = Math.max(change, Math.abs(next - v[i]));
        v[i] = next;
      }
      done = t + 1;
      converged = change <= tol;
    }
    if (trackEnergy) out.energies.fill(NaN, r * (steps + 1) + done + 1, (r + 1) * (steps + 1));
    out.steps[r] = done;
    out.converged[r] = converged ? 1 : 0;
  }
}

/**
 * Loss and closed-form gradient of the one-step loss
 *   L = 1/(2m) sum_r ||clip(v_r + dt (W_ih I_r + W_hh v_r)) - s_r||^2
 * (start v_r, input code I_r, target s_r) with respect to W_ih and W_hh (row-major n x n, written to
 * gradWih / gradWhh): dL/dW_ih = sum_r g_r I_r', dL/dW_hh = sum_r g_r v_r' with
 * g_r = dt (clip(.) - s_r) / m where the clip's argument lies strictly inside (-1, 1), else 0.
 */
export function lshnOneStepGrad(...[wih, whh, n, starts, inputs, targets, count, dt, gradWih, gradWhh]: LshnGradArgs): number {
  gradWih.fill(0);
  gradWhh.fill(0);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const g = new Float64Array(n);
  let loss = 0;
  for (let r = 0; r < count; r++) {
    const v = starts.subarray(r * n, (r + 1) * n);
    const input = inputs.subarray(r * n, (r + 1) * n);
    matVec(wih, input, n, a);
    matVec(whh, v, n, b);
    for (let i = 0; i < n; i++) {
      const pre = v[i] + dt * (a[i] + b[i]);
      const diff = clip(pre) - targets[r * n + i];
      loss += diff * diff;
      g[i] = pre > -1 && pre < 1 ? (dt * diff) / count : 0;
    }
    for (let i = 0; i < n; i++) {
      if (g[i] === 0) continue;
      const row = i * n;
      for (let j = 0; j < n; j++) {
        gradWih[row + j] += g[i] * input[j];
        gradWhh[row + j] += g[i] * v[j];
      }
    }
  }
  return loss / (2 * count);
}

function matVec(w: ArrayLike<number>, x: ArrayLike<number>, n: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) s += w[row + j] * x[j];
    out[i] = s;
  }
}

function energyOf(v: Float64Array, field: Float64Array, drive: Float64Array): number {
  let quadratic = 0;
  let linear = 0;
  for (let i = 0; i < v.length; i++) {
    quadratic += v[i] * field[i];
    linear += v[i] * drive[i];
  }
  return -0.5 * quadratic - linear;
}

function clip(x: number): number {
  return x < -1 ? -1 : x > 1 ? 1 : x;
}
