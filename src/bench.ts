// Benchmark helpers (medians over several runs, Markdown tables) and the binary Hopfield and
// memory benchmarks, shared by `npm run bench` (bench/) and `sshn bench`.
import { availableBackends, backendInfo, getBackend } from './backend';
import { BinaryHopfield, StorageRule } from './hopfield/binary';
import { flipBits, randomPatterns } from './hopfield/patterns';
import { HopfieldMemory, MemoryTransform } from './memory/index';
import { Rng } from './rng';
import { checkBoolean, checkInteger, checkOptions, optionKeys } from './validate';

/** Wall time in milliseconds of one call of fn. */
function timeMs(fn: () => unknown): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The median of a list of times. */
function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median wall time in milliseconds of `runs` calls of fn, after one warm-up call. */
export function medianMs(fn: () => unknown, runs = 5): number {
  fn();
  return median(Array.from({ length: runs }, () => timeMs(fn)));
}

/**
 * Median per-call wall times in milliseconds once each fn runs warm: each is called for at least
 * 50 ms (and three calls) first, so the JIT has tiered up; then `runs` rounds take one sample of
 * each fn in turn, a sample being enough back-to-back calls to last about `sampleMs`. Taking the
 * samples in turn keeps this machine's speed drift (up to 1.5x within minutes) out of the ratios.
 */
export function steadyMediansMs(fns: (() => unknown)[], runs = 5, sampleMs = 20): number[] {
  const repeats = fns.map((fn) => {
    let warm = 0;
    let calls = 0;
    while (calls < 3 || warm < 50) {
      warm += timeMs(fn);
      calls++;
    }
    return Math.max(1, Math.round((sampleMs * calls) / warm));
  });
  const samples = fns.map((): number[] => []);
  for (let r = 0; r < runs; r++) {
    fns.forEach((fn, j) => samples[j].push(timeMs(() => {
      for (let k = 0; k < repeats[j]; k++) fn();
    }) / repeats[j]));
  }
  return samples.map(median);
}

/** Same for an async function. */
export async function medianMsAsync(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

export type Row = Record<string, string | number>;

/** Rows (objects with the same keys) as a Markdown table. */
export function markdownTable(rows: Row[]): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]);
  const cell = (v: string | number | undefined) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(3)) : String(v ?? ''));
  return [`| ${keys.join(' | ')} |`, `| ${keys.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${keys.map((k) => cell(r[k])).join(' | ')} |`)].join('\n');
}

export function printTable(rows: Row[]): void {
  console.log(markdownTable(rows));
}

export interface BinaryBenchmarkOptions {
  sizes?: number[];
  runs?: number;
  /** Called before each measurement with (done, total, label). */
  onProgress?: (done: number, total: number, label: string) => void;
}

/** Native vs pure TS: storing p = 0.1 N patterns and recalling 10%-noise cues; one sweep vs one read of W. */
export function binaryBenchmark(options: BinaryBenchmarkOptions = {}): { timings: Row[]; sweeps: Row[] } {
  const o = checkOptions(options, 'options', optionKeys<BinaryBenchmarkOptions>()('sizes', 'runs', 'onProgress')) as BinaryBenchmarkOptions;
  const sizes = o.sizes ?? [256, 1024, 4096];
  const runs = o.runs ?? 5;
  const backends = availableBackends();
  const timings: Row[] = [];
  const sweeps: Row[] = [];
  const plan = sizes.map((n) => ({ n, rules: (n <= 1024 ? ['hebbian', 'storkey', 'pseudoinverse'] : ['hebbian']) as StorageRule[] }));
  const total = plan.reduce((a, p) => a + p.rules.length + 3, 0);
  let done = 0;
  const step = (label: string) => options.onProgress?.(done++, total, label);
  // make(backend, threads): threads is 1 for the per-core timing of tasks both backends spread
  // over all cores (batch recall), undefined otherwise. Backends are sampled in turn.
  const timeBoth = (task: string, n: number, make: (backend: 'native' | 'js', threads?: number) => () => unknown, threaded = false) => {
    const row: Row = { task, N: n };
    const present = (['native', 'js'] as const).filter((b) => backends.includes(b));
    const timed: [string, () => unknown][] = present.map((b) => [`${b} ms`, make(b)]);
    if (threaded) for (const b of present) timed.push([`${b} 1 thread ms`, make(b, 1)]);
    const slow = backends.includes('js') && n >= 4096;
    const ms = steadyMediansMs(timed.map(([, fn]) => fn), slow ? Math.min(runs, 3) : runs);
    timed.forEach(([column], j) => (row[column] = ms[j]));
    row['native 1 thread ms'] ??= '-';
    row['js 1 thread ms'] ??= '-';
    const ratio = (js: Row[string], native: Row[string]) => (typeof native === 'number' && typeof js === 'number' ? js / native : '-');
    row['js / native'] = ratio(row['js ms'], row['native ms']);
    row['per core: js / native, 1 thread'] = ratio(row['js 1 thread ms'], row['native 1 thread ms']);
    timings.push(row);
  };
  for (const { n, rules } of plan) {
    const p = Math.round(0.1 * n);
    const patterns = randomPatterns(p, n, { seed: 1 });
    const cues = new Int8Array(p * n);
    for (let mu = 0; mu < p; mu++) cues.set(flipBits(patterns.data.subarray(mu * n, (mu + 1) * n), Math.round(0.1 * n), mu), mu * n);
    for (const rule of rules) {
      step(`store ${rule} N=${n}`);
      timeBoth(`store ${rule}`, n, (backend) => () => new BinaryHopfield(n, { rule, backend }).store(patterns));
    }
    const nets = Object.fromEntries(backends.map((b) => [b, new BinaryHopfield(n, { backend: b }).store(patterns)])) as Record<string, BinaryHopfield>;
    const count = Math.min(p, 64);
    const batch = { data: cues.subarray(0, count * n), rows: count, cols: n };
    step(`recall batch N=${n}`);
    timeBoth(`recall ${count} cues (async, to convergence)`, n, (b, threads) => () => nets[b].recallBatch(batch, { seed: 1, trackEnergy: false, threads }), true);
    step(`recall one N=${n}`);
    timeBoth('recall 1 cue (async, to convergence)', n, (b) => () => nets[b].recall(cues.subarray(0, n), { seed: 1 }));
    step(`sweep vs read N=${n}`);
    const random = randomPatterns(1, n, { seed: 99 }).data;
    for (const backend of backends) {
      const net = nets[backend];
      const [read, sweep, overlaps] = steadyMediansMs([
        () => net.energy(random),
        () => net.recall(random, { maxSweeps: 1, trackEnergy: false, fields: 'matrix' }),
        () => net.recall(random, { maxSweeps: 1, trackEnergy: false, fields: 'patterns' }),
      ], runs * 4);
      sweeps.push({
        backend, N: n, weights: net.weightStorage, 'read W (ms)': read,
        'fields + 1 sweep, matrix (ms)': sweep, 'sweep / read': (sweep - read) / read, 'fields + 1 sweep, overlaps (ms)': overlaps,
      });
    }
  }
  options.onProgress?.(total, total, 'done');
  return { timings, sweeps };
}

export interface MemoryBenchmarkOptions {
  /** Stored patterns N (default 60 000, MNIST-sized). */
  patterns?: number;
  /** Queries B updated at once (default 256). */
  queries?: number;
  /** Pattern dimension D (default 784). */
  dimension?: number;
  runs?: number;
  /** Also time pure TypeScript, on N/10 patterns scaled by 10 (default true; its cost is linear in N). */
  js?: boolean;
  /** The large GEMM among the peak measurements is peakSize x 4 peakSize x peakSize (default 2048). */
  peakSize?: number;
  /** Called before each measurement with (done, total, label). */
  onProgress?: (done: number, total: number, label: string) => void;
}

/**
 * Time per update of B queries against N patterns of dimension D (a call of up to 5 updates, divided
 * by the updates run), float32 and float64, per transform, as a fraction of this machine's
 * matrix-multiply peak (the best of the library's own GEMM, into a reused output, on a large
 * product and on the update's shape, all cores). The update-shaped GEMM is timed alternately with
 * the memory calls, so that a machine whose speed drifts (a shared host) slows both alike. An update costs one GEMM for the scores (2 B N D
 * flops) plus the read-out: a second GEMM when p is dense (softmax), a sparse sum of the support's
 * patterns otherwise. Timed on the native backend when it loads, else on pure TypeScript.
 */
/** Updates per timed memory call (the time is reported per update). */
const UPDATES = 5;

export function memoryBenchmark(options: MemoryBenchmarkOptions = {}): { title: string; rows: Row[] } {
  const o = checkOptions(options, 'options', optionKeys<MemoryBenchmarkOptions>()('patterns', 'queries', 'dimension', 'runs', 'js', 'peakSize', 'onProgress'));
  const n = checkInteger(o.patterns ?? 60000, 'options.patterns', 10);
  const b = checkInteger(o.queries ?? 256, 'options.queries', 1);
  const d = checkInteger(o.dimension ?? 784, 'options.dimension', 1);
  const runs = checkInteger(o.runs ?? 5, 'options.runs', 1);
  const peakSize = checkInteger(o.peakSize ?? 2048, 'options.peakSize', 1);
  const main = availableBackends().includes('native') ? 'native' : 'js';
  const withJs = main === 'native' && (o.js === undefined || checkBoolean(o.js, 'options.js'));
  const small = Math.round(n / 10);
  const rng = new Rng(1);
  const random = (Real: Float32ArrayConstructor | Float64ArrayConstructor, length: number) => {
    const a = new Real(length);
    for (let i = 0; i < length; i++) a[i] = rng.nextDouble() * 2 - 1;
    return a;
  };
  // GEMM through the scores kernel into a reused output: the scores of m queries against k patterns
  // are an m x k x depth product.
  const kernels = getBackend(main);
  const gemm = (Real: Float32ArrayConstructor | Float64ArrayConstructor, m: number, k: number, depth: number) => {
    const a = random(Real, m * depth);
    const x = random(Real, k * depth);
    const out = new Real(m * k);
    return { flops: 2 * m * k * depth, run: () => kernels.memoryScores(a, m, x, k, depth, 1, out, 0) };
  };
  const transforms: [MemoryTransform, string, number][] = [['softmax', 'softmax', 2], ['sparsemax', 'sparsemax', 1], ['entmax15', 'entmax15', 1], [{ name: 'kSubsets', k: 4 }, 'kSubsets k=4', 1]];
  const total = 2 * (1 + transforms.length);
  let done = 0;
  const step = (label: string) => options.onProgress?.(done++, total, label);
  const rows: Row[] = [];
  for (const [dtype, Real] of [['float32', Float32Array], ['float64', Float64Array]] as const) {
    step(`${dtype} GEMM peak`);
    // Four times as many patterns as queries: the kernel shares the patterns among the cores in
    // blocks of 2048, so a square 2048 product would be one block on one core.
    const large = gemm(Real, peakSize, 4 * peakSize, peakSize);
    const largeGflops = large.flops / medianMs(large.run, runs) / 1e6;
    const updateShaped = gemm(Real, b, n, d);
    const patterns = random(Real, n * d);
    const q = { data: random(Real, b * d), rows: b, cols: d };
    for (const [transform, name, gemms] of transforms) {
      step(`${dtype} ${name}`);
      // beta scaled so that p is sparse but not one-hot for the sparse transforms; a call of up to
      // UPDATES updates, timed per update (a row that reaches an exact fixed point stops early).
      const settings = { transform, beta: transform === 'softmax' ? 0.01 : 0.05, maxIter: UPDATES, tol: 0, dtype };
      const memory = new HopfieldMemory({ data: patterns, rows: n, cols: d }, { ...settings, backend: main });
      let support = 0;
      let updates = 0;
      const call = () => {
        const r = memory.retrieveBatch(q, { weights: 'none' });
        support = r.support.reduce((a, v) => a + v, 0) / b;
        updates = r.iterations.reduce((a, v) => a + v, 0) / b;
      };
      call();
      updateShaped.run();
      const callTimes: number[] = [];
      const gemmTimes: number[] = [];
      for (let r = 0; r < runs; r++) {
        callTimes.push(timeMs(call));
        gemmTimes.push(timeMs(updateShaped.run));
      }
      const peak = Math.max(largeGflops, updateShaped.flops / median(gemmTimes) / 1e6);
      const ms = median(callTimes) / updates;
      const gflops = (gemms * 2 * b * n * d) / ms / 1e6;
      const row: Row = {
        dtype, transform: name, 'mean support': support.toFixed(1), 'updates': updates.toFixed(1), [`${main} ms per update`]: ms.toFixed(1), 'GFLOP/s': gflops.toFixed(1),
        'peak GFLOP/s': peak.toFixed(1), 'of peak': `${((100 * gflops) / peak).toFixed(0)}%`,
      };
      if (withJs) {
        const js = new HopfieldMemory({ data: patterns.subarray(0, small * d), rows: small, cols: d }, { ...settings, backend: 'js' });
        let jsUpdates = 1;
        const jsMs = ((n / small) * medianMs(() => (jsUpdates = js.retrieveBatch(q, { weights: 'none' }).iterations.reduce((a, v) => a + v, 0) / b), 1)) / jsUpdates;
        row['js ms per update (N/10 x 10)'] = jsMs.toFixed(0);
        row['js / native'] = (jsMs / ms).toFixed(1);
      }
      rows.push(row);
    }
  }
  options.onProgress?.(total, total, 'done');
  const title = `Hopfield memories: time per update of ${b} queries x ${n} patterns x ${d} (${main}; GEMM kernel: ${backendInfo().gemmKernel ?? 'none'})`;
  return { title, rows };
}
