// Bad input to the latent Hopfield API: damaged safetensors models, huge sizes and malformed kernel
// calls give clear errors naming the tensor, size or argument, never a crash.
import t from 'tap';
import {
  getLimits, hebbianLatent, LatentHopfield, readSafetensors, Rng, SafetensorsError, setLimits, trainAttractor, trainAttractorAsync, writeSafetensors,
} from '../src/index';
import type { TensorInput } from '../src/index';
import { getBackend } from '../src/backend';
import { backendsUnderTest } from './helpers';

const backends = backendsUnderTest();

/** A small random model (D = 6, H = 4, N = 3) as its safetensors tensors. */
function tensorsOfModel(): Record<string, TensorInput> {
  const rng = new Rng(1);
  const r = (k: number) => Array.from({ length: k }, () => rng.normal() / 2);
  const whh = new Array<number>(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j <= i; j++) whh[i * 3 + j] = whh[j * 3 + i] = rng.normal() / 2;
  const model = new LatentHopfield({
    encoder: { w1: r(24), b1: r(4), w2: r(12), b2: r(3) },
    decoder: { w1: r(12), b1: r(4), w2: r(24), b2: r(6) },
    wih: r(9),
    whh,
    inputDim: 6,
    hiddenDim: 4,
    latentDim: 3,
  });
  const tensors: Record<string, TensorInput> = {};
  for (const [name, tensor] of readSafetensors(model.toSafetensors()).tensors) {
    tensors[name] = { dtype: 'F32', shape: tensor.shape, data: tensor.data as Float32Array };
  }
  return tensors;
}

t.test('fromSafetensors names the missing, misshapen or non-float tensor', async (t) => {
  const good = tensorsOfModel();
  t.equal(LatentHopfield.fromSafetensors(writeSafetensors(good)).latentDim, 3, 'the undamaged model loads');
  const load = (tensors: Record<string, TensorInput>) => () => LatentHopfield.fromSafetensors(writeSafetensors(tensors));
  const without = (name: string) => Object.fromEntries(Object.entries(good).filter(([key]) => key !== name));
  for (const name of Object.keys(good)) {
    const message = name === 'encoder.0.weight' || name === 'encoder.1.weight' ? `needs a 2-D tensor '${name}'` : `has no tensor '${name}'`;
    t.throws(load(without(name)), { name: 'SafetensorsError', message }, `missing ${name}`);
  }
  t.throws(load({ ...good, 'latent.w_hh': { dtype: 'F32', shape: [3, 4], data: new Float32Array(12) } }), {
    name: 'SafetensorsError',
    message: "safetensors tensor 'latent.w_hh' has shape [3, 4], expected [3, 3]",
  });
  t.throws(load({ ...good, 'decoder.1.bias': { dtype: 'F32', shape: [1, 6], data: new Float32Array(6) } }), {
    message: "safetensors tensor 'decoder.1.bias' has shape [1, 6], expected [6]",
  });
  t.throws(load({ ...good, 'encoder.0.weight': { dtype: 'F32', shape: [24], data: new Float32Array(24) } }), { message: /2-D tensor 'encoder.0.weight'/ });
  // A shape that disagrees with the sizes read from the encoder: the decoder's input width.
  t.throws(load({ ...good, 'decoder.0.weight': { dtype: 'F32', shape: [4, 2], data: new Float32Array(8) } }), {
    message: "safetensors tensor 'decoder.0.weight' has shape [4, 2], expected [4, 3]",
  });
  for (const dtype of ['I32', 'I64', 'U8'] as const) {
    const data = dtype === 'I64' ? new BigInt64Array(9) : new Array(9).fill(0);
    t.throws(load({ ...good, 'latent.w_ih': { dtype, shape: [3, 3], data } }), {
      name: 'SafetensorsError',
      message: `safetensors tensor 'latent.w_ih' has dtype ${dtype}, expected a float type`,
    });
  }
  t.throws(load({ ...good, 'encoder.0.weight': { dtype: 'I32', shape: [4, 6], data: new Array(24).fill(1) } }), { message: /'encoder.0.weight' has dtype I32/ });
  // F64 tensors are accepted and rounded to float32, like the published model's weights.
  const wide = { ...good, 'latent.w_ih': { dtype: 'F64' as const, shape: [3, 3], data: Float64Array.from(good['latent.w_ih'].data as Float32Array) } };
  t.same(LatentHopfield.fromSafetensors(writeSafetensors(wide)).latentWeights(), LatentHopfield.fromSafetensors(writeSafetensors(good)).latentWeights());
  t.ok(new SafetensorsError('x') instanceof Error);
});

for (const backend of backends) {
  t.test(`[${backend}] huge LSHN sizes are refused up front, naming the size`, async (t) => {
    const tiny = { w1: [], b1: [], w2: [], b2: [] };
    // 2 D H + 2 H N + 2 N^2 float32 values: 8.00008e12 bytes = 7.3 TiB.
    t.throws(() => new LatentHopfield({ encoder: tiny, decoder: tiny, wih: [], whh: [], inputDim: 1e6, hiddenDim: 1e6, latentDim: 10 }, { backend }), {
      name: 'RangeError',
      message: 'LatentHopfield weights would need 7.3 TiB, above the limit of 4.0 GiB (see setLimits)',
    });
    // One code of 30000 latents: W_ih and W_hh would need 30000^2 doubles = 6.7 GiB each.
    const wide = { data: new Float64Array(30000).fill(0.5), rows: 1, cols: 30000 };
    t.throws(() => trainAttractor(wide, { backend }), { name: 'RangeError', message: /^attractor weights of 30000 latents would need 6\.7 GiB/ });
    await t.rejects(trainAttractorAsync(wide, { backend }), { name: 'RangeError', message: /attractor weights of 30000 latents would need 6\.7 GiB/ });
    t.throws(() => hebbianLatent(wide), { name: 'RangeError', message: /^Hebbian weights would need 6\.7 GiB/ });
    const zeros = (k: number) => new Float32Array(k);
    const model = new LatentHopfield(
      { encoder: { w1: zeros(2), b1: zeros(1), w2: zeros(2), b2: zeros(2) }, decoder: { w1: zeros(2), b1: zeros(1), w2: zeros(2), b2: zeros(2) }, wih: zeros(4), whh: zeros(4), inputDim: 2, hiddenDim: 1, latentDim: 2 },
      { backend },
    );
    // An energy trace of 1e9 + 1 doubles per row.
    t.throws(() => model.dynamics([[0, 0]], { steps: 1e9 }), { name: 'RangeError', message: /^energy trace would need 7\.5 GiB/ });
    const saved = getLimits().maxBytes;
    setLimits({ maxBytes: 1000 });
    try {
      const many = { data: new Float64Array(100 * 2), rows: 100, cols: 2 };
      t.throws(() => model.encode(many), { name: 'RangeError', message: /^images would need 1\.6 KiB, above the limit of 1000 bytes/ });
      t.throws(() => model.dynamics(many, { trackEnergy: false }), { name: 'RangeError', message: /^codes would need 1\.6 KiB/ });
    } finally {
      setLimits({ maxBytes: saved });
    }
  });
}

t.test('the native layer rejects malformed LSHN kernel calls without crashing', async (t) => {
  if (!backends.includes('native')) return;
  const native = getBackend('native');
  const f32 = (k: number) => new Float32Array(k);
  const f64 = (k: number) => new Float64Array(k);
  const mlp = { w1: f32(6), b1: f32(2), w2: f32(4), b2: f32(2), inDim: 3, hidDim: 2, outDim: 2 };
  native.lshnMlp(mlp, f64(3), 1, f64(2));
  t.throws(() => native.lshnMlp(null as never, f64(3), 1, f64(2)), { name: 'TypeError', message: /mlp must be an object/ });
  t.throws(() => native.lshnMlp({ ...mlp, w1: f64(6) as never }, f64(3), 1, f64(2)), { name: 'TypeError', message: /mlp.w1 has the wrong element type/ });
  t.throws(() => native.lshnMlp({ ...mlp, b2: f32(1) }, f64(3), 1, f64(2)), { name: 'RangeError', message: /mlp.b2 has 1 elements/ });
  t.throws(() => native.lshnMlp({ ...mlp, inDim: 0 }, f64(3), 1, f64(2)), { name: 'RangeError', message: /mlp.inDim/ });
  t.throws(() => native.lshnMlp({ ...mlp, hidDim: 2 ** 40 }, f64(3), 1, f64(2)), RangeError);
  t.throws(() => native.lshnMlp(mlp, f64(5), 2, f64(4)), { name: 'RangeError', message: /input has 5 elements, fewer than the 6/ });
  t.throws(() => native.lshnMlp(mlp, f64(3), -1, f64(2)), { name: 'RangeError', message: /count/ });
  t.throws(() => native.lshnMlp(mlp, f64(3), 1, [0, 0] as never), { name: 'TypeError', message: /out must be a typed array/ });
  t.throws(() => native.lshnMlpAsync(mlp, f64(3), 1, f64(1)), { name: 'RangeError', message: /out has 1 elements/ });

  const w = f32(4);
  const params = { dt: 0.1, steps: 3, tol: 0, trackEnergy: true };
  const out = () => ({ states: f64(2), energies: f64(4), steps: new Int32Array(1), converged: new Uint8Array(1) });
  native.lshnDynamics(w, w, 2, f64(2), 1, params, out());
  t.throws(() => native.lshnDynamics(w, w, 0, f64(2), 1, params, out()), { name: 'RangeError', message: /n must be/ });
  t.throws(() => native.lshnDynamics(f32(3), w, 2, f64(2), 1, params, out()), { name: 'RangeError', message: /wih has 3 elements/ });
  t.throws(() => native.lshnDynamics(w, f64(4) as never, 2, f64(2), 1, params, out()), { name: 'TypeError', message: /whh has the wrong element type/ });
  t.throws(() => native.lshnDynamics(w, w, 2 ** 31, f64(2), 1, params, out()), RangeError);
  t.throws(() => native.lshnDynamics(w, w, 2, f64(2), 1, null as never, out()), { name: 'TypeError', message: /params must be an object/ });
  t.throws(() => native.lshnDynamics(w, w, 2, f64(2), 1, { ...params, steps: -1 }, out()), { name: 'RangeError', message: /params.steps/ });
  t.throws(() => native.lshnDynamics(w, w, 2, f64(2), 1, { ...params, dt: '0.1' as never }, out()), { name: 'TypeError', message: /params.dt/ });
  t.throws(() => native.lshnDynamics(w, w, 2, f64(2), 1, params, { ...out(), energies: f64(3) }), { name: 'RangeError', message: /outputs.energies has 3 elements/ });
  t.throws(() => native.lshnDynamics(w, w, 2, f64(2), 1, params, { ...out(), steps: new Uint8Array(1) as never }), TypeError);
  t.throws(() => native.lshnDynamics(w, w, 2, f64(2), 1, params, undefined as never), { name: 'TypeError', message: /outputs must be an object/ });
  t.throws(() => native.lshnDynamicsAsync(w, w, 2, f64(1), 1, params, out()), { name: 'RangeError', message: /inputs has 1 elements/ });

  const g = () => [f64(4), f64(4)] as const;
  const args = (over: Partial<Record<number, unknown>> = {}) => {
    const a: unknown[] = [f64(4), f64(4), 2, f64(4), f64(4), f64(4), 2, 0.1, ...g()];
    for (const [k, v] of Object.entries(over)) a[Number(k)] = v;
    return a as Parameters<typeof native.lshnOneStepGrad>;
  };
  t.equal(native.lshnOneStepGrad(...args()), 0, 'zero weights, zero starts and targets: zero loss');
  t.throws(() => native.lshnOneStepGrad(...args({ 6: 0 })), { name: 'RangeError', message: /count must be/ });
  t.throws(() => native.lshnOneStepGrad(...args({ 2: 1.5 })), { name: 'RangeError', message: /n must be/ });
  t.throws(() => native.lshnOneStepGrad(...args({ 3: f32(4) })), { name: 'TypeError', message: /starts has the wrong element type/ });
  t.throws(() => native.lshnOneStepGrad(...args({ 5: f64(3) })), { name: 'RangeError', message: /targets has 3 elements/ });
  t.throws(() => native.lshnOneStepGrad(...args({ 7: 'fast' })), { name: 'TypeError', message: /dt must be a number/ });
  t.throws(() => native.lshnOneStepGrad(...args({ 9: f64(3) })), { name: 'RangeError', message: /gradWhh has 3 elements/ });
  t.throws(() => native.lshnOneStepGrad(...args({ 0: null })), { name: 'TypeError', message: /wih must be a typed array/ });
  t.throws(() => native.lshnOneStepGradAsync(...args({ 4: f64(1) })), { name: 'RangeError', message: /inputs has 1 elements/ });
  t.equal(await native.lshnOneStepGradAsync(...args()), 0, 'the async kernel resolves with the loss');
});
