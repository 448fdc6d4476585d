// The native GEMM kernels: every instruction-set copy this machine can run gives the same memory
// results within rounding and bitwise the same softmax (SSHN_GEMM forces one per child process), and the wider copies define no
// code outside their own namespaces (so the linker cannot hand their AVX code to the baseline).
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendsUnderTest, maxAbsDiff } from './helpers';

const root = path.join(__dirname, '..');
const probe = `
const s = require(${JSON.stringify(path.join(root, 'lib'))});
const rng = new s.Rng(3);
const n = 3000, d = 300;
const x = { data: Float64Array.from({ length: n * d }, () => rng.normal()), rows: n, cols: d };
const q = { data: Float64Array.from({ length: 40 * d }, () => rng.normal()), rows: 40, cols: d };
const out = {};
for (const dtype of ['float64', 'float32']) {
  const m = new s.HopfieldMemory(x, { transform: 'softmax', beta: 0.02, maxIter: 3, tol: 0, dtype, backend: 'native' });
  out[dtype] = Array.from(m.retrieveBatch(q, { weights: 'none' }).states.data);
}
// softmax's exponentials (vexp): bitwise the same on every instruction set.
const z = { data: Float64Array.from({ length: 7 * 1001 }, () => rng.normal() * 40), rows: 7, cols: 1001 };
out.softmax = Array.from(s.softmax.solve(z, { backend: 'native' }).p.data);
console.log(JSON.stringify({ kernel: s.backendInfo().gemmKernel, ...out }));
`;

if (!backendsUnderTest().includes('native')) {
  t.pass('native backend not under test');
} else {
  t.test('every kernel the CPU runs gives the same results within rounding', async (t) => {
    const results = ['baseline', 'avx2', 'avx512'].map((kernel) => {
      const r = spawnSync(process.execPath, ['-e', probe], { env: { ...process.env, SSHN_GEMM: kernel }, encoding: 'utf8' });
      t.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { kernel: string; float64: number[]; float32: number[]; softmax: number[] };
    });
    t.equal(results[0].kernel, 'baseline', 'SSHN_GEMM=baseline is honoured');
    const distinct = new Set(results.map((r) => r.kernel));
    t.comment(`kernels run here: ${[...distinct].join(', ')}`);
    for (const r of results.slice(1)) {
      t.ok(maxAbsDiff(r.float64, results[0].float64) < 1e-12, `${r.kernel} vs baseline, float64: ${maxAbsDiff(r.float64, results[0].float64)}`);
      t.ok(maxAbsDiff(r.float32, results[0].float32) < 1e-4, `${r.kernel} vs baseline, float32: ${maxAbsDiff(r.float32, results[0].float32)}`);
      t.same(r.softmax, results[0].softmax, `${r.kernel} vs baseline: softmax bitwise`);
    }
  });

  t.test('the wider kernel copies define no code outside their namespaces', async (t) => {
    const objects = ['avx2', 'avx512'].map((isa) => path.join(root, 'build', 'Release', 'obj.target', `sshn_kernels_${isa}`, 'native', 'core', `kernels_${isa}.o`));
    const nm = spawnSync('nm', ['--version'], { encoding: 'utf8' });
    if (nm.status !== 0 || !objects.every((o) => fs.existsSync(o))) {
      t.pass('no x86-64 node-gyp build objects or no nm here');
      return;
    }
    for (const [i, object] of objects.entries()) {
      const isa = ['avx2', 'avx512'][i];
      // Global and weak code symbols (T, W, w) after demangling: the ones a linker may share between
      // objects. Local code (t, e.g. a sanitizer's constructors) and data (typeinfo, V) cannot be.
      const lines = execFileSync('nm', ['-C', '--defined-only', object], { encoding: 'utf8' }).split('\n').filter((l) => / [TWw] /.test(l));
      const own = [`sshn::gemm::${isa}::`, `sshn::vexp::${isa}::`, `sshn_eigen_${isa}::`];
      const foreign = lines.filter((l) => !own.some((prefix) => l.includes(prefix)));
      t.same(foreign, [], `${isa}: only ${own.join(', ')} code`);
      t.ok(lines.length > 0, `${isa}: the object defines its kernels`);
    }
  });
}
